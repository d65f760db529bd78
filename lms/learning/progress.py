"""The one place that decides what is complete: lessons, modules and courses, for a track.

A lesson without questions for the track is complete when marked; one with questions when
an attempt passed; a marked assignment when a released mark reached its pass mark
(`services.record_marked_result`). All three set `LessonProgress.completed_at`. A module is complete when all
its required lessons for the track are; a course when all its modules with lessons for the
track are. Progress is kept per lesson, not per track, so lessons two tracks share stay
complete when a learner switches.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from lms.catalog.models import Lesson, Module
from lms.extensions import db


@dataclass(frozen=True)
class OutlineLesson:
    id: int
    key: str
    title: str
    module_id: int
    module_key: str
    tracks: tuple[str, ...]
    required: bool
    estimated_minutes: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class CourseProgress:
    lessons_done: int
    lessons_total: int
    modules_done: int
    modules_total: int
    #: Ids of the track's lessons that are complete (required or not).
    completed_lesson_ids: frozenset[int] = field(default_factory=frozenset)
    #: Ids of the modules that are complete.
    completed_module_ids: frozenset[int] = field(default_factory=frozenset)
    #: Where "Continue" goes: the first incomplete lesson from where the learner last was.
    next_lesson_id: int | None = None

    @property
    def complete(self) -> bool:
        return self.modules_total > 0 and self.modules_done == self.modules_total

    @property
    def percent(self) -> int:
        return round(100 * self.lessons_done / self.lessons_total) if self.lessons_total else 0


def course_outlines(course_ids: Iterable[int]) -> dict[int, list[OutlineLesson]]:
    """Every live lesson of these courses in course order, in one query."""
    ids = list(set(course_ids))
    outlines: dict[int, list[OutlineLesson]] = {course_id: [] for course_id in ids}
    if not ids:
        return outlines
    rows = db.session.execute(
        select(Lesson.id, Lesson.key, Lesson.title, Lesson.course_id, Lesson.module_id, Module.key,
               Lesson.tracks, Lesson.required, Lesson.estimated_minutes)
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id.in_(ids), Lesson.retired.is_(False), Module.retired.is_(False))
        .order_by(Lesson.course_id, Module.position, Lesson.position)
    )
    for lesson_id, key, title, course_id, module_id, module_key, tracks, required, minutes in rows:
        outlines[course_id].append(OutlineLesson(lesson_id, key, title, module_id, module_key, tuple(tracks),
                                                 required, minutes or {}))
    return outlines


@dataclass(frozen=True)
class OutlineModule:
    id: int
    key: str
    title: str
    position: int


@dataclass(frozen=True)
class CourseStructure:
    modules: tuple[OutlineModule, ...]
    lessons: tuple[OutlineLesson, ...]


# Published structure changes only when a course is republished, which changes its revision
# and its updated_at; pages read it from here instead of decoding the same rows every request.
_STRUCTURE_CACHE: OrderedDict[tuple, CourseStructure] = OrderedDict()
_STRUCTURE_CACHE_SIZE = 256


def clear_structure_cache() -> None:
    _STRUCTURE_CACHE.clear()


def course_structures(courses: Iterable) -> dict[int, CourseStructure]:
    """{course id: its live modules and lessons in order}, for pages; at most two queries."""
    courses = list(courses)
    keys = {course.id: (course.id, course.revision, course.updated_at) for course in courses}
    # Read once into our own dict: another thread may evict a key between a check and a second read.
    found = {course_id: _STRUCTURE_CACHE.get(key) for course_id, key in keys.items()}
    missing = [course_id for course_id, structure in found.items() if structure is None]
    if missing:
        outlines = course_outlines(missing)
        modules: dict[int, list[OutlineModule]] = {course_id: [] for course_id in missing}
        for row in db.session.execute(
            select(Module.id, Module.key, Module.title, Module.position, Module.course_id)
            .where(Module.course_id.in_(missing), Module.retired.is_(False)).order_by(Module.position)
        ):
            modules[row.course_id].append(OutlineModule(row.id, row.key, row.title, row.position))
        for course_id in missing:
            found[course_id] = _STRUCTURE_CACHE[keys[course_id]] = CourseStructure(
                tuple(modules[course_id]), tuple(outlines[course_id]))
            while len(_STRUCTURE_CACHE) > _STRUCTURE_CACHE_SIZE:
                _STRUCTURE_CACHE.popitem(last=False)
    return found


def compute_progress(
    outline: Sequence[OutlineLesson], track: str, completed: Iterable[int], last_lesson_id: int | None = None
) -> CourseProgress:
    """Progress through one course on one track, from its outline and the completed lesson ids."""
    completed = set(completed)
    lessons = [lesson for lesson in outline if track in lesson.tracks]
    required = [lesson for lesson in lessons if lesson.required]
    modules: dict[int, bool] = {}
    for lesson in lessons:
        modules.setdefault(lesson.module_id, True)
        if lesson.required and lesson.id not in completed:
            modules[lesson.module_id] = False
    return CourseProgress(
        lessons_done=sum(1 for lesson in required if lesson.id in completed),
        lessons_total=len(required),
        modules_done=sum(modules.values()),
        modules_total=len(modules),
        completed_lesson_ids=frozenset(lesson.id for lesson in lessons if lesson.id in completed),
        completed_module_ids=frozenset(m for m, done in modules.items() if done),
        next_lesson_id=_next_lesson(lessons, completed, last_lesson_id),
    )


def _next_lesson(lessons: list[OutlineLesson], completed: set[int], last_lesson_id: int | None) -> int | None:
    if not lessons:
        return None
    ids = [lesson.id for lesson in lessons]
    start = ids.index(last_lesson_id) if last_lesson_id in ids else 0
    # From where the learner was, then wrap round to anything missed earlier.
    for lesson in lessons[start:] + lessons[:start]:
        if lesson.id not in completed:
            return lesson.id
    return ids[start]
