"""Read-only helpers for learners' pages; each runs a fixed number of queries."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, String, bindparam, cast, func, literal_column, select
from sqlalchemy.orm import contains_eager

from courses import QuestionSpec
from lms.accounts.models import User
from lms.catalog.models import Course, Lesson, Question, ReflectionPrompt
from lms.extensions import db
from lms.learning.models import Enrolment, LessonProgress, QuestionResponse, QuizAttempt, ReflectionNote
from lms.learning.progress import CourseProgress, OutlineLesson, OutlineModule, compute_progress, course_structures


def enrolment_for(user: User, course: Course) -> Enrolment | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id))


def completed_lessons(enrolment_ids: Iterable[int]) -> dict[int, set[int]]:
    """{enrolment id: ids of completed lessons}, in one query."""
    ids = list(enrolment_ids)
    done: dict[int, set[int]] = defaultdict(set)
    if ids:
        for enrolment_id, lesson_id in db.session.connection().execute(_COMPLETED, {"ids": ids}):
            done[enrolment_id].add(lesson_id)
    return done


# Every learner's page runs this: built once, on the table (no ORM entity to load).
_progress = LessonProgress.__table__
_COMPLETED = select(_progress.c.enrolment_id, _progress.c.lesson_id).where(
    _progress.c.enrolment_id.in_(bindparam("ids", expanding=True)), _progress.c.completed_at.is_not(None))


def progress_for(enrolment: Enrolment, outline: list[OutlineLesson]) -> CourseProgress:
    done = completed_lessons([enrolment.id])[enrolment.id]
    return compute_progress(outline, enrolment.track, done, enrolment.last_lesson_id)


def live_modules(course: Course) -> list[OutlineModule]:
    return list(course_structures([course])[course.id].modules)


@dataclass(frozen=True)
class GradedQuestion:
    """A live question as grading needs it (a read-only copy shared by requests: never change `spec`)."""

    id: int
    key: str
    tracks: tuple[str, ...]
    #: `Question.spec` as stored; `parsed` is the same, made once.
    spec: dict[str, Any]
    content_hash: str
    parsed: QuestionSpec


# A lesson's questions change only when its course is republished (a new revision and updated_at), as for
# `course_structures`: every submission reads them from here instead of loading and decoding the same rows.
_QUESTIONS: OrderedDict[tuple, tuple[GradedQuestion, ...]] = OrderedDict()
_QUESTIONS_SIZE = 1024
_questions = Question.__table__
_LIVE_QUESTIONS = (select(_questions.c.id, _questions.c.key, _questions.c.tracks, _questions.c.spec,
                          _questions.c.content_hash)
                   .where(_questions.c.lesson_id == bindparam("lesson_id"), _questions.c.retired.is_(False))
                   .order_by(_questions.c.position))


def graded_questions(course: Course, lesson_id: int) -> tuple[GradedQuestion, ...]:
    """The live questions of a lesson of `course`, every track's, in order (no query once read for this
    revision of the course)."""
    key = (course.id, course.revision, course.updated_at, lesson_id)
    found = _QUESTIONS.get(key)  # one read: another thread may evict it meanwhile
    if found is None:
        found = _QUESTIONS[key] = tuple(
            GradedQuestion(qid, qkey, tuple(tracks), spec, content_hash, QuestionSpec.from_dict(spec))
            for qid, qkey, tracks, spec, content_hash in db.session.execute(_LIVE_QUESTIONS, {"lesson_id": lesson_id}))
        while len(_QUESTIONS) > _QUESTIONS_SIZE:
            _QUESTIONS.popitem(last=False)
    return found


def clear_question_cache() -> None:
    _QUESTIONS.clear()


def completed_list(enrolment_id: ColumnElement, progress=LessonProgress.__table__) -> ScalarSelect:
    """A scalar subquery: the ids of the enrolment's completed lessons as text, "3,5,8" (NULL without any),
    read back by `lesson_ids`. `progress` is the lesson_progress table or an alias of it."""
    # The separator as SQL text: a bound one is rendered into the SQL afresh on every execution ("post-compile").
    return (select(func.aggregate_strings(cast(progress.c.lesson_id, String), literal_column("','")))
            .where(progress.c.enrolment_id == enrolment_id, progress.c.completed_at.is_not(None)).scalar_subquery())


def lesson_ids(text: str | None) -> frozenset[int]:
    """The lesson ids in `completed_list`'s text."""
    return frozenset(map(int, text.split(","))) if text else frozenset()


def outline_of(course: Course) -> list[OutlineLesson]:
    return list(course_structures([course])[course.id].lessons)


def my_enrolments(user: User) -> list[Enrolment]:
    """The learner's enrolments with their courses (only what the dashboard shows), latest activity first."""
    return list(db.session.scalars(_my_enrolments_statement(), {"user_id": user.id}))


@cache
def _my_enrolments_statement():
    # Every dashboard runs this: built once (after the mappers are set up), only the learner's id bound.
    return (
        select(Enrolment).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id == bindparam("user_id"))
        .order_by(Enrolment.last_activity_at.desc().nulls_last(), Enrolment.id.desc())
        # Only what the dashboard shows: the course's big JSON columns stay unread.
        .options(contains_eager(Enrolment.course).load_only(
            Course.id, Course.slug, Course.title, Course.tracks, Course.cpd_hours, Course.certificate_issue,
            Course.partner_id, Course.revision, Course.updated_at)))


def attempts_for(enrolment: Enrolment, lesson: Lesson) -> list[QuizAttempt]:
    return list(db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.lesson_id == lesson.id)
        .order_by(QuizAttempt.submitted_at, QuizAttempt.id)))


def prompts_and_notes(
    lesson: Lesson, track: str, user: User | None
) -> list[tuple[ReflectionPrompt, ReflectionNote | None]]:
    prompts = [p for p in db.session.scalars(
        select(ReflectionPrompt).where(ReflectionPrompt.lesson_id == lesson.id, ReflectionPrompt.retired.is_(False))
        .order_by(ReflectionPrompt.position)) if track in p.tracks]
    notes = {}
    if user is not None and user.is_authenticated and prompts:
        notes = {n.prompt_id: n for n in db.session.scalars(select(ReflectionNote).where(
            ReflectionNote.user_id == user.id, ReflectionNote.prompt_id.in_([p.id for p in prompts])))}
    return [(p, notes.get(p.id)) for p in prompts]


def my_notes(user: User) -> list[tuple[ReflectionNote, ReflectionPrompt, Lesson, Course]]:
    return list(db.session.execute(
        select(ReflectionNote, ReflectionPrompt, Lesson, Course)
        .join(ReflectionPrompt, ReflectionPrompt.id == ReflectionNote.prompt_id)
        .join(Lesson, Lesson.id == ReflectionPrompt.lesson_id)
        .join(Course, Course.id == Lesson.course_id)
        .where(ReflectionNote.user_id == user.id)
        .order_by(Course.title, ReflectionNote.updated_at)
    ).all())


def answers_of(attempt: QuizAttempt) -> dict:
    """{question key: answer} as the learner sent them in `attempt` (unanswered ones left out); one query."""
    rows = db.session.execute(select(Question.key, QuestionResponse.answer)
                              .join(Question, Question.id == QuestionResponse.question_id)
                              .where(QuestionResponse.attempt_id == attempt.id))
    return {key: answer for key, answer in rows if answer not in (None, "", [])}
