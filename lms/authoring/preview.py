"""What the editor shows of a working copy: findings with links to their lines, a lesson's
preview for one track with its answer key, and diffs between revisions."""

from __future__ import annotations

import difflib
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from courses import CompiledLesson, CompileResult, QuestionSpec
from courses.files import FileSettings, compile_file
from courses.model import TRACKS
from lms.authoring.drafts import WorkingSource, compile_working
from lms.publishing.models import SourceRevision
from lms.publishing.sources import DatabaseSource

_RE_LINK_TOKEN = re.compile(r' (href|src)="__lms_link__\d+"')


@dataclass(frozen=True)
class ShownFinding:
    """A finding as ``flask content check`` prints it, with the file it is in (None if not a
    file of the course, e.g. the course folder itself)."""

    text: str
    path: str | None
    line: int
    is_error: bool


def shown_findings(result: CompileResult, source: WorkingSource) -> list[ShownFinding]:
    prefix = source.name + "/"
    shown = []
    for finding in result.findings:
        relative = finding.path[len(prefix):] if finding.path.startswith(prefix) else None
        if relative is not None and source.kind(relative) != "file":
            relative = None
        shown.append(ShownFinding(str(finding), relative, finding.line, finding.is_error))
    return shown


@dataclass
class LessonPreview:
    """One lesson as a learner on each track sees it, with everything the answer key holds."""

    title: str
    tracks: tuple[str, ...]
    html: dict[str, str]
    questions: tuple[QuestionSpec, ...]
    #: True when the course compiled, so links and images are resolved as learners see them
    whole_course: bool
    findings: list[ShownFinding] = field(default_factory=list)

    def questions_for(self, track: str) -> tuple[QuestionSpec, ...]:
        return tuple(q for q in self.questions if track in q.tracks)


def preview(source: WorkingSource, path: str) -> LessonPreview | None:
    """Compile the working copy and preview the lesson at ``path`` (None if it is not a lesson).
    When the course has errors, the lesson is compiled on its own (links then go nowhere)."""
    result = compile_working(source, for_preview=True)
    findings = shown_findings(result, source)
    if not path.endswith(".md") or PurePosixPath(path).name in ("course.md", "module.md") or "/" not in path:
        return None
    lesson = _find(result, source, path)
    if lesson is not None:
        return LessonPreview(lesson.title, lesson.tracks, dict(lesson.html), lesson.questions, True, findings)
    text = source.read(path).decode("utf-8", errors="replace").replace("\r\n", "\n")
    alone = compile_file(text, "lesson", FileSettings(TRACKS, PurePosixPath(path).stem), path=PurePosixPath(path))
    drafted = alone.lesson
    if drafted is None:
        return LessonPreview(path, (), {}, (), False, findings)
    html = {track: _RE_LINK_TOKEN.sub(r' \1="#"', text) for track, text in drafted.html.items()}
    return LessonPreview(drafted.title, drafted.tracks, html, drafted.questions, False, findings)


def _find(result: CompileResult, source: WorkingSource, path: str) -> CompiledLesson | None:
    for course in result.courses:
        for lesson in course.lessons():
            if str(lesson.source_path).endswith("/" + path) or str(lesson.source_path) == path:
                return lesson
    return None


# -- diffs ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed", "skip"
    old: int | None
    new: int | None
    text: str


@dataclass(frozen=True)
class FileDiff:
    path: str
    status: str  # "added", "removed", "changed"
    lines: tuple[DiffLine, ...]
    binary: bool = False


def file_texts(revision_or_source: SourceRevision | WorkingSource) -> dict[str, bytes]:
    source = revision_or_source if isinstance(revision_or_source, DatabaseSource) \
        else DatabaseSource(revision_or_source)
    return {path: source.read(path) for path in sorted(source.files)}


def diff(old: dict[str, str], new: dict[str, str], old_bytes: dict[str, bytes],
         new_bytes: dict[str, bytes]) -> list[FileDiff]:
    """Every file that differs, line by line with three lines of context (difflib)."""
    changed = []
    for path in sorted(set(old) | set(new)):
        a, b = old.get(path), new.get(path)
        if a == b:
            continue
        status = "added" if a is None else "removed" if b is None else "changed"
        binary = _binary(old_bytes.get(path)) or _binary(new_bytes.get(path))
        if binary:
            changed.append(FileDiff(path, status, (), True))
            continue
        changed.append(FileDiff(path, status, tuple(_lines((a or "").splitlines(), (b or "").splitlines()))))
    return changed


def _binary(data: bytes | None) -> bool:
    if data is None:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return b"\0" in data


def _lines(a: list[str], b: list[str]):
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(3):
        first = group[0]
        yield DiffLine("skip", first[1] + 1, first[3] + 1, "")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for k in range(i2 - i1):
                    yield DiffLine("same", i1 + k + 1, j1 + k + 1, a[i1 + k])
                continue
            for k in range(i1, i2):
                yield DiffLine("removed", k + 1, None, a[k])
            for k in range(j1, j2):
                yield DiffLine("added", None, k + 1, b[k])


def texts(files: dict[str, bytes]) -> dict[str, str]:
    return {path: data.decode("utf-8", errors="replace") for path, data in files.items()}


def lesson_paths(source: WorkingSource) -> list[str]:
    return [p for p in sorted(source.files) if p.endswith(".md") and "/" in p
            and posixpath.basename(p) != "module.md"]
