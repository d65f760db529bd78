"""Read-only helpers for assignments: the marking queue, a learner's attempts, who may see what."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import defer, selectinload

from lms.accounts.models import User
from lms.assignments.models import (
    AGREEING,
    DRAFT,
    MODERATION,
    READY,
    RELEASED,
    SECOND_MARKING,
    SUBMITTED,
    Submission,
    SubmissionFile,
)
from lms.catalog.models import Course, Lesson
from lms.catalog.queries import staff_role
from lms.extensions import db
from lms.learning.models import Enrolment

#: The marking queue's sections, in the order work flows through them.
QUEUE_SECTIONS = (
    (SUBMITTED, "Waiting for a first mark"),
    (SECOND_MARKING, "Waiting for second marking"),
    (AGREEING, "Waiting for the agreed mark"),
    (MODERATION, "Waiting for moderation"),
    (READY, "Ready to release"),
    (RELEASED, "Released"),
)


def marking_queue(course: Course) -> dict[str, list[Submission]]:
    """{state: submissions} for every submitted attempt on the course's assignments, oldest first (one query
    and the marks and learners loaded with it)."""
    rows = db.session.scalars(
        select(Submission).join(Lesson, Lesson.id == Submission.lesson_id)
        .where(Lesson.course_id == course.id, Submission.status != DRAFT)
        .options(selectinload(Submission.enrolment).selectinload(Enrolment.user), selectinload(Submission.lesson))
        .order_by(Submission.submitted_at, Submission.id))
    queue: dict[str, list[Submission]] = {state: [] for state, _ in QUEUE_SECTIONS}
    for row in rows:
        queue[row.status].append(row)
    return queue


def submission_on_course(course: Course, submission_id: int) -> Submission | None:
    """A submitted attempt on this course (drafts are the learner's alone), or None."""
    return db.session.scalar(
        select(Submission).join(Lesson, Lesson.id == Submission.lesson_id)
        .where(Submission.id == submission_id, Lesson.course_id == course.id, Submission.status != DRAFT))


def attempts_of(enrolment: Enrolment, lesson: Lesson) -> list[Submission]:
    """The learner's attempts at the assignment, first to latest."""
    return list(db.session.scalars(select(Submission).where(
        Submission.enrolment_id == enrolment.id, Submission.lesson_id == lesson.id).order_by(Submission.attempt)))


def file_of(submission: Submission) -> SubmissionFile | None:
    """The file's facts without its bytes."""
    return db.session.scalar(select(SubmissionFile).where(SubmissionFile.submission_id == submission.id)
                             .options(defer(SubmissionFile.data)))


def may_read_submission(user: User, submission: Submission) -> bool:
    """The learner who wrote it, and once submitted the course's educators, partners and admins."""
    if not user.is_authenticated:
        return False
    if submission.enrolment.user_id == user.id:
        return True
    return submission.status != DRAFT and staff_role(user, submission.lesson.course) is not None


def marker_role(user: User, course: Course) -> str | None:
    """'admin', 'educator' or 'partner' on this course, or None: who may open its marking pages."""
    return staff_role(user, course)
