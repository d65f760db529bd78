"""What learners do: enrol on a course and track, complete lessons, attempt quizzes, reflect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db


class Enrolment(db.Model):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    #: postgraduate, ahp or junior; the learner may switch.
    track: Mapped[str] = mapped_column(String(32))
    enrolled_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    last_activity_at: Mapped[datetime | None]
    #: Where "Continue" starts looking from.
    last_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"))
    #: Set when every required lesson of the track is complete.
    completed_at: Mapped[datetime | None] = mapped_column(index=True)
    #: What was completed, taken at completion (lms.learning.completion): track, CPD hours, outcomes,
    #: content revision and its publication time. Certificates and the record print this.
    completion_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    user: Mapped[Any] = relationship("User")
    course: Mapped[Any] = relationship("Course")


class LessonProgress(db.Model):
    """A lesson completed by an enrolled learner; kept when the learner switches track."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    #: When the lesson was marked complete or its quiz first passed; None while in progress.
    completed_at: Mapped[datetime | None]
    #: Best quiz percentage so far (None for lessons without questions).
    best_percent: Mapped[float | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class QuizAttempt(db.Model):
    """One submitted quiz. Append-only: attempts are never changed or deleted."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (UniqueConstraint("enrolment_id", "token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    #: Random per opened quiz; the same token posted twice records one attempt.
    token: Mapped[str] = mapped_column(String(64))
    #: The track the learner was on when answering.
    track: Mapped[str] = mapped_column(String(32))
    #: {question key: [choice keys in the order shown]}.
    choice_order: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    #: Keys of the questions the attempt showed, in the order shown (drawn when it was opened);
    #: None for attempts made before questions were drawn (they showed every question).
    question_keys: Mapped[list[str] | None] = mapped_column(JSON)
    score: Mapped[float]
    max_score: Mapped[float]
    percent: Mapped[float]
    #: The lesson's pass mark at the time, so later changes do not rewrite history.
    pass_mark: Mapped[float]
    passed: Mapped[bool]
    started_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime] = mapped_column(server_default=func.now())

    responses: Mapped[list[QuestionResponse]] = relationship(
        "QuestionResponse", order_by="QuestionResponse.position", lazy="selectin")


class QuestionResponse(db.Model):
    """A learner's answer to one question within an attempt, with its grade."""

    __tablename__ = "question_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    position: Mapped[int]
    #: As submitted: a choice key, a list of keys, or text.
    answer: Mapped[Any] = mapped_column(JSON)
    points_awarded: Mapped[float]
    points_possible: Mapped[float]
    correct: Mapped[bool]
    #: The question's content hash when answered, so statistics can tell versions apart.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: Hints the learner opened before answering.
    hints_used: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Points taken off `points_awarded` for those hints (the lesson's hint penalty at the time).
    hint_penalty: Mapped[float] = mapped_column(default=0.0, server_default="0")


class QuizDraft(db.Model):
    """An opened, unfinished quiz: its token, choice order, saved answers and hints shown."""

    __tablename__ = "quiz_drafts"
    __table_args__ = (UniqueConstraint("enrolment_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    token: Mapped[str] = mapped_column(String(64))
    choice_order: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    #: Keys of the questions drawn for this attempt, in the order shown (seeded by the token);
    #: None for drafts opened before questions were drawn (every question of the track).
    question_keys: Mapped[list[str] | None] = mapped_column(JSON)
    #: {question key: answer} saved with "Save and continue later".
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: {question key: number of hints revealed}.
    hints_shown: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ReflectionNote(db.Model):
    """A learner's private answer to a reflection prompt. Shown to nobody else."""

    __tablename__ = "reflection_notes"
    __table_args__ = (UniqueConstraint("user_id", "prompt_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("reflection_prompts.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CohortUpload(db.Model):
    """A checked CSV of learners kept between its preview and its confirmation (never re-uploaded)."""

    __tablename__ = "cohort_uploads"

    #: Random and unguessable; only the person who uploaded it may confirm it.
    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    #: [{line, email, name, track, organisation_id}] as parsed and checked.
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    #: Set when the upload is confirmed, so it cannot be confirmed twice.
    confirmed_at: Mapped[datetime | None]
