"""Course sources kept in the database as revisions: recording, reading back, exporting."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from courses import CourseSource
from courses.source import TreeSource
from lms.extensions import db
from lms.publishing.models import SourceBlob, SourceFile, SourceRevision


class ExportError(Exception):
    """The revision cannot be written where asked."""


def record_revision(source: CourseSource, course_key: str, now: datetime, *,
                    author_id: int | None = None, message: str = "",
                    compiled_revision: str | None = None) -> SourceRevision | None:
    """Store every file of ``source`` as the course's next revision (in the session, not
    committed). None when the latest revision is of exactly these files (same revision).
    ``compiled_revision`` is ``source.revision()`` when the caller knows it already. Only
    files whose bytes are not stored yet are read."""
    compiled_revision = compiled_revision or source.revision()
    latest = latest_revision(course_key)
    # equal revisions hold the same names and bytes (a compiler upgrade alone records anew)
    if latest is not None and latest.compiled_revision == compiled_revision:
        return None
    files = {path: source.digest(path) for path in source.all_files()}
    known: set[str] = set()
    wanted = sorted(set(files.values()))
    for start in range(0, len(wanted), 500):  # bound the parameters of one query
        known.update(db.session.scalars(select(SourceBlob.sha256).where(
            SourceBlob.sha256.in_(wanted[start:start + 500]))))
    for path, digest in files.items():
        if digest in known:
            continue
        data = source.read(path)
        files[path] = digest = hashlib.sha256(data).hexdigest()  # as read now
        if digest not in known:
            db.session.add(SourceBlob(sha256=digest, data=data))
            known.add(digest)
    number = (db.session.scalar(select(func.max(SourceRevision.number))
                                .where(SourceRevision.course_key == course_key)) or 0) + 1
    revision = SourceRevision(
        course_key=course_key, number=number, folder_name=source.name,
        compiled_revision=compiled_revision, author_id=author_id,
        message=message, created_at=now)
    db.session.add(revision)
    db.session.flush()
    db.session.execute(insert(SourceFile), [
        {"revision_id": revision.id, "path": path, "sha256": digest}
        for path, digest in sorted(files.items())])
    return revision


def latest_revision(course_key: str) -> SourceRevision | None:
    return db.session.scalar(select(SourceRevision).where(SourceRevision.course_key == course_key)
                             .order_by(SourceRevision.number.desc()).limit(1))


def find_revision(course_key: str, number: int | None = None) -> SourceRevision | None:
    """Revision ``number`` of the course, or its latest."""
    if number is None:
        return latest_revision(course_key)
    return db.session.scalar(select(SourceRevision).where(
        SourceRevision.course_key == course_key, SourceRevision.number == number))


class DatabaseSource(TreeSource):
    """A stored revision as a ``CourseSource``: it compiles exactly as its folder did."""

    def __init__(self, revision: SourceRevision) -> None:
        self.files = {f.path: f.sha256 for f in revision.files}
        super().__init__(revision.folder_name, list(self.files))

    def read(self, relative: str) -> bytes:
        digest = self.files.get(relative)
        blob = db.session.get(SourceBlob, digest) if digest else None
        if blob is None:
            raise FileNotFoundError(relative)
        return blob.data

    def digest(self, relative: str) -> str:
        if relative not in self.files:
            raise FileNotFoundError(relative)
        return self.files[relative]


def export_revision(revision: SourceRevision, folder: Path) -> int:
    """Write the revision's files into ``folder`` (new or empty), byte for byte; returns how
    many files were written. Raises ExportError if the folder holds anything."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ExportError(f"{folder} is not an empty folder; choose a new one")
    folder.mkdir(parents=True, exist_ok=True)
    source = DatabaseSource(revision)
    for path in source.files:
        target = folder.joinpath(*path.split("/"))
        # stored paths come from a folder listing, never '..', but check before writing
        if os.path.commonpath([folder.resolve(), target.resolve()]) != str(folder.resolve()):
            raise ExportError(f"'{path}' would be written outside {folder}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read(path))
    return len(source.files)
