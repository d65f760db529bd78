"""Read-only questions about the catalogue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.catalog.models import PUBLISHED, Course, CourseStaff, Lesson, Module
from lms.extensions import db


def find_course(key_or_slug: str) -> Course | None:
    return db.session.scalar(select(Course).where((Course.key == key_or_slug) | (Course.slug == key_or_slug)))


def course_staff(course: Course) -> list[CourseStaff]:
    return list(db.session.scalars(
        select(CourseStaff).where(CourseStaff.course_id == course.id).order_by(CourseStaff.role, CourseStaff.id)))


def staff_role(user: User | None, course: Course) -> str | None:
    """'admin', 'educator', 'partner' or None: how this person may work on this course."""
    if user is None or not user.is_authenticated:
        return None
    if user.has_role("admin"):
        return "admin"
    return db.session.scalar(select(CourseStaff.role).where(CourseStaff.course_id == course.id,
                                                            CourseStaff.user_id == user.id))


def visible_courses(user: User | None) -> list[Course]:
    """Published courses for everyone, plus the drafts this person teaches or certifies."""
    query = select(Course).options(selectinload(Course.partner)).order_by(Course.title)
    if user is None or not user.is_authenticated:
        query = query.where(Course.status == PUBLISHED)
    elif not user.has_role("admin"):
        staffed = select(CourseStaff.course_id).where(CourseStaff.user_id == user.id)
        query = query.where((Course.status == PUBLISHED) | Course.id.in_(staffed))
    return list(db.session.scalars(query))


def estimated_minutes(course_ids: list[int]) -> dict[int, dict[str, float]]:
    """{course id: {track: total estimated minutes of its live lessons}}, in one query."""
    totals: dict[int, dict[str, float]] = {course_id: {} for course_id in course_ids}
    for course_id, tracks, minutes in _live_lessons(course_ids):
        for track in tracks:
            totals[course_id][track] = totals[course_id].get(track, 0.0) + float((minutes or {}).get(track, 0))
    return totals


def lesson_counts(course_ids: list[int]) -> dict[int, dict[str, int]]:
    """{course id: {track: number of its live lessons}}, in one query."""
    counts: dict[int, dict[str, int]] = {course_id: {} for course_id in course_ids}
    for course_id, tracks, _ in _live_lessons(course_ids):
        for track in tracks:
            counts[course_id][track] = counts[course_id].get(track, 0) + 1
    return counts


def _live_lessons(course_ids: list[int]):
    """(course id, tracks, {track: minutes}) of every lesson and module not retired."""
    if not course_ids:
        return []
    return db.session.execute(
        select(Lesson.course_id, Lesson.tracks, Lesson.estimated_minutes)
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id.in_(course_ids), Lesson.retired.is_(False), Module.retired.is_(False)))
