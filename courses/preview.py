"""Previewing one edited lesson: compile the course as it would be with the edit, quickly.

Every other file comes from the cache by its content hash, so only the edited file is
compiled; assembling the course (ids, links, the checks across files) takes a few
milliseconds for a course of forty lessons, so it is done whole and the findings are exactly
those publishing would give.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from .cache import CompileCache
from .compiler import DEFAULT_ASSET_URL, DEFAULT_LESSON_URL, assemble, read_course
from .findings import Finding, display_path
from .model import CompiledCourse, CompiledLesson
from .source import CourseSource, EditedSource


@dataclass(frozen=True, slots=True)
class LessonPreview:
    """The edited lesson as learners would get it (None when the file is not a lesson of
    the course, e.g. it cannot be read or lies outside a module), the whole course as far as
    it compiled, and every finding in file order; ``file_findings`` are the edited file's."""

    lesson: CompiledLesson | None
    course: CompiledCourse | None
    findings: tuple[Finding, ...]
    file_findings: tuple[Finding, ...]

    @property
    def publishable(self) -> bool:
        return not any(f.is_error for f in self.findings)


def preview_lesson(source: CourseSource, path: str, text: str | None = None, *,
                   cache: CompileCache | None = None,
                   learner_data: Mapping[str, Collection[str]] | None = None,
                   asset_url: str = DEFAULT_ASSET_URL,
                   lesson_url: str = DEFAULT_LESSON_URL) -> LessonPreview:
    """Compile ``source`` with ``text`` as the file at ``path`` (relative to the course
    folder, '/' separated; ``text=None`` previews the file as it stands) and find that lesson.

    Pass the ``cache`` the course was published or last previewed with: the unchanged files
    come from it by content hash. Never raises for bad content."""
    if text is not None:
        source = EditedSource(source, {path: text.encode("utf-8")})
    assembled = assemble(read_course(source, cache=cache), learner_data,
                         asset_url=asset_url, lesson_url=lesson_url)
    target = source.path(path)
    course = assembled.draft
    lesson = None
    if course is not None:
        lesson = next((each for each in course.lessons() if each.source_path == target), None)
    shown = display_path(target)
    return LessonPreview(lesson, course, assembled.findings,
                         tuple(f for f in assembled.findings if f.path == shown))
