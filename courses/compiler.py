"""Compiling a folder of Markdown into courses: the one entry point the app calls."""

from __future__ import annotations

import hashlib
import json
import os
import re
import string
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .findings import Collector, Finding, exit_code_for
from .frontmatter import FrontMatter, split_front_matter
from .model import (
    Asset,
    Choice,
    CompiledCourse,
    CompiledLesson,
    CompiledModule,
    QuestionSpec,
    Reflection,
    TrackMap,
)
from .questionblock import (
    REFLECTION_OPTIONS,
    QuestionDraft,
    parse_question,
    read_block_options,
    read_option_tracks,
)
from .questions import normalise_text
from .render import LinkContext, get_renderer
from .scanner import RawBlock, Scanned, scan_body
from .validate import (
    ID_RULE,
    RE_ID,
    CourseMeta,
    LessonMeta,
    ModuleMeta,
    read_course_meta,
    read_lesson_meta,
    read_module_meta,
)

DEFAULT_ASSET_URL = "/courses/{slug}/assets/{path}"
DEFAULT_LESSON_URL = "/courses/{slug}/{module}/{lesson}/"
_RE_ORDER = re.compile(r"^(\d+)")


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
    """Courses that compiled without errors, and every finding in file order."""

    courses: tuple[CompiledCourse, ...]
    findings: tuple[Finding, ...]
    summaries: tuple[CourseSummary, ...] = ()

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


def _order_key(name: str) -> tuple[float, str]:
    match = _RE_ORDER.match(name)
    return (int(match.group(1)) if match else float("inf"), name)


def _visible(name: str) -> bool:
    return not name.startswith((".", "_"))


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
                   lesson_url: str = DEFAULT_LESSON_URL) -> CompileResult:
    """Compile ``path``: a folder of course folders, or one course folder (with course.md).

    Never raises for bad content: every problem is a finding, reported in file order.
    ``ids_with_learner_data`` maps a course id to the ids (of modules, lessons, questions,
    reflections) that learners have data on; removing one without listing it in the course's
    ``retired`` is an error. ``asset_url`` and ``lesson_url`` are formatted to rewrite image
    and lesson links. Only courses without errors are in ``result.courses``.
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
    return _compile_dirs(course_dirs, collector, ids_with_learner_data or {}, asset_url,
                         lesson_url)


def compile_course(path: str | os.PathLike[str], *,
                   ids_with_learner_data: Mapping[str, Collection[str]] | None = None,
                   asset_url: str = DEFAULT_ASSET_URL,
                   lesson_url: str = DEFAULT_LESSON_URL) -> CompileResult:
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
    return _compile_dirs([root], collector, ids_with_learner_data or {}, asset_url, lesson_url)


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


def _listing(folder: Path | str) -> list[os.DirEntry[str]]:
    """The visible entries of a folder, in order (numeric prefixes first)."""
    with os.scandir(folder) as entries:
        return sorted((e for e in entries if _visible(e.name)), key=lambda e: _order_key(e.name))


def _compile_dirs(course_dirs: list[Path], collector: Collector,
                  learner_data: Mapping[str, Collection[str]], asset_url: str,
                  lesson_url: str) -> CompileResult:
    built: list[tuple[_CourseBuild, CompiledCourse | None]] = []
    seen_ids: dict[str, _CourseBuild] = {}
    seen_slugs: dict[str, _CourseBuild] = {}
    for course_dir in course_dirs:
        build = _CourseBuild(course_dir, learner_data, asset_url, lesson_url)
        course = build.run()
        if build.meta is not None:
            first = seen_ids.get(build.meta.id)
            if first is not None and build.meta.id_ok:
                build.collector.add(
                    build.course_file, build.course_front.line_of("id"), "E031",
                    f"the course id '{build.meta.id}' is already used by "
                    f"{first.collector.register(first.course_file)}; give each course its own id")
            seen_ids.setdefault(build.meta.id, build)
            first = seen_slugs.get(build.meta.slug)
            if first is not None:
                build.collector.add(
                    build.course_file, build.course_front.line_of("slug"), "E034",
                    f"the slug '{build.meta.slug}' is already used by "
                    f"{first.collector.register(first.course_file)}; add a different 'slug:'")
            seen_slugs.setdefault(build.meta.slug, build)
        built.append((build, course))
    courses: list[CompiledCourse] = []
    summaries: list[CourseSummary] = []
    for build, course in built:
        collector.extend(build.collector)
        summaries.append(build.summary())
        if course is not None and not build.collector.has_errors:
            courses.append(course)
    return CompileResult(tuple(courses), collector.findings(), tuple(summaries))


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
    drafts: list[QuestionDraft] = field(default_factory=list)
    reflections: list[tuple[RawBlock, tuple[str, ...], str]] = field(default_factory=list)


@dataclass(slots=True)
class _ModuleBuild:
    source: _Source | None
    folder: Path
    meta: ModuleMeta
    position: int
    lessons: list[_LessonBuild] = field(default_factory=list)
    compiled: list[CompiledLesson] = field(default_factory=list)
    intro: TrackMap[str] | None = None


class _CourseBuild:
    """Compiles one course folder, collecting its findings."""

    def __init__(self, course_dir: Path, learner_data: Mapping[str, Collection[str]],
                 asset_url: str, lesson_url: str) -> None:
        self.course_dir = course_dir
        self.course_file = course_dir / "course.md"
        self.learner_data = learner_data
        self.asset_url = asset_url
        self.lesson_url = lesson_url
        self.collector = Collector()
        self.meta: CourseMeta | None = None
        self.course_front = FrontMatter(None, {}, [], 1)
        self.modules: list[_ModuleBuild] = []
        self.ids: dict[str, tuple[str, int]] = {}
        self.assets: dict[str, Asset] = {}
        self.lesson_files: dict[str, tuple[str, str]] = {}
        self.compiled: CompiledCourse | None = None

    # -- reading -------------------------------------------------------------------------

    def read(self, path: Path) -> FrontMatter | None:
        try:
            data = path.read_bytes()
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
        front = split_front_matter(text)
        for problem in front.problems:
            self.collector.add(path, problem.line, problem.code, problem.message)
        return front

    def inside(self, path: Path) -> bool:
        if not path.is_symlink():
            return True  # its folder was checked already
        real = os.path.realpath(path)
        root = os.path.realpath(self.course_dir)
        if os.path.commonpath([root, real]) == root:
            return True
        self.collector.add(path, 1, "E006",
                           f"'{path.name}' is a link to something outside the course folder; "
                           "copy the file or folder into the course instead")
        return False

    def claim(self, item_id: str, path: Path, line: int) -> None:
        first = self.ids.get(item_id)
        if first is not None:
            self.collector.add(path, line, "E031",
                               f"the id '{item_id}' is already used at {first[0]}:{first[1]}; "
                               "every module, lesson, question, reflection and learning outcome "
                               "needs its own id")
        else:
            self.ids[item_id] = (self.collector.register(path), line)

    def layout(self) -> list[tuple[Path, list[Path]]]:
        """Module folders with their lesson files, in order; reports what is ignored."""
        modules: list[tuple[Path, list[Path]]] = []
        for entry in _listing(self.course_dir):
            path = Path(entry.path)
            if entry.is_file():
                if entry.name.lower().endswith(".md") and entry.name != "course.md":
                    self.collector.add(path, 1, "W005",
                                       f"'{entry.name}' is not part of the course: lessons go in "
                                       "a module folder (one with a module.md)")
                continue
            if not entry.is_dir() or not self.inside(path):
                continue
            if not (path / "module.md").is_file():
                if _has_markdown(path, depth=1):
                    self.collector.add(path, 1, "E004",
                                       f"the folder '{entry.name}' holds Markdown files but no "
                                       "module.md; add a module.md with the module's id and "
                                       "title")
                continue
            lessons: list[Path] = []
            for item in _listing(path):
                item_path = Path(item.path)
                if item.is_file() and item.name.lower().endswith(".md") \
                        and item.name != "module.md":
                    if self.inside(item_path):
                        lessons.append(item_path)
                elif item.is_dir() and _has_markdown(item_path, depth=3):
                    self.collector.add(item_path, 1, "W005",
                                       f"the Markdown files in '{item.name}' are ignored: "
                                       "lessons must sit directly in the module folder")
            modules.append((path, lessons))
        return modules

    def hash_revision(self) -> str:
        files: list[tuple[str, str]] = []
        for folder, dirs, names in os.walk(self.course_dir):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in names:
                if name.startswith("."):
                    continue
                full = os.path.join(folder, name)
                try:
                    with open(full, "rb") as handle:
                        digest = hashlib.sha256(handle.read()).hexdigest()
                except OSError:
                    continue
                relative = os.path.relpath(full, self.course_dir).replace(os.sep, "/")
                files.append((relative, digest))
        return _digest(sorted(files))

    # -- compiling -----------------------------------------------------------------------

    def run(self) -> CompiledCourse | None:
        course_file = self.course_file
        self.collector.register(course_file)
        try:
            module_dirs = self.layout()
        except OSError as exc:
            self.collector.add(self.course_dir, 1, "E001",
                               f"the course folder cannot be read ({exc.strerror})")
            return None
        for folder, lessons in module_dirs:
            self.collector.register(folder / "module.md")
            for lesson in lessons:
                self.collector.register(lesson)
        front = self.read(course_file)
        if front is None:
            return None
        self.course_front = front
        meta = read_course_meta(front, course_file, self.collector, self.course_dir.name)
        self.meta = meta
        if meta.id_ok:
            self.claim(meta.id, course_file, front.line_of("id"))
        for outcome in meta.outcomes:
            self.claim(outcome.id, course_file, meta.outcome_lines[outcome.id])
        course_source = _Source(course_file, front)
        if not module_dirs:
            self.collector.add(course_file, 1, "E007",
                               "the course has no modules; add a folder with a module.md and "
                               "lesson files")
        for position, (folder, lesson_paths) in enumerate(module_dirs, start=1):
            self.modules.append(self.read_module(folder, lesson_paths, position, meta))
        self.lesson_files = {
            os.path.normcase(str(lesson.source.path)): (module.meta.id, lesson.meta.id)
            for module in self.modules for lesson in module.lessons}
        overview = self.render_page(course_source, "course", meta.tracks, meta.slug)
        for module in self.modules:
            if module.source is not None:
                module.intro = self.render_page(module.source, "module", module.meta.tracks,
                                                meta.slug)
            for lesson in module.lessons:
                self.scan_lesson(lesson)
                module.compiled.append(self.build_lesson(lesson, meta))
                # the scan is no longer needed; dropping it keeps garbage collection cheap
                lesson.source.scanned = None
                lesson.source.front.body = []
        self.check_structure(meta)
        return self.build(meta, overview)

    def render_page(self, source: _Source, kind: str, tracks: tuple[str, ...],
                    slug: str) -> TrackMap[str]:
        """Scan and render course.md's overview or a module's introduction."""
        scanned = self.scan(source, kind, tracks)
        return get_renderer().render_file(
            scanned.items, tracks, [], [], [], self.context(source, scanned, slug)).html

    def read_module(self, folder: Path, lesson_paths: list[Path], position: int,
                    course: CourseMeta) -> _ModuleBuild:
        module_file = folder / "module.md"
        front = self.read(module_file)
        if front is None:
            module = _ModuleBuild(None, folder, ModuleMeta(folder.name, folder.name,
                                                           course.tracks, False), position)
        else:
            meta = read_module_meta(front, module_file, self.collector, course.tracks,
                                    folder.name)
            if meta.id_ok:
                self.claim(meta.id, module_file, front.line_of("id"))
            module = _ModuleBuild(_Source(module_file, front), folder, meta, position)
        for index, lesson_path in enumerate(lesson_paths, start=1):
            lesson_front = self.read(lesson_path)
            if lesson_front is None:
                continue
            lesson_meta = read_lesson_meta(lesson_front, lesson_path, self.collector,
                                           module.meta.tracks, lesson_path.stem)
            if lesson_meta.id_ok:
                self.claim(lesson_meta.id, lesson_path, lesson_front.line_of("id"))
            module.lessons.append(_LessonBuild(_Source(lesson_path, lesson_front), lesson_meta,
                                               index))
        return module

    def scan(self, source: _Source, kind: str, tracks: tuple[str, ...]) -> Scanned:
        return scan_body(source.front.body, source.front.body_start, path=source.path,
                         collector=self.collector, file_kind=kind, tracks=tracks)

    def scan_lesson(self, lesson: _LessonBuild) -> None:
        source = lesson.source
        scanned = self.scan(source, "lesson", lesson.meta.tracks)
        source.scanned = scanned
        for raw in scanned.questions:
            if raw.kind != "question":
                continue
            if raw.id:
                self.check_block_id(raw, source.path)
            lesson.drafts.append(parse_question(raw, lesson.meta.tracks, path=source.path,
                                                collector=self.collector))
        for raw in scanned.reflections:
            if raw.id:
                self.check_block_id(raw, source.path)
            options, lines, content = read_block_options(
                raw, REFLECTION_OPTIONS, path=source.path, collector=self.collector, code="E024")
            enclosing = lesson.meta.tracks if raw.tracks is None else tuple(
                t for t in lesson.meta.tracks if t in raw.tracks)
            tracks = enclosing
            if "tracks" in options:
                tracks = read_option_tracks(options["tracks"], lines.get("tracks", raw.line),
                                            enclosing, path=source.path,
                                            collector=self.collector,
                                            what=f"reflection '{raw.id}'")
            prompt = "\n".join(text for _, text in content).strip("\n")
            if not prompt.strip():
                self.collector.add(source.path, raw.line, "E055",
                                   f"reflection '{raw.id}' has no prompt; write the question "
                                   "learners should reflect on inside the block")
            lesson.reflections.append((raw, tracks, prompt))

    def check_block_id(self, raw: RawBlock, path: Path) -> None:
        if RE_ID.match(raw.id):
            self.claim(raw.id, path, raw.line)
        else:
            self.collector.add(path, raw.line, "E030",
                               f"the {raw.kind} id '{raw.id}' is not allowed; an id is {ID_RULE}")

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
        for outcome in course.outcomes:
            missing = [t for t in outcome.tracks if not self.assessed(outcome.id, t)]
            if missing:
                self.collector.add(
                    self.course_file, course.outcome_lines[outcome.id], "W001",
                    f"learning outcome '{outcome.id}' is not assessed by any question for "
                    f"{', '.join(missing)}; list it under 'outcomes:' of a lesson that has "
                    "questions for those tracks")

    def assessed(self, outcome_id: str, track: str) -> bool:
        for module in self.modules:
            for lesson in module.lessons:
                if track in lesson.meta.tracks and any(
                        o == outcome_id for o, _ in lesson.meta.outcomes) and any(
                        track in d.tracks for d in lesson.drafts):
                    return True
        return False

    def check_quiz_settings(self, lesson: _LessonBuild) -> None:
        meta = lesson.meta
        front = lesson.source.front
        for key, value in (("pass_mark", meta.pass_mark), ("attempts", meta.attempts)):
            if value is None:
                continue
            missing = [t for t in meta.tracks if not any(t in d.tracks for d in lesson.drafts)]
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

    def context(self, source: _Source, scanned: Scanned, slug: str) -> LinkContext:
        return LinkContext(source.path, self.course_dir, slug, self.asset_url, self.lesson_url,
                           self.lesson_files, self.assets, scanned.url_lines,
                           scanned.first_line, self.collector)

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
            modules=tuple(modules), revision=self.hash_revision(), content_hash="",
            assets=tuple(sorted(self.assets.values(), key=lambda a: a.path)),
            source_dir=self.course_dir)
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
        })
        self.compiled = replace(compiled, content_hash=content_hash)
        return self.compiled

    def build_lesson(self, lesson: _LessonBuild, course: CourseMeta) -> CompiledLesson:
        source = lesson.source
        scanned = source.scanned
        assert scanned is not None
        meta = lesson.meta
        public: list[str] = []
        private: list[str] = []
        for draft in lesson.drafts:
            public.append(draft.stem)
            public.extend(choice.markdown for choice in draft.choices)
            private.extend(choice.feedback_markdown for choice in draft.choices)
            private.extend(draft.hints)
            private.append(draft.explanation)
        public.extend(prompt for _, _, prompt in lesson.reflections)
        ctx = self.context(source, scanned, course.slug)
        reflection_ids = [raw.id for raw, _, _ in lesson.reflections]
        rendered = get_renderer().render_file(scanned.items, meta.tracks, reflection_ids,
                                              public, private, ctx)
        used_assets = sorted(ctx.used_assets)
        public_html = iter(rendered.public)
        private_html = iter(rendered.private)
        questions: list[QuestionSpec] = []
        for draft in lesson.drafts:
            stem_html = next(public_html)
            choice_html = [_unwrap_paragraph(next(public_html)) for _ in draft.choices]
            feedback_html = [next(private_html) for _ in draft.choices]
            hints_html = tuple(next(private_html) for _ in draft.hints)
            explanation_html = next(private_html)
            choices = tuple(
                Choice(_choice_key(draft, index, choice.markdown), choice_html[index],
                       choice.correct, feedback_html[index])
                for index, choice in enumerate(draft.choices))
            spec = QuestionSpec(draft.id, draft.type, draft.points, draft.tracks, stem_html,
                                choices, draft.accepted, draft.numeric, hints_html,
                                explanation_html)
            spec_dict = spec.to_dict()
            spec_dict.pop("content_hash")
            questions.append(replace(spec, content_hash=_digest(spec_dict)))
        reflections = tuple(
            Reflection(raw.id, next(public_html), tracks)
            for raw, tracks, _ in lesson.reflections)
        pass_mark = course.pass_mark if meta.pass_mark is None else meta.pass_mark
        content_hash = _digest({
            "id": meta.id, "title": meta.title, "tracks": meta.tracks,
            "html": _html_digests(rendered.html), "minutes": dict(meta.estimated_minutes),
            "outcomes": [o for o, _ in meta.outcomes], "pass_mark": pass_mark,
            "attempts": meta.attempts, "required": meta.required, "shuffle": meta.shuffle,
            "questions": [q.content_hash for q in questions],
            "reflections": [[r.id, r.prompt_html, r.tracks] for r in reflections],
            "assets": [[path, self.assets[path].sha256] for path in used_assets],
        })
        return CompiledLesson(
            id=meta.id, title=meta.title, tracks=meta.tracks, position=lesson.position,
            source_path=source.path, estimated_minutes=meta.estimated_minutes,
            outcomes=tuple(o for o, _ in meta.outcomes), pass_mark=pass_mark,
            attempts=meta.attempts, required=meta.required, shuffle=meta.shuffle,
            html=rendered.html, questions=tuple(questions), reflections=reflections,
            content_hash=content_hash)

    def summary(self) -> CourseSummary:
        course = self.compiled
        tracks = self.meta.tracks if self.meta else ()
        lessons = [lesson.meta for module in self.modules for lesson in module.lessons]
        drafts = [d for module in self.modules for lesson in module.lessons
                  for d in lesson.drafts]
        return CourseSummary(
            id=self.meta.id if self.meta else self.course_dir.name,
            path=self.collector.register(self.course_dir),
            modules=len(course.modules) if course else len(self.modules),
            lessons=TrackMap((t, sum(t in m.tracks for m in lessons)) for t in tracks),
            questions=TrackMap((t, sum(t in d.tracks for d in drafts)) for t in tracks),
            errors=self.collector.count("error"),
            warnings=self.collector.count("warning"))


def _choice_key(draft: QuestionDraft, index: int, text: str) -> str:
    if draft.type == "truefalse":
        folded = normalise_text(text)
        if folded in ("true", "false"):
            return folded
    return string.ascii_lowercase[index] if index < 26 else f"c{index + 1}"


def _unwrap_paragraph(html: str) -> str:
    """Choices sit inside a label, so a lone paragraph loses its <p>."""
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html


