"""Editing a course's source in the browser: the shared draft, its files, and publishing it.

A course's working copy is its latest source revision (or the revision its draft started from)
with the draft's changes on top. Every change names the draft version the editor saw; a change
made against an older version raises ``DraftConflict`` and writes nothing. Callers commit once.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from courses import CompileCache, CompiledCourse, CompileResult, Finding, compile_source
from courses.source import TreeSource, order_key
from lms import audit
from lms.authoring.models import SourceDraft
from lms.catalog.models import Course
from lms.extensions import db
from lms.publishing.models import SourceBlob, SourceRevision
from lms.publishing.queries import ids_with_learner_data
from lms.publishing.services import PublishError, PublishSummary, publish_course
from lms.publishing.sources import DatabaseSource, find_revision, latest_revision, record_revision

#: what an uploaded image may be: magic bytes of PNG and JPEG; SVG is checked as text
IMAGE_TYPES = {".png": b"\x89PNG\r\n\x1a\n", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff", ".svg": None}
IMAGE_MAX_BYTES = 2 * 1024 * 1024
#: a file or folder name an editor may give: letters, digits, '-' and '_', as ids are
RE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,80}$")
RE_PREFIX = re.compile(r"^\d+-")
#: stricter than the compiler's check: no scripts, handlers, embedded documents, entities or outside links
_RE_SVG_ACTIVE = re.compile(
    rb"<script|<foreignobject|javascript:|\bon[a-z]+\s*=|<!doctype|<!entity|href\s*=(?!\s*[\"']?\s*#)", re.I)


class EditError(ValueError):
    """The change cannot be made; the message says why, for the editor."""


class DraftConflict(Exception):
    """Someone saved the draft since this editor opened it. ``theirs`` is the file as it now
    stands in the draft (None if deleted), ``version`` the draft's version now."""

    def __init__(self, path: str, theirs: str | None, version: int) -> None:
        super().__init__(f"the draft changed (now version {version})")
        self.path, self.theirs, self.version = path, theirs, version


class PublishRefused(Exception):
    """The working copy has errors, or the publishing path refused it; nothing was written."""

    def __init__(self, message: str, findings: tuple[Finding, ...] = ()) -> None:
        super().__init__(message)
        self.findings = findings


class WorkingSource(DatabaseSource):
    """A revision with a draft's changes on top, as a ``CourseSource``."""

    def __init__(self, revision: SourceRevision, changes: dict[str, str | None] | None = None) -> None:
        files = {f.path: f.sha256 for f in revision.files}
        for path, digest in (changes or {}).items():
            if digest is None:
                files.pop(path, None)
            else:
                files[path] = digest
        self.files = files
        self.course_key = revision.course_key
        self.unsaved: dict[str, bytes] = {}
        TreeSource.__init__(self, revision.folder_name, list(files))

    def with_unsaved(self, path: str, data: bytes) -> WorkingSource:
        """The same files with ``path`` as an editor has it in the text area, not yet saved."""
        if path in self.files:
            self.unsaved[path] = data
            self.files = {**self.files, path: hashlib.sha256(data).hexdigest()}
        return self

    def read(self, relative: str) -> bytes:
        if relative in self.unsaved:
            return self.unsaved[relative]
        if relative not in self.files:
            raise FileNotFoundError(relative)
        if not hasattr(self, "blobs"):
            # one query for every file, not one each: a compile reads them all
            wanted = sorted(set(self.files.values()))
            self.blobs = {}
            for start in range(0, len(wanted), 500):
                self.blobs.update(db.session.execute(select(SourceBlob.sha256, SourceBlob.data).where(
                    SourceBlob.sha256.in_(wanted[start:start + 500]))).all())
        data = self.blobs.get(self.files[relative])
        return data if data is not None else super().read(relative)


@dataclass
class Working:
    """What the editor works on: the base revision, the draft (if any) and their files."""

    revision: SourceRevision
    draft: SourceDraft | None
    source: WorkingSource

    @property
    def version(self) -> int:
        """The draft version an editor saw: 0 before anyone saved a draft."""
        return self.draft.version if self.draft else 0

    def text(self, path: str) -> str | None:
        """The file as text; None when there is no such file or it is not UTF-8 text (an image)."""
        if self.source.kind(path) != "file":
            return None
        try:
            return self.source.read(path).decode("utf-8")
        except UnicodeDecodeError:
            return None

    def is_file(self, path: str) -> bool:
        return self.source.kind(path) == "file"

    def changed(self) -> dict[str, str | None]:
        return dict(self.draft.files) if self.draft else {}


def working_copy(course_key: str) -> Working | None:
    """The course's working copy; None when it has no source revision at all."""
    draft = db.session.scalar(select(SourceDraft).where(SourceDraft.course_key == course_key))
    revision = draft.base_revision if draft else latest_revision(course_key)
    if revision is None:
        return None
    return Working(revision, draft, WorkingSource(revision, draft.files if draft else None))


#: where a compiled working copy's images point: the editor's own view of the draft's files
DRAFT_ASSET_URL = "/manage/courses/{slug}/source/raw/{path}"


def compile_working(working: Working | WorkingSource, *, for_preview: bool = False) -> CompileResult:
    """Compile the working copy as publishing would (learner data included), from the cache;
    ``for_preview`` points images at the draft's files instead of the published ones."""
    source = working.source if isinstance(working, Working) else working
    course_key = source.course_key
    course_id = db.session.scalar(select(Course.id).where(Course.key == course_key)) if course_key else None
    learner_data = {course_key: ids_with_learner_data(course_id)} if course_id else {}
    extra = {"asset_url": DRAFT_ASSET_URL} if for_preview else {}
    return compile_source(source, ids_with_learner_data=learner_data,
                          cache=CompileCache(current_app.config["CONTENT_CACHE_DIR"]), **extra)


def _store(data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    if db.session.get(SourceBlob, digest) is None:
        db.session.add(SourceBlob(sha256=digest, data=data))
    return digest


def change_files(course_key: str, seen_version: int, changes: dict[str, bytes | None], *,
                 author_id: int | None, now: datetime, action: str, conflict_path: str = "") -> SourceDraft:
    """Apply ``changes`` (path -> new bytes, or None to delete) to the course's draft, making one
    if needed. Raises DraftConflict when the draft is no longer at ``seen_version``."""
    working = working_copy(course_key)
    if working is None:
        raise EditError("this course has no source yet; publish it once with `flask content build`")
    if working.version != seen_version:
        raise DraftConflict(conflict_path, working.text(conflict_path) if conflict_path else None,
                            working.version)
    draft = working.draft
    if draft is None:
        draft = SourceDraft(course_key=course_key, base_revision_id=working.revision.id, files={},
                            version=0, updated_at=now)
        db.session.add(draft)
    base = {f.path: f.sha256 for f in working.revision.files}
    files = dict(draft.files)
    for path, data in changes.items():
        if data is None:
            files[path] = None
        else:
            files[path] = _store(data)
        if files[path] == base.get(path):  # back as it was: no longer a change
            del files[path]
    draft.files = files
    draft.version += 1
    draft.author_id = author_id
    draft.updated_at = now
    db.session.flush()
    audit.record(action, "course", course_key, actor_id=author_id, now=now,
                 after={"paths": sorted(changes), "draft_version": draft.version})
    return draft


def save_text(course_key: str, path: str, text: str, seen_version: int, *, author_id: int | None,
              now: datetime, seen_digest: str = "") -> SourceDraft:
    """Save one text file into the draft. Browsers send a textarea's lines with CRLF: stored as LF.
    ``seen_digest`` is the sha256 of the file as the editor opened it: when only other files changed
    since ``seen_version``, nothing of anyone's is overwritten, so the save goes ahead."""
    working = working_copy(course_key)
    if working is None or working.text(path) is None or not path.endswith((".md", ".txt")):
        raise EditError(f"'{path}' is not a text file of this course")
    if working.version != seen_version and seen_digest and working.source.digest(path) == seen_digest:
        seen_version = working.version
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return change_files(course_key, seen_version, {path: data}, author_id=author_id, now=now,
                        action="course.draft_saved", conflict_path=path)


def discard_draft(course_key: str, *, author_id: int | None, now: datetime) -> None:
    draft = db.session.scalar(select(SourceDraft).where(SourceDraft.course_key == course_key))
    if draft is not None:
        audit.record("course.draft_discarded", "course", course_key, actor_id=author_id, now=now,
                     before={"paths": sorted(draft.files), "draft_version": draft.version})
        db.session.delete(draft)
        db.session.flush()


# -- the module and lesson tree ------------------------------------------------------------

@dataclass(frozen=True)
class TreeModule:
    folder: str
    files: tuple[str, ...]  # module.md first, then lessons in course order


def tree(source: WorkingSource) -> tuple[list[str], list[TreeModule]]:
    """(files at the top, modules in course order with their files)."""
    top, modules = [], []
    for entry in source.entries(hidden=True):
        if entry.is_file:
            top.append(entry.relative)
        elif entry.is_dir:
            files = [e.relative for e in _files_under(source, entry.relative)]
            files.sort(key=lambda p: (p != f"{entry.relative}/module.md", [order_key(n) for n in p.split("/")]))
            modules.append(TreeModule(entry.relative, tuple(files)))
    return top, modules


def _files_under(source: WorkingSource, folder: str):
    for entry in source.entries(folder, hidden=True):
        if entry.is_dir:
            yield from _files_under(source, entry.relative)
        else:
            yield entry


def _check_name(name: str, what: str) -> str:
    name = name.strip().lower()
    if not RE_NAME.match(name):
        raise EditError(f"the {what} name may use lower-case letters, digits and hyphens, starting with a "
                        "letter or digit, e.g. 03-measuring-change")
    return name


def _front_matter(kind: str, item_id: str, title: str) -> bytes:
    title = title.strip().replace('"', "'")
    if not title:
        raise EditError("enter a title")
    body = "Write the lesson here.\n" if kind == "lesson" else f"# {title}\n\nWhat this module covers.\n"
    return f'---\nid: {item_id}\ntitle: "{title}"\n---\n\n{body}'.encode()


def add_lesson(course_key: str, seen_version: int, module: str, name: str, title: str, *,
               author_id: int | None, now: datetime) -> str:
    """A new lesson file ``module/name.md``; its id is the name without its number. Returns its path."""
    working = _working(course_key)
    if working.source.kind(f"{module}/module.md") != "file":
        raise EditError("choose a module for the lesson")
    name = _check_name(name, "lesson file")
    path = f"{module}/{name}.md"
    if working.source.kind(path) is not None:
        raise EditError(f"'{path}' already exists; choose another name")
    change_files(course_key, seen_version, {path: _front_matter("lesson", RE_PREFIX.sub("", name), title)},
                 author_id=author_id, now=now, action="course.lesson_added")
    return path


def add_module(course_key: str, seen_version: int, name: str, title: str, *,
               author_id: int | None, now: datetime) -> str:
    """A new module folder with its module.md. Returns the module.md path."""
    working = _working(course_key)
    name = _check_name(name, "module folder")
    if working.source.kind(name) is not None:
        raise EditError(f"'{name}' already exists; choose another name")
    path = f"{name}/module.md"
    change_files(course_key, seen_version, {path: _front_matter("module", RE_PREFIX.sub("", name), title)},
                 author_id=author_id, now=now, action="course.module_added")
    return path


def move(course_key: str, seen_version: int, old: str, new: str, *,
         author_id: int | None, now: datetime) -> str:
    """Rename or move a file or a module folder (with everything in it). Ids live in the front
    matter, so a lesson keeps its id, and learners their progress, wherever it goes."""
    working = _working(course_key)
    new = posixpath.normpath(new.strip().strip("/"))
    kind = working.source.kind(old)
    if kind is None:
        raise EditError(f"'{old}' is not in this course")
    if new.startswith(("../", "/")) or new in ("", ".", ".."):
        raise EditError("the new path must be inside the course")
    for part in new.split("/"):
        _check_name(part.removesuffix(".md") if kind == "file" else part, "new")
    if kind == "file" and old.endswith(".md") != new.endswith(".md"):
        raise EditError("a Markdown file keeps its .md ending")
    if working.source.kind(new) is not None:
        raise EditError(f"'{new}' already exists; choose another name")
    moved = [old] if kind == "file" else [p for p in working.source.files if p.startswith(old + "/")]
    changes: dict[str, bytes | None] = {}
    for path in moved:
        target = new + path[len(old):]
        changes[target] = working.source.read(path)
        changes[path] = None
    change_files(course_key, seen_version, changes, author_id=author_id, now=now, action="course.source_moved")
    return new


def delete(course_key: str, seen_version: int, path: str, *, author_id: int | None, now: datetime) -> None:
    """Delete a file, or a module folder with everything in it. Publishing refuses to drop ids
    learners have data on unless course.md lists them under ``retired``."""
    working = _working(course_key)
    kind = working.source.kind(path)
    if kind is None or path == "course.md":
        raise EditError("course.md cannot be deleted" if path == "course.md" else f"'{path}' is not in this course")
    gone = [path] if kind == "file" else [p for p in working.source.files if p.startswith(path + "/")]
    change_files(course_key, seen_version, dict.fromkeys(gone), author_id=author_id, now=now,
                 action="course.source_deleted")


def add_image(course_key: str, seen_version: int, lesson: str, filename: str, data: bytes, alt: str, *,
              author_id: int | None, now: datetime) -> str:
    """Put an image beside ``lesson`` (in its folder's images/) and add it to the end of the lesson
    with its alt text. PNG, JPEG or SVG without scripts, at most ``IMAGE_MAX_BYTES``. Returns its path."""
    working = _working(course_key)
    alt = " ".join(alt.split()).replace("]", ")").replace("[", "(")
    if not alt:
        raise EditError("describe the image for people who cannot see it (alt text)")
    if len(data) > IMAGE_MAX_BYTES:
        raise EditError(f"the image is larger than {IMAGE_MAX_BYTES // 1024 // 1024} MB; make it smaller")
    stem, extension = posixpath.splitext(posixpath.basename(filename.replace("\\", "/")).lower())
    if extension not in IMAGE_TYPES:
        raise EditError("the image must be a PNG, JPEG or SVG file")
    magic = IMAGE_TYPES[extension]
    if magic is not None and not data.startswith(magic):
        raise EditError(f"the file is not a {extension[1:].upper()} image")
    if magic is None:
        head = data.lstrip()[:1000].lower()
        if b"<svg" not in head or _RE_SVG_ACTIVE.search(data):
            raise EditError("the SVG image contains scripts, links or embedded content, or is not an SVG; "
                            "export it again as a plain picture, or as PNG")
    text = working.text(lesson)
    if text is None or not lesson.endswith(".md"):
        raise EditError("choose a lesson for the image")
    stem = re.sub(r"[^a-z0-9_-]+", "-", stem).strip("-") or "image"
    folder = posixpath.dirname(lesson)
    path = posixpath.join(folder, "images", stem + extension)
    n = 2
    while working.source.kind(path) is not None:
        path = posixpath.join(folder, "images", f"{stem}-{n}{extension}")
        n += 1
    snippet = f"\n![{alt}](images/{posixpath.basename(path)})\n"
    changes = {path: data, lesson: (text.rstrip("\n") + "\n" + snippet).encode("utf-8")}
    change_files(course_key, seen_version, changes, author_id=author_id, now=now, action="course.image_added",
                 conflict_path=lesson)
    return path


def _working(course_key: str) -> Working:
    working = working_copy(course_key)
    if working is None:
        raise EditError("this course has no source yet; publish it once with `flask content build`")
    return working


# -- publishing, history and rollback ------------------------------------------------------

def _publish(source: WorkingSource, course_key: str, *, author_id: int | None, now: datetime,
             message: str) -> tuple[PublishSummary, SourceRevision | None]:
    result = compile_working(source)
    if result.errors or not result.courses:
        raise PublishRefused("the course has errors; fix them and publish again", result.errors)
    compiled: CompiledCourse = result.courses[0]
    if compiled.id != course_key:
        raise PublishRefused(f"course.md's id is '{compiled.id}' but this course is '{course_key}'; "
                             "a course keeps its id")
    try:
        summary = publish_course(compiled, now, actor_id=author_id, via="editor")
    except PublishError as error:
        raise PublishRefused(str(error)) from error
    revision = record_revision(source, course_key, now, author_id=author_id, message=message,
                               compiled_revision=compiled.revision)
    return summary, revision


def publish_draft(course_key: str, seen_version: int, message: str, *, author_id: int | None,
                  now: datetime) -> tuple[PublishSummary, SourceRevision | None]:
    """Publish the working copy through the one publishing path, record it as the next revision
    and close the draft. Raises PublishRefused (errors, ids with learner data removed) or
    DraftConflict (the draft changed since the editor looked)."""
    working = _working(course_key)
    if working.version != seen_version:
        raise DraftConflict("", None, working.version)
    latest = latest_revision(course_key)
    if latest is not None and latest.id != working.revision.id:
        raise PublishRefused(f"revision {latest.number} was published after this draft was started from "
                             f"revision {working.revision.number}; discard the draft and make the changes again")
    message = message.strip() or "Published from the editor"
    summary, revision = _publish(working.source, course_key, author_id=author_id, now=now, message=message)
    if working.draft is not None:
        db.session.delete(working.draft)
    db.session.flush()
    return summary, revision


def rollback(course_key: str, number: int, *, author_id: int | None, now: datetime) -> SourceRevision | None:
    """Publish revision ``number``'s files again, as a new revision. An open draft is kept (it will
    be refused at publishing as started from an older revision)."""
    old = find_revision(course_key, number)
    if old is None:
        raise EditError(f"there is no revision {number}")
    _, revision = _publish(WorkingSource(old), course_key, author_id=author_id, now=now,
                           message=f"Rollback to revision {number}")
    audit.record("course.rolled_back", "course", course_key, actor_id=author_id, now=now,
                 after={"to_revision": number, "new_revision": revision.number if revision else None})
    return revision


def history(course_key: str) -> list[SourceRevision]:
    return list(db.session.scalars(select(SourceRevision).where(SourceRevision.course_key == course_key)
                                   .order_by(SourceRevision.number.desc())))


# -- new courses ---------------------------------------------------------------------------

class MemorySource(TreeSource):
    """Files held in memory (a new course's first files)."""

    def __init__(self, name: str, files: dict[str, bytes]) -> None:
        super().__init__(name, list(files))
        self.files = files

    def read(self, relative: str) -> bytes:
        try:
            return self.files[relative]
        except KeyError:
            raise FileNotFoundError(relative) from None


def create_course(key: str, title: str, tracks: list[str], *, author_id: int | None,
                  now: datetime) -> SourceRevision:
    """A new course (status draft, so learners do not see it) with one module and one lesson, recorded
    as revision 1 and published, so its educators can open it in the editor."""
    key = _check_name(key, "course id")
    title = title.strip().replace('"', "'")
    if not title:
        raise EditError("enter a title")
    if not tracks:
        raise EditError("choose at least one track")
    taken = db.session.scalar(select(Course.key).where((Course.key == key) | (Course.slug == key)))
    if taken is not None or latest_revision(key) is not None:
        raise EditError(f"a course with the id '{key}' already exists")
    files = {
        "course.md": (f'---\nid: {key}\ntitle: "{title}"\nsummary: "{title}."\nstatus: draft\n'
                      f"tracks: [{', '.join(tracks)}]\n"
                      f"cpd_hours: {{{', '.join(f'{t}: 1' for t in tracks)}}}\n"
                      "learning_outcomes:\n  - id: lo-first\n    text: Say what a learner will be able to do.\n"
                      f"---\n\nWhat {title} is about.\n").encode(),
        "01-first-module/module.md": _front_matter("module", f"{key}-m1", "First module"),
        "01-first-module/01-first-lesson.md": _front_matter("lesson", f"{key}-l1", "First lesson"),
    }
    source = MemorySource(key, files)
    result = compile_source(source, cache=CompileCache(current_app.config["CONTENT_CACHE_DIR"]))
    if result.errors or not result.courses:
        raise EditError("; ".join(str(f) for f in result.errors) or "the new course did not compile")
    try:
        publish_course(result.courses[0], now, actor_id=author_id, via="editor")
    except PublishError as error:
        raise EditError(str(error)) from error
    revision = record_revision(source, key, now, author_id=author_id, message="Course created",
                               compiled_revision=result.courses[0].revision)
    assert revision is not None  # a new course has no earlier revision
    audit.record("course.created", "course", key, actor_id=author_id, now=now, after={"title": title})
    return revision
