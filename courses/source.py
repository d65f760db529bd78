"""Where a course's files come from: a folder on disk or a ZIP archive.

The compiler reads a course only through a ``CourseSource``: it lists folders, reads bytes
and asks whether a path leads outside the course. Paths are relative to the course folder,
with '/' between folders ("" is the course folder itself). Findings name a file as
``source.root / relative``. A database-backed source lives in ``lms.publishing`` (this
package imports nothing from the web app).
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .revision import _digest, compiler_version, course_revision

_RE_ORDER = re.compile(r"^(\d+)")


def order_key(name: str) -> tuple[float, str]:
    """Numeric prefixes first ("2-" before "10-"), then by name."""
    match = _RE_ORDER.match(name)
    return (int(match.group(1)) if match else float("inf"), name)


def visible(name: str) -> bool:
    """Names starting with '.' or '_' are ignored by the compiler."""
    return not name.startswith((".", "_"))


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a folder listing."""

    name: str
    relative: str  # from the course folder, '/' separated
    is_file: bool
    is_dir: bool


class CourseSource:
    """A course's files. Subclasses implement ``_names``, ``kind``, ``read`` and may refine
    ``escapes`` and ``revision``. Every method may raise ``OSError`` for an unreadable item."""

    name: str  # the course folder's name: the course's default slug
    root: Path  # what findings and ``Asset.source_path`` are relative to

    def _names(self, relative: str) -> list[str]:
        raise NotImplementedError

    def kind(self, relative: str) -> str | None:
        """"file", "dir" or None when nothing is there."""
        raise NotImplementedError

    def read(self, relative: str) -> bytes:
        raise NotImplementedError

    def escapes(self, relative: str, *, through_folders: bool = False) -> bool:
        """True if the item is a link to something outside the course; ``through_folders``
        also follows links among the folders above it."""
        return False

    def entries(self, relative: str = "", *, hidden: bool = False) -> list[Entry]:
        """The items of a folder in course order; ``hidden`` includes names starting with
        '.' or '_'."""
        found = []
        for name in self._names(relative):
            if not hidden and not visible(name):
                continue
            child = f"{relative}/{name}" if relative else name
            kind = self.kind(child)
            found.append(Entry(name, child, kind == "file", kind == "dir"))
        return sorted(found, key=lambda e: order_key(e.name))

    def path(self, relative: str) -> Path:
        return self.root / relative if relative else self.root

    def relative(self, path: Path | str) -> str:
        text, root = str(path), str(self.root)
        if text.startswith(root + os.sep):  # the usual case, without Path's slower arithmetic
            return text[len(root) + 1:].replace(os.sep, "/")
        return Path(path).relative_to(self.root).as_posix().removeprefix(".")

    def digest(self, relative: str) -> str:
        """sha256 of one file's bytes."""
        return hashlib.sha256(self.read(relative)).hexdigest()

    def all_files(self, relative: str = "") -> list[str]:
        """Every file in the course, by path, except names starting with '.' (as an editor
        or git leaves them): what a stored revision keeps."""
        found: list[str] = []
        for name in sorted(n for n in self._names(relative) if not n.startswith(".")):
            child = f"{relative}/{name}" if relative else name
            if self.kind(child) == "dir":
                found.extend(self.all_files(child))
            else:
                found.append(child)
        return found

    def revision(self) -> str:
        """``course_revision``: changes whenever the compiled course could."""
        files: list[list[str]] = []
        self._walk("", files)
        return _digest([compiler_version(), self.name, files])

    def _walk(self, relative: str, files: list[list[str]]) -> None:
        for name in sorted(n for n in self._names(relative) if not n.startswith(".")):
            child = f"{relative}/{name}" if relative else name
            if self.kind(child) == "dir":
                self._walk(child, files)
            else:
                files.append([child, self.digest(child)])


class FolderSource(CourseSource):
    """A course folder on disk (the folder holding course.md)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.abspath(folder))
        self.name = self.root.name

    def _names(self, relative: str) -> list[str]:
        with os.scandir(self.path(relative)) as scan:
            return [entry.name for entry in scan]

    def kind(self, relative: str) -> str | None:
        path = self.path(relative)
        if path.is_file():
            return "file"
        return "dir" if path.is_dir() else None

    def read(self, relative: str) -> bytes:
        return self.path(relative).read_bytes()

    def escapes(self, relative: str, *, through_folders: bool = False) -> bool:
        path = self.path(relative)
        if not through_folders and relative and not path.is_symlink():
            return False  # its folder was checked already
        real = os.path.realpath(path)
        root = os.path.realpath(self.root)
        return os.path.commonpath([root, real]) != root

    def revision(self) -> str:
        self.digests: dict[str, str] = {}
        return course_revision(self.root, self.digests)

    def digest(self, relative: str) -> str:
        # the revision hashed every file as the build began: the files the build compiled
        known = getattr(self, "digests", {}).get(relative)
        return known or super().digest(relative)


class TreeSource(CourseSource):
    """A course whose files are known by path up front (an archive, a stored revision):
    folders are the paths' prefixes. Subclasses implement ``read``."""

    def __init__(self, name: str, paths: list[str], root: Path | None = None) -> None:
        self.name = name
        self.root = root or Path(name)
        self.paths = set(paths)
        self.folders = {"/".join(parts[:i]) for path in self.paths
                        for parts in [path.split("/")] for i in range(1, len(parts))}

    def _names(self, relative: str) -> list[str]:
        if relative and relative not in self.folders:
            raise FileNotFoundError(relative)
        prefix = relative + "/" if relative else ""
        return sorted({n[len(prefix):].split("/", 1)[0] for n in (*self.paths, *self.folders)
                       if n.startswith(prefix) and n != relative})

    def kind(self, relative: str) -> str | None:
        if relative in self.paths:
            return "file"
        return "dir" if relative == "" or relative in self.folders else None


class ZipError(ValueError):
    """The archive cannot be read as a course."""


#: what an uploaded course may hold, so an archive cannot exhaust memory or disk
ZIP_MAX_FILES = 2000
ZIP_MAX_BYTES = 50 * 1024 * 1024
ZIP_MAX_RATIO = 100


class ZipSource(TreeSource):
    """A course in a ZIP archive: course.md at the top, or inside the one top-level folder
    (whose name is then the course's folder name). Paths leading outside the archive,
    links, more than ``ZIP_MAX_FILES`` files, more than ``ZIP_MAX_BYTES`` unpacked and
    members compressed more than ``ZIP_MAX_RATIO`` to 1 are refused with ``ZipError``."""

    def __init__(self, data: bytes, name: str = "course", *, root: Path | None = None) -> None:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            infos = archive.infolist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise ZipError(f"the file is not a ZIP archive ({exc})") from exc
        members = [info for info in infos if not info.is_dir()]
        if len(members) > ZIP_MAX_FILES:
            raise ZipError(f"the archive holds {len(members)} files; a course may hold at most "
                           f"{ZIP_MAX_FILES}")
        if sum(info.file_size for info in members) > ZIP_MAX_BYTES:
            raise ZipError(f"the archive unpacks to more than {ZIP_MAX_BYTES // 1024 // 1024} "
                           "MB; make the images smaller or leave out files learners do not see")
        for info in members:
            if info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1) \
                    and info.file_size > 1024 * 1024:
                raise ZipError(f"'{info.filename}' is compressed more than {ZIP_MAX_RATIO} to 1, "
                               "which a real course file never is; the archive is refused")
        files: dict[str, bytes] = {}
        for info in infos:
            clean = _clean_member(info.filename)
            if clean is None:
                raise ZipError(_outside(info.filename))
            if info.is_dir():
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise ZipError(f"'{info.filename}' is a symbolic link; put the file itself in")
            try:
                files[clean] = archive.read(info)
            except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
                raise ZipError(f"'{info.filename}' cannot be unpacked ({exc})") from exc
        top = {name.split("/", 1)[0] for name in files}
        #: the archive's one top folder, when the course is inside one (its name is the course's)
        self.top_folder: str | None = None
        if "course.md" not in files and len(top) == 1 and all("/" in n for n in files):
            prefix = self.top_folder = top.pop()
            name = prefix
            files = {n[len(prefix) + 1:]: data for n, data in files.items()}
        super().__init__(name, list(files), root)
        self.files = files

    def renamed(self, name: str) -> ZipSource:
        """The same files as the course folder ``name`` (for an archive without a top
        folder, whose name the caller decides)."""
        other = object.__new__(ZipSource)
        TreeSource.__init__(other, name, list(self.files))
        other.files, other.top_folder = self.files, self.top_folder
        return other

    def read(self, relative: str) -> bytes:
        try:
            return self.files[relative]
        except KeyError:
            raise FileNotFoundError(relative) from None


def _outside(name: str) -> str:
    """Why a member whose path leads outside the archive is refused."""
    if _absolute(name.replace("\\", "/")):
        return (f"'{name}' is an absolute path; the archive may hold only paths inside the "
                "course folder, such as 01-module/01-lesson.md")
    return (f"'{name}' uses '..' to reach outside the archive; the archive may hold only paths "
            "inside the course folder")


def _absolute(name: str) -> bool:
    return name.startswith("/") or PurePosixPath(name).is_absolute() \
        or re.match(r"^[A-Za-z]:", name) is not None


def _clean_member(name: str) -> str | None:
    """A member's path, normalised; None if absolute or leading out of the archive."""
    name = name.replace("\\", "/")
    if _absolute(name):
        return None
    clean = posixpath.normpath(name)
    if clean == ".." or clean.startswith("../"):
        return None
    return "" if clean == "." else clean


class EditedSource(CourseSource):
    """``base`` with some files' bytes replaced or new files added (an edit not saved yet):
    what a preview compiles. ``edits`` maps a path (relative, '/' separated) to its bytes."""

    def __init__(self, base: CourseSource, edits: dict[str, bytes]) -> None:
        self.base = base
        self.name = base.name
        self.root = base.root
        self.edits = dict(edits)
        self.added = {"/".join(parts[:i]) for path in self.edits
                      for parts in [path.split("/")] for i in range(1, len(parts))}

    def _names(self, relative: str) -> list[str]:
        names = set(self.base._names(relative)) if self.base.kind(relative) == "dir" else set()
        prefix = relative + "/" if relative else ""
        names.update(p[len(prefix):].split("/", 1)[0] for p in (*self.edits, *self.added)
                     if p.startswith(prefix) and p != relative)
        if not names and relative and relative not in self.added:
            raise FileNotFoundError(relative)
        return sorted(names)

    def kind(self, relative: str) -> str | None:
        if relative in self.edits:
            return "file"
        if relative in self.added:
            return "dir"
        return self.base.kind(relative)

    def read(self, relative: str) -> bytes:
        if relative in self.edits:
            return self.edits[relative]
        return self.base.read(relative)

    def escapes(self, relative: str, *, through_folders: bool = False) -> bool:
        if relative in self.edits or relative in self.added:
            return False
        return self.base.escapes(relative, through_folders=through_folders)

    def digest(self, relative: str) -> str:
        if relative in self.edits:
            return hashlib.sha256(self.edits[relative]).hexdigest()
        return self.base.digest(relative)
