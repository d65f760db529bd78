"""A course folder's revision: one sha256 that changes whenever its compiled course could.

It is cheap (a read and a hash of every file, no parsing), so a build can compare it with
the revision it published last time and skip a course that has not changed at all.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

import markdown
import nh3
import pymdownx
import yaml

_PACKAGE_DIR = Path(__file__).resolve().parent


@functools.cache
def compiler_version() -> str:
    """sha256 of the compiler's own source and the versions of the libraries it renders with.

    Any change to the code in ``courses/`` or an upgrade of Markdown, pymdown-extensions,
    nh3 or PyYAML gives a new version, so nothing compiled by an older compiler is reused.
    """
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE_DIR.glob("*.py")):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    versions = [getattr(module, "__version__", "?") for module in (markdown, pymdownx, nh3, yaml)]
    digest.update(json.dumps(versions).encode("utf-8"))
    return digest.hexdigest()


def course_revision(folder: str | os.PathLike[str],
                    digests: dict[str, str] | None = None) -> str:
    """The revision of a course folder (the one holding course.md).

    sha256 of the folder's name (a course's default slug), the path and bytes of every file
    in it except hidden ones (names starting with '.'), where each symbolic link points, and
    ``compiler_version()``. Equal revisions mean the compiler would see exactly the same input.
    This is ``CompiledCourse.revision``. ``digests``, if given, receives each file's sha256.
    """
    root = Path(os.path.abspath(folder))
    files: list[list[str]] = []
    _walk(root, "", files)
    if digests is not None:  # each file's sha256, by path, for whoever stores the files
        digests.update((record[0], record[-1]) for record in files
                       if len(record) in (2, 4) and record[-2:-1] != ["unreadable"])
    return _digest([compiler_version(), root.name, files])


def _walk(folder: Path, prefix: str, files: list[list[str]]) -> None:
    try:
        with os.scandir(folder) as scan:
            entries = sorted((e for e in scan if not e.name.startswith(".")), key=lambda e: e.name)
    except OSError as exc:
        files.append([prefix or ".", "unreadable folder", exc.strerror or ""])
        return
    for entry in entries:
        relative = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            _walk(Path(entry.path), relative + "/", files)
            continue
        record = [relative]
        try:
            if entry.is_symlink():
                # a linked folder is hashed where it lives (or refused if that is outside the
                # course); a linked file is read through the link, as the compiler reads it
                record += ["link", os.readlink(entry.path)]
            if not entry.is_dir():
                with open(entry.path, "rb") as handle:
                    record.append(hashlib.sha256(handle.read()).hexdigest())
        except OSError as exc:
            record += ["unreadable", exc.strerror or ""]
        files.append(record)


def _digest(value: object) -> str:
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
