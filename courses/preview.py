"""Previewing one edited lesson: compile the course as it would be with the edit, quickly.

Every other file comes from the cache by its content hash, so only the edited file is
compiled. Assembling then claims every file's ids and runs the checks across files (so a
duplicate id or an unknown outcome shows), but resolves the links of, and finishes, the
edited lesson alone; ``whole=True`` assembles the whole course as publishing would.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from .cache import CompileCache
from .compiler import (
    DEFAULT_ASSET_URL,
    DEFAULT_LESSON_URL,
    _check_url_templates,
    _CourseBuild,
    _Settings,
    assemble,
    read_course,
)
from .findings import Finding, display_path
from .model import CompiledCourse, CompiledLesson
from .source import CourseSource, EditedSource


@dataclass(frozen=True, slots=True)
class LessonPreview:
    """The edited lesson as learners would get it (None when the file is not a lesson of
    the course, e.g. it cannot be read or lies outside a module) and its file's findings,
    complete. ``findings`` are the course's in file order: all of them with ``whole``;
    otherwise all but the problems of other files' links and images. ``course`` is the
    whole course as far as it compiled, with ``whole`` only."""

    lesson: CompiledLesson | None
    course: CompiledCourse | None
    findings: tuple[Finding, ...]
    file_findings: tuple[Finding, ...]

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)


def preview_lesson(source: CourseSource, path: str, text: str | None = None, *,
                   cache: CompileCache | None = None,
                   learner_data: Mapping[str, Collection[str]] | None = None,
                   asset_url: str = DEFAULT_ASSET_URL,
                   lesson_url: str = DEFAULT_LESSON_URL,
                   whole: bool = False) -> LessonPreview:
    """Compile ``source`` with ``text`` as the file at ``path`` (relative to the course
    folder, '/' separated; ``text=None`` previews the file as it stands) and find that lesson.

    Pass the ``cache`` the course was published or last previewed with: the unchanged files
    come from it by content hash. Never raises for bad content."""
    _check_url_templates(asset_url, lesson_url)
    if text is not None:
        source = EditedSource(source, {path: text.encode("utf-8")})
    files = read_course(source, cache=cache)
    target = source.path(path)
    course = lesson = None
    if whole:
        assembled = assemble(files, learner_data, asset_url=asset_url, lesson_url=lesson_url)
        course, findings = assembled.draft, assembled.findings
        if course is not None:
            lesson = next((each for each in course.lessons() if each.source_path == target), None)
    else:
        build = _CourseBuild(files, _Settings(learner_data or {}, asset_url, lesson_url, None, {}),
                             only=target)
        build.run()
        lesson, findings = build.previewed, build.collector.findings()
    shown = display_path(target)
    return LessonPreview(lesson, course, findings, tuple(f for f in findings if f.path == shown))
