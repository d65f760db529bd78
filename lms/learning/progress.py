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
    plan = track_plan(outline, track)
    done_modules = [module_id for module_id, required in plan.modules if required <= completed]
    return CourseProgress(
        lessons_done=len(plan.required_ids & completed),
        lessons_total=plan.lessons_total,
        modules_done=len(done_modules),
        modules_total=plan.modules_total,
        completed_lesson_ids=frozenset(plan.id_set.intersection(completed)),
        completed_module_ids=frozenset(done_modules),
        next_lesson_id=_next_lesson(plan.ids, completed, last_lesson_id),
    )


def progress_counts(plan: TrackPlan, completed: set[int], last_lesson_id: int | None) -> tuple[int, int, int | None]:
    """(lessons done, modules done, next lesson id) as `compute_progress` counts them, without its id sets
    (for a page that shows only the counts, as the dashboard's cards)."""
    return (len(plan.required_ids & completed),
            sum(1 for _module_id, required in plan.modules if required <= completed),
            _next_lesson(plan.ids, completed, last_lesson_id))


@dataclass(frozen=True)
class TrackPlan:
    """An outline's lessons on one track, as `compute_progress` counts them: a module is complete when its
    required lessons are, the course's required lessons are the ones counted."""

    #: Ids of the track's lessons, in course order.
    ids: tuple[int, ...]
    id_set: frozenset[int]
    #: Ids of the track's required lessons.
    required_ids: frozenset[int]
    #: (module id, ids of its required lessons on the track) of the modules with lessons on the track, in order.
    modules: tuple[tuple[int, frozenset[int]], ...]

    @property
    def lessons_total(self) -> int:
        return len(self.required_ids)

    @property
    def modules_total(self) -> int:
        return len(self.modules)


# Plans of the structure cache's outlines (tuples, asked for again and again), by (id of the outline,
# track); the entry holds the outline, so its id cannot be another's while the entry lives.
_PLANS: dict[tuple[int, str], tuple[Sequence[OutlineLesson], TrackPlan]] = {}
_PLANS_SIZE = 1024


def track_plan(outline: Sequence[OutlineLesson], track: str) -> TrackPlan:
    """The outline's plan on `track` (kept per process for the structure cache's outlines)."""
    entry = _PLANS.get((id(outline), track))
    if entry is not None and entry[0] is outline:
        return entry[1]
    lessons = [lesson for lesson in outline if track in lesson.tracks]
    ids = tuple(lesson.id for lesson in lessons)
    required: dict[int, set[int]] = {lesson.module_id: set() for lesson in lessons}
    for lesson in lessons:
        if lesson.required:
            required[lesson.module_id].add(lesson.id)
    plan = TrackPlan(ids, frozenset(ids), frozenset(lesson.id for lesson in lessons if lesson.required),
                     tuple((module_id, frozenset(ids_)) for module_id, ids_ in required.items()))
    if isinstance(outline, tuple):  # a list may change: planned afresh each time
        if len(_PLANS) >= _PLANS_SIZE:
            _PLANS.clear()
        _PLANS[(id(outline), track)] = (outline, plan)
    return plan


def _next_lesson(ids: tuple[int, ...], completed: set[int], last_lesson_id: int | None) -> int | None:
    if not ids:
        return None
    start = ids.index(last_lesson_id) if last_lesson_id in ids else 0
    # From where the learner was, then wrap round to anything missed earlier.
    for lesson_id in ids[start:] + ids[:start]:
        if lesson_id not in completed:
            return lesson_id
    return ids[start]
