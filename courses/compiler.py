"""Compiling a folder of Markdown into courses: the one entry point the app calls."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import quality, study
from .cache import (
    DAMAGED,
    CompileCache,
)
from .files import LINK_TOKEN as _LINK_TOKEN
from .files import RE_LINK_TOKEN as _RE_LINK_TOKEN
from .files import FileResult, FileSettings, Link, compile_file
from .findings import Collector, Finding, exit_code_for
from .frontmatter import FrontMatter, split_front_matter
from .model import (
    Asset,
    CompiledCourse,
    CompiledLesson,
    CompiledModule,
    QuestionSpec,
    TrackMap,
)
from .render import LinkContext
from .scanner import Scanned
from .source import CourseSource, FolderSource, order_key, visible
from .validate import (
    CourseMeta,
    LessonMeta,
    ModuleMeta,
    read_course_meta,
    read_module_meta,
)

DEFAULT_ASSET_URL = "/courses/{slug}/assets/{path}"
DEFAULT_LESSON_URL = "/courses/{slug}/{module}/{lesson}/"


@dataclass(frozen=True, slots=True)
class CourseSummary:
    """Counts for one course folder, whether or not it compiled."""

    id: str
    path: str
    modules: int
    lessons: TrackMap[int]
    questions: TrackMap[int]
    errors: int
    warnings: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "modules": self.modules,
                "lessons": dict(self.lessons), "questions": dict(self.questions),
                "errors": self.errors, "warnings": self.warnings}


@dataclass(frozen=True, slots=True)
class CompileResult:
    """Courses that compiled without errors, and every finding in file order.

    ``unchanged`` holds the ids of courses that were not compiled at all because their
    revision is the one already published (see ``compile_folder``)."""

    courses: tuple[CompiledCourse, ...]
    findings: tuple[Finding, ...]
    summaries: tuple[CourseSummary, ...] = ()
    unchanged: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 clean (warnings allowed), 1 content errors, 2 the folder could not be read."""
        return exit_code_for(self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    def course(self, course_id: str) -> CompiledCourse | None:
        return next((c for c in self.courses if c.id == course_id), None)


def _digest(value: Any) -> str:
    """sha256 of a canonical JSON form of ``value``."""
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _html_digests(html: TrackMap[str]) -> dict[str, str]:
    """sha256 of each track's HTML; tracks usually share one string, hashed once."""
    done: dict[int, str] = {}
    result: dict[str, str] = {}
    for track, text in html.items():
        digest = done.get(id(text))
        if digest is None:
            digest = done[id(text)] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        result[track] = digest
    return result


_order_key = order_key
_visible = visible


def _check_url_templates(asset_url: str, lesson_url: str) -> None:
    try:
        asset_url.format(slug="s", path="p", sha256="h")
        lesson_url.format(slug="s", module="m", lesson="l")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            "asset_url may use {slug}, {path} and {sha256}; lesson_url may use {slug}, {module} "
            f"and {{lesson}} ({exc})") from exc


def compile_folder(path: str | os.PathLike[str], *,
                   ids_with_learner_data: Mapping[str, Collection[str]] | None = None,
                   asset_url: str = DEFAULT_ASSET_URL,
                   lesson_url: str = DEFAULT_LESSON_URL,
                   cache: CompileCache | None = None,
                   published_revisions: Mapping[str, str] | None = None) -> CompileResult:
    """Compile ``path``: a folder of course folders, or one course folder (with course.md).

    Never raises for bad content: every problem is a finding, reported in file order.
    ``ids_with_learner_data`` maps a course id to the ids (of modules, lessons, questions,
    reflections) that learners have data on; removing one without listing it in the course's
    ``retired`` is an error. ``asset_url`` and ``lesson_url`` are formatted to rewrite image
    and lesson links. Only courses without errors are in ``result.courses``.

    With a ``cache``, a file whose inputs are all as they were when it was last compiled is
    taken from the cache instead of being compiled again; the result, findings included, is
    the same as without one. ``published_revisions`` maps a course id to the revision
    published for it: a course folder whose course.md has that id and whose
    ``course_revision`` is that revision is not compiled at all (nor checked, apart from its
    id and slug clashing with another course's) and is listed in ``result.unchanged``.
    """
    _check_url_templates(asset_url, lesson_url)
    root = Path(os.path.abspath(path))
    collector = Collector()
    if not root.is_dir():
        problem = "is not a folder" if root.exists() else "does not exist"
        collector.add(root, 1, "E001", f"the folder {problem}; check the path")
        return CompileResult((), collector.findings())
    if (root / "course.md").is_file():
        course_dirs = [root]
    else:
        try:
            entries = _listing(root)
        except OSError as exc:
            collector.add(root, 1, "E001", f"the folder cannot be read ({exc.strerror})")
            return CompileResult((), collector.findings())
        course_dirs = []
        for entry in entries:
            if not entry.is_dir():
                continue
            folder = Path(entry.path)
            if (folder / "course.md").is_file():
                course_dirs.append(folder)
            elif _has_markdown(folder, depth=2):
                collector.add(folder, 1, "E003",
                              f"the folder '{entry.name}' holds Markdown files but no course.md; "
                              "add a course.md, or move the folder out of the content folder")
        if not course_dirs and not collector.has_errors:
            collector.add(root, 1, "E002",
                          "no course found: the folder should hold course folders, each with a "
                          "course.md (or be a course folder itself)")
            return CompileResult((), collector.findings())
    return _compile_sources([FolderSource(d) for d in course_dirs], collector, _Settings(
        ids_with_learner_data or {}, asset_url, lesson_url, cache, published_revisions or {}))


def compile_source(source: CourseSource, *,
                   ids_with_learner_data: Mapping[str, Collection[str]] | None = None,
                   asset_url: str = DEFAULT_ASSET_URL,
                   lesson_url: str = DEFAULT_LESSON_URL,
                   cache: CompileCache | None = None,
                   published_revisions: Mapping[str, str] | None = None) -> CompileResult:
    """Compile one course from any ``CourseSource`` (a folder, a ZIP, a stored revision);
    see ``compile_folder``. The compiled course's ``source`` is ``source``."""
    _check_url_templates(asset_url, lesson_url)
    collector = Collector()
    try:
        has_course = source.kind("course.md") == "file"
    except OSError as exc:
        collector.add(source.root, 1, "E001", f"the course cannot be read ({exc})")
        return CompileResult((), collector.findings())
    if not has_course:
        collector.add(source.root, 1, "E002", "no course.md in this folder; a course folder "
                      "starts with a course.md file")
        return CompileResult((), collector.findings())
    return _compile_sources([source], collector, _Settings(
        ids_with_learner_data or {}, asset_url, lesson_url, cache, published_revisions or {}))


def compile_course(path: str | os.PathLike[str], *,
                   ids_with_learner_data: Mapping[str, Collection[str]] | None = None,
                   asset_url: str = DEFAULT_ASSET_URL,
                   lesson_url: str = DEFAULT_LESSON_URL,
                   cache: CompileCache | None = None,
                   published_revisions: Mapping[str, str] | None = None) -> CompileResult:
    """Compile one course folder (the folder holding course.md); see ``compile_folder``."""
    _check_url_templates(asset_url, lesson_url)
    root = Path(os.path.abspath(path))
    collector = Collector()
    if not root.is_dir():
        problem = "is not a folder" if root.exists() else "does not exist"
        collector.add(root, 1, "E001", f"the folder {problem}; check the path")
        return CompileResult((), collector.findings())
    if not (root / "course.md").is_file():
        collector.add(root, 1, "E002", "no course.md in this folder; a course folder starts with "
                      "a course.md file")
        return CompileResult((), collector.findings())
    return _compile_sources([FolderSource(root)], collector, _Settings(
        ids_with_learner_data or {}, asset_url, lesson_url, cache, published_revisions or {}))


def _has_markdown(folder: Path, depth: int) -> bool:
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_file() and entry.name.lower().endswith(".md"):
                    return True
                if depth > 1 and entry.is_dir() and _visible(entry.name) and _has_markdown(
                        Path(entry.path), depth - 1):
                    return True
    except OSError:
        return False
    return False


def _has_markdown_in(source: CourseSource, relative: str, depth: int) -> bool:
    try:
        for entry in source.entries(relative, hidden=True):
            if entry.is_file and entry.name.lower().endswith(".md"):
                return True
            if depth > 1 and entry.is_dir and _visible(entry.name) and _has_markdown_in(
                    source, entry.relative, depth - 1):
                return True
    except OSError:
        return False
    return False


def _listing(folder: Path | str) -> list[os.DirEntry[str]]:
    """The visible entries of a folder, in order (numeric prefixes first)."""
    with os.scandir(folder) as entries:
        return sorted((e for e in entries if _visible(e.name)), key=lambda e: _order_key(e.name))


@dataclass(frozen=True, slots=True)
class _Settings:
    """What a compile was asked for, the same for every course folder."""

    learner_data: Mapping[str, Collection[str]]
    asset_url: str
    lesson_url: str
    cache: CompileCache | None
    published: Mapping[str, str]


class _Unchanged:
    """A course folder whose revision is the published one: only its id and slug are read."""

    def __init__(self, source: CourseSource, front: FrontMatter, course_id: str,
                 slug: str) -> None:
        self.course_file = source.path("course.md")
        self.course_front = front
        self.meta = CourseMeta(course_id, "", (), slug)
        self.collector = Collector()


def _unchanged(source: CourseSource, revision: str,
               published: Mapping[str, str]) -> _Unchanged | None:
    """The course folder as unchanged if course.md's id was published at ``revision``."""
    try:
        text = source.read("course.md").decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    front = split_front_matter(text.replace("\r\n", "\n").replace("\r", "\n"))
    data = front.data or {}
    course_id, slug = data.get("id"), data.get("slug")
    if not isinstance(course_id, str) or published.get(course_id) != revision:
        return None
    slug = slug.strip() if isinstance(slug, str) else source.name
    return _Unchanged(source, front, course_id, slug)


def _compile_sources(sources: list[CourseSource], collector: Collector,
                     settings: _Settings) -> CompileResult:
    folders: list[_CourseBuild | _Unchanged] = []
    for source in sources:
        # hashed before reading, so an edit made during the build shows at the next one
        revision = source.revision()
        unchanged = _unchanged(source, revision, settings.published) \
            if settings.published else None
        if unchanged is not None:
            folders.append(unchanged)
            continue
        build = _CourseBuild(read_course(source, cache=settings.cache, revision=revision),
                             settings)
        build.run()
        folders.append(build)
    seen_ids: dict[str, str] = {}
    seen_slugs: dict[str, str] = {}
    for folder in folders:
        meta = folder.meta
        if meta is None:
            continue
        first = seen_ids.get(meta.id)
        if first is not None and meta.id_ok:
            folder.collector.add(
                folder.course_file, folder.course_front.line_of("id"), "E031",
                f"the course id '{meta.id}' is already used by {first}; give each course its "
                "own id")
        seen_ids.setdefault(meta.id, folder.collector.register(folder.course_file))
        first = seen_slugs.get(meta.slug)
        if first is not None:
            folder.collector.add(
                folder.course_file, folder.course_front.line_of("slug"), "E034",
                f"the slug '{meta.slug}' is already used by {first}; add a different 'slug:'")
        seen_slugs.setdefault(meta.slug, folder.collector.register(folder.course_file))
    courses: list[CompiledCourse] = []
    summaries: list[CourseSummary] = []
    unchanged_ids: list[str] = []
    for folder in folders:
        collector.extend(folder.collector)
        if isinstance(folder, _Unchanged):
            unchanged_ids.append(folder.meta.id)
            continue
        summaries.append(folder.summary())
        if folder.compiled is not None and not folder.collector.has_errors:
            courses.append(folder.compiled)
    return CompileResult(tuple(courses), collector.findings(), tuple(summaries),
                         tuple(unchanged_ids))


@dataclass(slots=True)
class _Source:
    path: Path
    front: FrontMatter
    scanned: Scanned | None = None


@dataclass(slots=True)
class _LessonBuild:
    source: _Source
    meta: LessonMeta
    position: int
    result: FileResult | None  # until its body is added to the course
    question_tracks: list[tuple[str, ...]] = field(default_factory=list)  # per question


def _attribute(url: str) -> str:
    """A URL as the sanitiser writes it in a double-quoted attribute."""
    return url.replace("&", "&amp;").replace('"', "&quot;").replace("\xa0", "&nbsp;")


@dataclass(slots=True)
class _ModuleBuild:
    source: _Source | None
    folder: Path
    meta: ModuleMeta
    position: int
    lessons: list[_LessonBuild] = field(default_factory=list)
    compiled: list[CompiledLesson] = field(default_factory=list)
    intro: TrackMap[str] | None = None
    page: FileResult | None = None  # module.md's body, compiled on its own


@dataclass(slots=True)
class CourseFiles:
    """A course read from its source, each file compiled on its own: what ``assemble`` takes.

    ``collector`` holds what reading found (the layout, unreadable files, the front matter of
    course.md and module.md); ``meta`` is None when course.md could not be read. Lessons keep
    their ``FileResult`` in ``modules[i].lessons[j].result``; ``overview`` is course.md's.
    """

    source: CourseSource
    revision: str
    collector: Collector
    meta: CourseMeta | None = None
    course_front: FrontMatter = field(default_factory=lambda: FrontMatter(None, {}, [], 1))
    overview: FileResult | None = None
    modules: list[_ModuleBuild] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Assembled:
    """What ``assemble`` made of a course: ``course`` only when there are no errors (with
    them, ``draft`` still holds what compiled, for previews), every finding in file order,
    and the course's counts."""

    course: CompiledCourse | None
    draft: CompiledCourse | None
    findings: tuple[Finding, ...]
    summary: CourseSummary


def read_course(source: CourseSource, *, cache: CompileCache | None = None,
                revision: str | None = None) -> CourseFiles:
    """Read ``source`` and ``compile_file`` each of its files (through ``cache``, by content
    hash); the checks across files are left to ``assemble``. Never raises for bad content.
    ``revision`` is ``source.revision()`` when the caller has it already."""
    return _CourseReader(source, cache).run(source.revision() if revision is None else revision)


def assemble(files: CourseFiles, learner_data: Mapping[str, Collection[str]] | None = None, *,
             asset_url: str = DEFAULT_ASSET_URL,
             lesson_url: str = DEFAULT_LESSON_URL) -> Assembled:
    """Put a course's compiled files together: claim ids, resolve links and images, check
    what needs the whole course (tracks, outcomes, quiz settings, ids learners have data on:
    ``learner_data`` maps a course id to them) and take the content hashes.

    Leaves ``files`` as it was, so it can be assembled again (a preview after an edit)."""
    _check_url_templates(asset_url, lesson_url)
    build = _CourseBuild(files, _Settings(learner_data or {}, asset_url, lesson_url, None, {}),
                         keep=True)
    build.run()
    compiled = build.compiled
    return Assembled(None if build.collector.has_errors else compiled, compiled,
                     build.collector.findings(), build.summary())


class _CourseReader:
    """Reads one course's files from its source and compiles each on its own, collecting
    what reading finds."""

    def __init__(self, source: CourseSource, cache: CompileCache | None) -> None:
        self.source = source
        self.course_dir = source.root
        self.course_file = source.root / "course.md"
        self.cache = cache
        self.collector = Collector()
        self.digests: dict[Path, str] = {}

    # -- reading -------------------------------------------------------------------------

    def read_text(self, path: Path) -> str | None:
        try:
            data = self.source.read(self.source.relative(path))
        except OSError as exc:
            self.collector.add(path, 1, "E005", f"the file cannot be read ({exc.strerror})")
            return None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            self.collector.add(path, line, "E005",
                               "the file is not UTF-8 text; save it as UTF-8 in your editor")
            return None
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if self.cache is not None:
            self.digests[path] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return text

    def split(self, path: Path, text: str, sink: Collector) -> FrontMatter:
        front = split_front_matter(text)
        for problem in front.problems:
            sink.add(path, problem.line, problem.code, problem.message)
        return front

    def inside(self, path: Path) -> bool:
        if not self.source.escapes(self.source.relative(path)):
            return True
        self.collector.add(path, 1, "E006",
                           f"'{path.name}' is a link to something outside the course folder; "
                           "copy the file or folder into the course instead")
        return False

    def layout(self) -> list[tuple[Path, list[Path]]]:
        """Module folders with their lesson files, in order; reports what is ignored."""
        modules: list[tuple[Path, list[Path]]] = []
        source = self.source
        for entry in source.entries(""):
            path = source.path(entry.relative)
            if entry.is_file:
                if entry.name.lower().endswith(".md") and entry.name != "course.md":
                    self.collector.add(path, 1, "W005",
                                       f"'{entry.name}' is not part of the course: lessons go in "
                                       "a module folder (one with a module.md)")
                continue
            if not entry.is_dir or not self.inside(path):
                continue
            if source.kind(entry.relative + "/module.md") != "file":
                if _has_markdown_in(source, entry.relative, depth=1):
                    self.collector.add(path, 1, "E004",
                                       f"the folder '{entry.name}' holds Markdown files but no "
                                       "module.md; add a module.md with the module's id and "
                                       "title")
                continue
            lessons: list[Path] = []
            for item in source.entries(entry.relative):
                item_path = source.path(item.relative)
                if item.is_file and item.name.lower().endswith(".md") \
                        and item.name != "module.md":
                    if self.inside(item_path):
                        lessons.append(item_path)
                elif item.is_dir and _has_markdown_in(source, item.relative, depth=3):
                    self.collector.add(item_path, 1, "W005",
                                       f"the Markdown files in '{item.name}' are ignored: "
                                       "lessons must sit directly in the module folder")
            modules.append((path, lessons))
        return modules

    # -- compiling each file -------------------------------------------------------------

    def run(self, revision: str) -> CourseFiles:
        files = CourseFiles(self.source, revision, self.collector)
        course_file = self.course_file
        self.collector.register(course_file)
        try:
            module_dirs = self.layout()
        except OSError as exc:
            self.collector.add(self.course_dir, 1, "E001",
                               f"the course folder cannot be read ({exc.strerror})")
            return files
        for folder, lessons in module_dirs:
            self.collector.register(folder / "module.md")
            for lesson in lessons:
                self.collector.register(lesson)
        text = self.read_text(course_file)
        if text is None:
            return files
        front = files.course_front = self.split(course_file, text, self.collector)
        meta = files.meta = read_course_meta(front, course_file, self.collector,
                                             self.course_dir.name)
        for position, (folder, lesson_paths) in enumerate(module_dirs, start=1):
            files.modules.append(self.read_module(folder, lesson_paths, position, meta))
        files.overview = self.compile_cached(course_file, text, "course", FileSettings(meta.tracks))
        return files

    def cache_key(self, kind: str, path: Path, *context: Any) -> str | None:
        """sha256 of everything compiling the file at ``path`` depends on: its text, its kind
        and ``context`` (the tracks and name it inherits); never other files."""
        if self.cache is None or path not in self.digests:
            return None
        return _digest([self.cache.version, kind, self.digests[path], *context])

    def compile_cached(self, path: Path, text: str, kind: str,
                       settings: FileSettings) -> FileResult:
        """``compile_file`` for one of the course's files, through the cache if there is one."""
        key = self.cache_key(kind, path, settings.tracks, settings.name)
        if key is not None:
            assert self.cache is not None
            entry = self.cache.get(key)
            try:
                if entry is None:
                    raise ValueError("no entry")
                result = FileResult.from_json(kind, entry)
            except DAMAGED:
                self.cache.misses += 1
            else:
                self.cache.hits += 1
                return result
        result = compile_file(text, kind, settings, path=path)
        if key is not None:
            assert self.cache is not None
            self.cache.put(key, result.to_json())
        return result

    def read_lesson(self, path: Path, position: int,
                    module_tracks: tuple[str, ...]) -> _LessonBuild | None:
        """Compile a lesson (its front matter is read with its module's tracks)."""
        text = self.read_text(path)
        if text is None:
            return None
        result = self.compile_cached(path, text, "lesson", FileSettings(module_tracks, path.stem))
        assert result.meta is not None
        return _LessonBuild(_Source(path, FrontMatter(None, result.front_lines, [], 1)),
                            result.meta, position, result, result.question_tracks)

    def read_module(self, folder: Path, lesson_paths: list[Path], position: int,
                    course: CourseMeta) -> _ModuleBuild:
        module_file = folder / "module.md"
        text = self.read_text(module_file)
        if text is None:
            module = _ModuleBuild(None, folder, ModuleMeta(folder.name, folder.name,
                                                           course.tracks, False), position)
        else:
            front = self.split(module_file, text, self.collector)
            meta = read_module_meta(front, module_file, self.collector, course.tracks,
                                    folder.name)
            module = _ModuleBuild(_Source(module_file, front), folder, meta, position)
        for index, lesson_path in enumerate(lesson_paths, start=1):
            lesson = self.read_lesson(lesson_path, index, module.meta.tracks)
            if lesson is not None:
                module.lessons.append(lesson)
        if text is not None:
            module.page = self.compile_cached(module_file, text, "module",
                                              FileSettings(module.meta.tracks))
        return module


class _CourseBuild:
    """Assembles one course from its compiled files, collecting its findings. Without
    ``keep``, each file's result is dropped as soon as used (garbage collection stays cheap
    in a large build) and ``files`` cannot be assembled again. With ``only`` (a lesson's
    path), only that lesson is linked and finished (``previewed``): the other files' ids
    and findings still count, but their links are not resolved and nothing is built."""

    def __init__(self, files: CourseFiles, settings: _Settings, *, keep: bool = False,
                 only: Path | None = None) -> None:
        self.files = files
        self.keep = keep
        self.only = only
        self.previewed: CompiledLesson | None = None
        self.source = source = files.source
        self.course_dir = course_dir = source.root
        self.course_file = course_dir / "course.md"
        self.learner_data = settings.learner_data
        self.asset_url = settings.asset_url
        self.lesson_url = settings.lesson_url
        self.revision = files.revision
        self.collector = files.collector.copy() if keep else files.collector
        self.meta: CourseMeta | None = files.meta
        self.course_front = files.course_front
        self.modules: list[_ModuleBuild] = [
            replace(m, lessons=list(m.lessons), compiled=[]) for m in files.modules] \
            if keep else files.modules
        self.ids: dict[str, tuple[str, int]] = {}
        self.assets: dict[str, Asset] = {}
        self.lesson_files: dict[str, tuple[str, str]] = {}
        self.compiled: CompiledCourse | None = None

    def claim(self, item_id: str, path: Path, line: int) -> None:
        first = self.ids.get(item_id)
        if first is not None:
            self.collector.add(path, line, "E031",
                               f"the id '{item_id}' is already used at {first[0]}:{first[1]}; "
                               "every module, lesson, question, reflection and learning outcome "
                               "needs its own id")
        else:
            self.ids[item_id] = (self.collector.register(path), line)

    # -- assembling ----------------------------------------------------------------------

    def run(self) -> CompiledCourse | None:
        meta, front, course_file = self.meta, self.course_front, self.course_file
        if meta is None:
            return None
        if meta.id_ok:
            self.claim(meta.id, course_file, front.line_of("id"))
        for outcome in meta.outcomes:
            self.claim(outcome.id, course_file, meta.outcome_lines[outcome.id])
        if not self.modules:
            self.collector.add(course_file, 1, "E007",
                               "the course has no modules; add a folder with a module.md and "
                               "lesson files")
        for module in self.modules:
            if module.source is not None and module.meta.id_ok:
                self.claim(module.meta.id, module.source.path,
                           module.source.front.line_of("id"))
            for lesson in module.lessons:
                assert lesson.result is not None
                self.replay(lesson.source.path, lesson.result.front_events)
        self.lesson_files = {
            os.path.normcase(str(lesson.source.path)): (module.meta.id, lesson.meta.id)
            for module in self.modules for lesson in module.lessons}
        assert self.files.overview is not None
        overview = self.render_page(course_file, self.files.overview, meta.slug)
        for module in self.modules:
            if module.source is not None and module.page is not None:
                module.intro = self.render_page(module.source.path, module.page, meta.slug)
            for lesson in module.lessons:
                if self.only is not None and lesson.source.path != self.only:
                    assert lesson.result is not None
                    self.replay(lesson.source.path, lesson.result.events)
                    continue
                module.compiled.append(self.compile_lesson(lesson, meta))
                self.previewed = module.compiled[-1]
        self.check_structure(meta)
        self.check_questions()
        if self.only is not None:
            return None
        return self.build(meta, overview)

    def linker(self, path: Path, links: list[Link], slug: str) -> tuple[Any, LinkContext]:
        """Resolve a file's links and images across the course, reporting their problems;
        returns the function that puts the published addresses into the file's HTML."""
        url_lines: dict[str, int] = {}
        for _, _, original, line in links:
            url_lines.setdefault(original, line)
        ctx = LinkContext(path, self.course_dir, slug, self.asset_url, self.lesson_url,
                          self.lesson_files, self.assets, url_lines, 1, self.collector,
                          source=self.source)
        urls = [ctx.resolve(tag, url, original) for tag, url, original, _ in links]
        done: dict[int, str] = {}

        def substitute(html: str) -> str:
            if not urls or _LINK_TOKEN not in html:
                return html
            result = done.get(id(html))
            if result is None:
                result = done[id(html)] = _RE_LINK_TOKEN.sub(
                    lambda m: "" if urls[int(m.group(2))] is None
                    else f' {m.group(1)}="{_attribute(urls[int(m.group(2))])}"', html)
            return result

        return substitute, ctx

    def replay(self, path: Path, events: list[tuple[Any, ...]]) -> None:
        """Add a compiled file's findings and claim its ids, in the order they first came."""
        for event in events:
            if event[0] == "finding":
                self.collector.add(path, event[1], event[2], event[3])
            else:
                self.claim(event[1], path, event[2])

    # -- adding files --------------------------------------------------------------------

    def render_page(self, path: Path, result: FileResult, slug: str) -> TrackMap[str]:
        """course.md's overview or a module's introduction, its links resolved."""
        self.replay(path, result.events)
        assert result.html is not None
        if self.only is not None:
            return result.html  # a preview of one lesson: this page's links are not needed
        return self.linked_html(result.html, path, result.links, slug)

    def linked_html(self, html: TrackMap[str], path: Path, links: list[Link],
                    slug: str) -> TrackMap[str]:
        substitute, _ = self.linker(path, links, slug)
        return TrackMap((track, substitute(text)) for track, text in html.items())

    def compile_lesson(self, lesson: _LessonBuild, course: CourseMeta) -> CompiledLesson:
        """Add a compiled lesson's body findings and ids, and finish it for the course."""
        result = lesson.result
        assert result is not None and result.lesson is not None
        if not self.keep:
            lesson.result = None  # dropped as soon as used, which keeps garbage collection cheap
        path = lesson.source.path
        self.replay(path, result.events)
        drafted = replace(result.lesson, position=lesson.position, source_path=path)
        return self.finish_lesson(lesson, drafted, result.links, course)

    def finish_lesson(self, lesson: _LessonBuild, drafted: CompiledLesson, links: list[Link],
                      course: CourseMeta) -> CompiledLesson:
        """A compiled lesson body with its links resolved, its course settings applied and
        its content hashes taken."""
        meta = lesson.meta
        sub, ctx = self.linker(lesson.source.path, links, course.slug)
        questions: list[QuestionSpec] = []
        for spec in drafted.questions:
            if links:
                spec = replace(
                    spec, stem_html=sub(spec.stem_html),
                    choices=tuple(replace(c, html=sub(c.html), feedback_html=sub(c.feedback_html))
                                  for c in spec.choices),
                    pairs=tuple(replace(p, html=sub(p.html)) for p in spec.pairs),
                    hints_html=tuple(sub(h) for h in spec.hints_html),
                    explanation_html=sub(spec.explanation_html))
            spec_dict = spec.to_dict()
            spec_dict.pop("content_hash")
            questions.append(replace(spec, content_hash=_digest(spec_dict)))
        reflections = drafted.reflections
        html = drafted.html
        if links:
            reflections = tuple(replace(r, prompt_html=sub(r.prompt_html)) for r in reflections)
            html = TrackMap((track, sub(text)) for track, text in html.items())
        assignment = drafted.assignment
        if assignment is not None and links:
            assignment = replace(assignment, rubric=tuple(
                replace(c, levels=tuple(replace(lv, html=sub(lv.html)) for lv in c.levels))
                for c in assignment.rubric))
        pass_mark = course.pass_mark if meta.pass_mark is None else meta.pass_mark
        used_assets = sorted(ctx.used_assets)
        content_hash = _digest({
            "id": meta.id, "title": meta.title, "tracks": meta.tracks,
            "html": _html_digests(html), "minutes": dict(meta.estimated_minutes),
            "outcomes": [o for o, _ in meta.outcomes], "pass_mark": pass_mark,
            "attempts": meta.attempts, "required": meta.required, "shuffle": meta.shuffle,
            "quiz": [None if meta.draw is None else meta.draw.to_dict(), meta.shuffle_questions,
                     meta.hint_penalty, meta.reveal],
            "questions": [q.content_hash for q in questions],
            "reflections": [[r.id, r.prompt_html, r.tracks] for r in reflections],
            "assets": [[path, self.assets[path].sha256] for path in used_assets],
            "kind": meta.kind,
            "assignment": None if assignment is None else assignment.to_dict(),
        })
        return replace(drafted, pass_mark=pass_mark, html=html, questions=tuple(questions),
                       reflections=reflections, content_hash=content_hash,
                       assignment=assignment)

    def check_structure(self, course: CourseMeta) -> None:
        """Checks that need the whole course: tracks, outcomes, quiz settings, retired ids."""
        known_outcomes = {o.id for o in course.outcomes}
        for module in self.modules:
            module_file = module.folder / "module.md"
            line = module.source.front.line_of("tracks") if module.source else 1
            for track in module.meta.tracks:
                if not any(track in lesson.meta.tracks for lesson in module.lessons):
                    self.collector.add(
                        module_file, line, "E012",
                        f"module '{module.meta.id}' has no lessons for the {track} track; add a "
                        f"lesson for {track}, or remove {track} from this module's tracks")
            for lesson in module.lessons:
                path = lesson.source.path
                for outcome_id, outcome_line in lesson.meta.outcomes:
                    if outcome_id not in known_outcomes:
                        known = ", ".join(sorted(known_outcomes)) or "none yet"
                        self.collector.add(
                            path, outcome_line, "E040",
                            f"learning outcome '{outcome_id}' does not exist; use an id from "
                            f"'learning_outcomes' in course.md ({known})")
                self.check_quiz_settings(lesson)
        for track in course.tracks:
            if self.modules and not any(track in m.meta.tracks for m in self.modules):
                self.collector.add(
                    self.course_file, self.course_front.line_of("tracks"), "E012",
                    f"no module is for the {track} track; add one, or remove {track} from the "
                    "course's tracks")
        self.check_cpd_hours(course)
        for outcome in course.outcomes:
            missing = [t for t in outcome.tracks if not self.assessed(outcome.id, t)]
            if missing:
                self.collector.add(
                    self.course_file, course.outcome_lines[outcome.id], "W001",
                    f"learning outcome '{outcome.id}' is not assessed by any question for "
                    f"{', '.join(missing)}; list it under 'outcomes:' of a lesson that has "
                    "questions for those tracks")

    def check_questions(self) -> None:
        """W081-W084: quizzes that test judgement (courses.quality decides)."""
        # in a one-lesson preview only the edited lesson is compiled, so pair by path
        lessons = [(compiled.source_path, compiled) for module in self.modules for compiled in module.compiled]
        line_of = lambda question_id: self.ids.get(question_id, ("", 1))[1]  # noqa: E731 - the claimed id's line
        for path, line, code, message in quality.question_warnings(lessons, line_of):
            self.collector.add(path, line, code, message)

    def check_cpd_hours(self, course: CourseMeta) -> None:
        """W080: each track's CPD hours must be its study time (courses.study decides)."""
        lessons = [(lesson.meta.estimated_minutes, tuple(t for t in lesson.meta.tracks if t in module.meta.tracks))
                   for module in self.modules for lesson in module.lessons]
        minutes = {track: study.study_minutes(lessons, track) for track in course.tracks}
        for track, problem in study.dishonest_hours(course.cpd_hours, minutes).items():
            self.collector.add(self.course_file, self.course_front.line_of("cpd_hours", track)
                               or self.course_front.line_of("cpd_hours"), "W080", problem)

    def assessed(self, outcome_id: str, track: str) -> bool:
        for module in self.modules:
            for lesson in module.lessons:
                # a marked assignment assesses its outcomes as questions do
                if track in lesson.meta.tracks and any(
                        o == outcome_id for o, _ in lesson.meta.outcomes) and (
                        lesson.meta.kind == "assignment" or any(
                        track in tracks for tracks in lesson.question_tracks)):
                    return True
        return False

    def check_quiz_settings(self, lesson: _LessonBuild) -> None:
        meta = lesson.meta
        front = lesson.source.front
        # an assignment's pass mark is its own (marked by people), and it has no attempts
        quiz_settings = (("pass_mark", meta.pass_mark), ("attempts", meta.attempts),
                         ("draw", meta.draw), ("hint_penalty", meta.hint_penalty or None))
        settings = ((("attempts", meta.attempts),) if meta.kind == "assignment" else quiz_settings)
        for key, value in settings:
            if value is None:
                continue
            missing = [t for t in meta.tracks
                       if not any(t in tracks for tracks in lesson.question_tracks)]
            if missing:
                self.collector.add(
                    lesson.source.path, front.line_of(key), "E041",
                    f"this lesson sets '{key}' but has no questions for {', '.join(missing)}; "
                    f"add a question for {', '.join(missing)}, or remove '{key}'")

    def check_ids(self, course: CourseMeta, compiled_ids: frozenset[str]) -> None:
        front = self.course_front
        for index, retired in enumerate(course.retired):
            if retired in self.ids:
                where = self.ids[retired]
                self.collector.add(
                    self.course_file, front.line_of("retired", index), "E033",
                    f"'{retired}' is listed in 'retired' but is used again at "
                    f"{where[0]}:{where[1]}; a retired id must never be reused, so give the new "
                    "item a new id")
        having_data = self.learner_data.get(course.id) or ()
        for item_id in sorted(set(having_data)):
            if item_id not in compiled_ids and item_id not in course.retired:
                self.collector.add(
                    self.course_file, front.line_of("retired"), "E032",
                    f"learners have progress on '{item_id}', which is no longer in the course; "
                    "put it back (with the same id), or add it to 'retired' in course.md if it "
                    "was removed on purpose")

    # -- building ------------------------------------------------------------------------

    def build(self, course: CourseMeta, overview: TrackMap[str]) -> CompiledCourse:
        modules: list[CompiledModule] = []
        for module in self.modules:
            intro = module.intro or TrackMap((t, "") for t in module.meta.tracks)
            module_hash = _digest({"id": module.meta.id, "title": module.meta.title,
                                   "tracks": module.meta.tracks, "intro": _html_digests(intro)})
            modules.append(CompiledModule(
                module.meta.id, module.meta.title, module.meta.tracks, module.position, intro,
                tuple(module.compiled), module_hash, module.folder / "module.md"))
        compiled = CompiledCourse(
            id=course.id, slug=course.slug, title=course.title, summary=course.summary,
            tracks=course.tracks, cpd_hours=course.cpd_hours, outcomes=course.outcomes,
            pass_mark=course.pass_mark, partner=course.partner, certificate=course.certificate,
            retired=course.retired, status=course.status, overview_html=overview,
            modules=tuple(modules), revision=self.revision, content_hash="",
            assets=tuple(sorted(self.assets.values(), key=lambda a: a.path)),
            marking=course.marking, source_dir=self.course_dir, source=self.source)
        self.check_ids(course, compiled.ids())
        content_hash = _digest({
            "id": course.id, "slug": course.slug, "title": course.title,
            "summary": course.summary, "tracks": course.tracks,
            "cpd_hours": dict(course.cpd_hours),
            "outcomes": [[o.id, o.text, o.tracks] for o in course.outcomes],
            "pass_mark": course.pass_mark, "partner": course.partner,
            "certificate": [course.certificate.issue, course.certificate.valid_for_months],
            "retired": course.retired, "status": course.status, "overview": _html_digests(overview),
            "modules": [[m.content_hash, [lesson.content_hash for lesson in m.lessons]]
                        for m in modules],
            "assets": [[a.path, a.sha256] for a in compiled.assets],
            "marking": [course.marking.second_marking, course.marking.moderation],
        })
        self.compiled = replace(compiled, content_hash=content_hash)
        return self.compiled

    def summary(self) -> CourseSummary:
        course = self.compiled
        tracks = self.meta.tracks if self.meta else ()
        lessons = [lesson.meta for module in self.modules for lesson in module.lessons]
        questions = [tracks for module in self.modules for lesson in module.lessons
                     for tracks in lesson.question_tracks]
        return CourseSummary(
            id=self.meta.id if self.meta else self.course_dir.name,
            path=self.collector.register(self.course_dir),
            modules=len(course.modules) if course else len(self.modules),
            lessons=TrackMap((t, sum(t in m.tracks for m in lessons)) for t in tracks),
            questions=TrackMap((t, sum(t in q for q in questions)) for t in tracks),
            errors=self.collector.count("error"),
            warnings=self.collector.count("warning"))


def _asset_fields(asset: Asset | None) -> tuple[str, str, str] | None:
    """An asset as the cache stores it (where it lies on disk follows from its path)."""
    return None if asset is None else (asset.path, asset.media_type, asset.sha256)
