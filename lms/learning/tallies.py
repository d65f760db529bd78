"""Running totals the staff reports read instead of re-aggregating every response and progress row.

Two tables, both derived from the raw rows and kept up to date in the transaction that writes them:

- `QuestionTally`: per question version, first attempt or not, and distinct answer, the sums the
  question statistics need (responses, correct, and the sums for the point-biserial discrimination).
- `ProgressSummary`: per enrolment, the lessons completed (what the summary's module funnel groups on).

Increments are single `UPDATE ... SET n = n + k` or upserts, so concurrent submissions never lose a
count; tally rows are touched in key order so two transactions cannot deadlock on them.
`rebuild()` recomputes both from the raw rows (`flask reports rebuild-tallies`, the nightly job) and
`differences()` says where the stored totals disagree with them (`flask reports check-tallies`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from lms.catalog.models import Question
from lms.extensions import db
from lms.learning import counts
from lms.learning.models import Enrolment, LessonProgress, QuestionResponse, QuizAttempt

#: Sums are floats added in different orders by the rebuild and the running totals.
TOLERANCE = 1e-6


class QuestionTally(db.Model):
    """Answers to one version of one question that were identical, first attempts kept apart."""

    __tablename__ = "question_tallies"
    __table_args__ = (UniqueConstraint("question_id", "content_hash", "first_attempt", "answer_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The learner's first attempt at the lesson (the statistics can count only those).
    first_attempt: Mapped[bool] = mapped_column(Boolean)
    #: SHA-256 of `answer`, so the unique key stays short whatever was typed.
    answer_hash: Mapped[str] = mapped_column(String(64))
    #: The answer as canonical JSON text (sorted keys); "null" when unanswered.
    answer: Mapped[str] = mapped_column(Text)
    responses: Mapped[int] = mapped_column(default=0)
    correct: Mapped[int] = mapped_column(default=0)
    #: Of those, answers in attempts with other questions (a "rest of the quiz"), and how many were correct.
    rest_responses: Mapped[int] = mapped_column(default=0)
    rest_correct: Mapped[int] = mapped_column(default=0)
    #: Σy, Σy² and Σxy over those, y being the percentage on the rest of the quiz and x 1 when correct.
    sum_y: Mapped[float] = mapped_column(default=0.0)
    sum_yy: Mapped[float] = mapped_column(default=0.0)
    sum_xy: Mapped[float] = mapped_column(default=0.0)


class ProgressSummary(db.Model):
    """What one enrolment has completed (rows exist once a lesson is completed)."""

    __tablename__ = "progress_summaries"

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    #: Ids of the completed lessons, comma-separated, in the order completed.
    lessons: Mapped[str] = mapped_column(Text, default="")
    lessons_completed: Mapped[int] = mapped_column(default=0)
    last_completed_at: Mapped[datetime | None]


SUMS = ("responses", "correct", "rest_responses", "rest_correct", "sum_y", "sum_yy", "sum_xy")


@dataclass(frozen=True)
class Answered:
    """One graded response with its attempt's totals: what a tally adds up."""

    question_id: int
    content_hash: str
    first_attempt: bool
    answer: Any
    correct: bool
    points_awarded: float
    points_possible: float
    score: float
    max_score: float


def canonical_answer(answer: Any) -> str:
    """An answer as JSON text with sorted keys: identical answers read the same."""
    return json.dumps(answer, sort_keys=True, ensure_ascii=False)


def _answer_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _sums(row: Answered) -> tuple[float, ...]:
    x = 1.0 if row.correct else 0.0
    rest_possible = row.max_score - row.points_possible
    if rest_possible <= 0:
        return (1, int(x), 0, 0, 0.0, 0.0, 0.0)
    y = 100.0 * (row.score - row.points_awarded) / rest_possible
    return (1, int(x), 1, int(x), y, y * y, x * y)


def _grouped(rows: Iterable[Answered], sign: int = 1) -> dict[tuple[int, str, bool, str], list[float]]:
    totals: dict[tuple[int, str, bool, str], list[float]] = {}
    for row in rows:
        key = (row.question_id, row.content_hash, bool(row.first_attempt), canonical_answer(row.answer))
        entry = totals.setdefault(key, [0] * len(SUMS))
        for i, value in enumerate(_sums(row)):
            entry[i] += sign * value
    return totals


_statements: dict[tuple[str, str], Any] = {}


def _upsert(name: str):
    """The prepared upsert `name` for the session's database, built once (a fresh one per call costs more
    Python than the rest of the submission's tally work)."""
    dialect = db.session.get_bind().dialect.name
    key = (dialect, name)
    if key not in _statements:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        if name == "tally":
            table = QuestionTally.__table__
            statement = insert(table)
            statement = statement.on_conflict_do_update(
                index_elements=["question_id", "content_hash", "first_attempt", "answer_hash"],
                set_={column: table.c[column] + statement.excluded[column] for column in SUMS})
        else:
            table = ProgressSummary.__table__
            statement = insert(table)
            statement = statement.on_conflict_do_update(
                index_elements=["enrolment_id"],
                set_={"lessons": table.c.lessons + literal(",") + statement.excluded.lessons,
                      "lessons_completed": table.c.lessons_completed + 1,
                      "last_completed_at": statement.excluded.last_completed_at}).returning(table.c.lessons)
        _statements[key] = statement
    return _statements[key]


def add_responses(rows: Iterable[Answered], sign: int = 1) -> None:
    """Add (or with `sign=-1` take away) responses from the tallies, in this transaction."""
    values = [{"question_id": question_id, "content_hash": content_hash, "first_attempt": first,
               "answer_hash": _answer_hash(answer), "answer": answer, **dict(zip(SUMS, sums, strict=True))}
              for (question_id, content_hash, first, answer), sums in sorted(_grouped(rows, sign).items())]
    if values:
        # One executemany: a statement per row, sent together and run in key order (a multi-row upsert
        # may lock in another order).
        db.session.execute(_upsert("tally"), values)


def record_attempt(score: float, max_score: float, responses: Iterable[dict[str, Any]], first_attempt: bool) -> None:
    """Count a just-recorded attempt's responses (call after they are added, before commit): the attempt's
    score and maximum, and its `question_responses` rows as inserted; `first_attempt`: no earlier attempt of
    the learner at the lesson is recorded (`posted_quiz` counted them)."""
    add_responses(Answered(r["question_id"], r["content_hash"], first_attempt, r["answer"], r["correct"],
                           r["points_awarded"], r["points_possible"], score, max_score) for r in responses)


def lesson_completed(enrolment_id: int, course_id: int, lesson_id: int, now: datetime) -> tuple[Any, Any]:
    """Note a lesson newly completed by an enrolment in its summary (call once per completion, inside its
    transaction); returns the progress-state move (`counts.lesson_move`) for the caller to add."""
    lessons = db.session.execute(_upsert("summary"), {"enrolment_id": enrolment_id, "course_id": course_id,
                                                      "lessons": str(lesson_id), "lessons_completed": 1,
                                                      "last_completed_at": now}).scalar_one()
    return counts.lesson_move(enrolment_id, course_id, lesson_id, lessons)


def forget_enrolments(enrolment_ids: list[int]) -> None:
    """Take an erased learner's responses out of the tallies and drop their summaries (before the rows go)."""
    if not enrolment_ids:
        return
    counts.enrolments_removed(enrolment_ids)
    mine = QuizAttempt.enrolment_id.in_(enrolment_ids)
    add_responses(_answered(mine, attempts_where=(mine,)), sign=-1)
    # An answer nobody else gave goes with them (its text may be theirs: a name, a typed sentence).
    db.session.execute(delete(QuestionTally).where(QuestionTally.responses <= 0))
    db.session.execute(delete(ProgressSummary).where(ProgressSummary.enrolment_id.in_(enrolment_ids)))


# --- rebuilding and checking from the raw rows --------------------------------------------------


def _first_attempt_ids(*where) -> set[int]:
    """Ids of the first attempt of each enrolment at each lesson (one grouped scan; a per-row subquery can
    pick the lesson index on SQLite and turn quadratic)."""
    return set(db.session.scalars(select(func.min(QuizAttempt.id)).where(*where)
                                  .group_by(QuizAttempt.enrolment_id, QuizAttempt.lesson_id)))


def _answered(*where, attempts_where=()) -> Iterable[Answered]:
    firsts = _first_attempt_ids(*attempts_where)
    rows = db.session.execute(
        select(QuestionResponse.question_id, QuestionResponse.content_hash, QuizAttempt.id,
               QuestionResponse.answer, QuestionResponse.correct, QuestionResponse.points_awarded,
               QuestionResponse.points_possible, QuizAttempt.score, QuizAttempt.max_score)
        .join(QuizAttempt, QuizAttempt.id == QuestionResponse.attempt_id)
        .where(*where).execution_options(yield_per=5000))
    return (Answered(q, h, attempt_id in firsts, *rest) for q, h, attempt_id, *rest in rows)


def _expected_tallies(course_id: int) -> dict[tuple[int, str, bool, str], list[float]]:
    questions = select(Question.id).where(Question.course_id == course_id)
    return _grouped(_answered(QuestionResponse.question_id.in_(questions)))


def _stored_tallies(course_id: int) -> dict[tuple[int, str, bool, str], list[float]]:
    table = QuestionTally
    rows = db.session.execute(
        select(table.question_id, table.content_hash, table.first_attempt, table.answer,
               *(getattr(table, name) for name in SUMS))
        .join(Question, Question.id == table.question_id).where(Question.course_id == course_id))
    return {(q, h, bool(f), a): list(sums) for q, h, f, a, *sums in rows if any(sums)}


def _expected_summaries(course_id: int) -> dict[int, tuple[frozenset[int], datetime | None]]:
    found: dict[int, list] = defaultdict(lambda: [set(), None])
    for enrolment_id, lesson_id, at in db.session.execute(
        select(LessonProgress.enrolment_id, LessonProgress.lesson_id, LessonProgress.completed_at)
        .join(Enrolment, Enrolment.id == LessonProgress.enrolment_id)
        .where(Enrolment.course_id == course_id, LessonProgress.completed_at.is_not(None))
        .execution_options(yield_per=5000)
    ):
        entry = found[enrolment_id]
        entry[0].add(lesson_id)
        entry[1] = at if entry[1] is None else max(entry[1], at)
    return {eid: (frozenset(lessons), at) for eid, (lessons, at) in found.items()}


def _stored_summaries(course_id: int) -> dict[int, tuple[frozenset[int], int]]:
    return {eid: (frozenset(int(i) for i in lessons.split(",") if i), n) for eid, lessons, n in db.session.execute(
        select(ProgressSummary.enrolment_id, ProgressSummary.lessons, ProgressSummary.lessons_completed)
        .where(ProgressSummary.course_id == course_id))}


def course_ids() -> list[int]:
    from lms.catalog.models import Course
    return list(db.session.scalars(select(Course.id).order_by(Course.id)))


def rebuild_course(course_id: int) -> None:
    """Replace the course's tallies and summaries with totals recomputed from the raw rows (flushes)."""
    questions = select(Question.id).where(Question.course_id == course_id)
    db.session.execute(delete(QuestionTally).where(QuestionTally.question_id.in_(questions)))
    tallies = [{"question_id": q, "content_hash": h, "first_attempt": f, "answer_hash": _answer_hash(a),
                "answer": a, **dict(zip(SUMS, sums, strict=True))}
               for (q, h, f, a), sums in _expected_tallies(course_id).items()]
    if tallies:
        db.session.execute(QuestionTally.__table__.insert(), tallies)
    db.session.execute(delete(ProgressSummary).where(ProgressSummary.course_id == course_id))
    summaries = [{"enrolment_id": eid, "course_id": course_id, "lessons": ",".join(str(i) for i in sorted(lessons)),
                  "lessons_completed": len(lessons), "last_completed_at": at}
                 for eid, (lessons, at) in _expected_summaries(course_id).items()]
    if summaries:
        db.session.execute(ProgressSummary.__table__.insert(), summaries)
    db.session.flush()


def rebuild(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild every course's totals, then the enrolment counts; calls `progress(course_id)` after each course.
    Returns the number of courses."""
    ids = course_ids()
    for course_id in ids:
        rebuild_course(course_id)
        if progress:
            progress(course_id)
    counts.rebuild()  # the enrolment counts too (their progress states read the summaries just rebuilt)
    return len(ids)


def course_differences(course_id: int) -> list[str]:
    """Where the course's stored totals disagree with its raw rows, one line each (empty when they agree)."""
    found = []
    expected, stored = _expected_tallies(course_id), _stored_tallies(course_id)
    for key in sorted(set(expected) | set(stored), key=repr):
        want, have = expected.get(key), stored.get(key)
        if want is None or have is None or not all(
                math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE) for a, b in zip(want, have, strict=True)):
            found.append(f"course {course_id}: question {key[0]} version {key[1][:8]} "
                         f"{'first' if key[2] else 'later'} attempts, answer {key[3][:40]}: "
                         f"stored {have}, raw rows {want}")
    want_summaries, have_summaries = _expected_summaries(course_id), _stored_summaries(course_id)
    for enrolment_id in sorted(set(want_summaries) | set(have_summaries)):
        want_lessons = want_summaries.get(enrolment_id, (frozenset(), None))[0]
        have_lessons, count = have_summaries.get(enrolment_id, (frozenset(), 0))
        if want_lessons != have_lessons or count != len(want_lessons):
            found.append(f"course {course_id}: enrolment {enrolment_id} lessons completed: stored "
                         f"{sorted(have_lessons)} ({count}), raw rows {sorted(want_lessons)}")
    return found


def differences(progress: Callable[[int], None] | None = None) -> list[str]:
    """Every disagreement between the stored totals and the raw rows, over all courses."""
    found = []
    for course_id in course_ids():
        found += course_differences(course_id)
        if progress:
            progress(course_id)
    return found
