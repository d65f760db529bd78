"""Marked written assignments: a learner's submissions, their file, and the marks given to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db

# Where a submission is in its life. The marking queue shows each state but "draft".
DRAFT = "draft"
SUBMITTED = "submitted"  # waiting for its first mark
SECOND_MARKING = "second_marking"  # first mark given; a different educator marks it blind
AGREEING = "agreeing"  # both marks given; a marker records the agreed mark
MODERATION = "moderation"  # waiting for the course's partner to confirm or adjust
READY = "ready"  # decided; an educator releases it to the learner
RELEASED = "released"
STATES = (DRAFT, SUBMITTED, SECOND_MARKING, AGREEING, MODERATION, READY, RELEASED)

# The marks a submission can collect, one of each at most.
FIRST, SECOND, AGREED, MODERATED = "first", "second", "agreed", "moderated"
STAGES = (FIRST, SECOND, AGREED, MODERATED)


class Submission(db.Model):
    """One attempt at an assignment: a draft until submitted, then marked and released.

    A learner who did not pass may start another attempt (when the assignment allows it); the
    earlier attempts stay as they were.
    """

    __tablename__ = "assignment_submissions"
    __table_args__ = (UniqueConstraint("enrolment_id", "lesson_id", "attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    #: 1 for the first attempt, 2 for a resubmission, ...
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    #: One of STATES.
    status: Mapped[str] = mapped_column(String(16), default=DRAFT, index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    #: Words in `text`, counted on the server when it was saved (`services.count_words`).
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    #: The assignment's pass mark and rubric when submitted, so a republished rubric changes nothing being marked.
    pass_mark: Mapped[float | None]
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    #: The released mark (0-100) and whether it reached the pass mark; None until released.
    mark: Mapped[float | None]
    passed: Mapped[bool | None]
    released_at: Mapped[datetime | None]

    enrolment: Mapped[Any] = relationship("Enrolment")
    lesson: Mapped[Any] = relationship("Lesson")
    marks: Mapped[list[Mark]] = relationship("Mark", order_by="Mark.id", lazy="selectin",
                                             cascade="all, delete-orphan")

    def mark_at(self, stage: str) -> Mark | None:
        return next((m for m in self.marks if m.stage == stage), None)


class SubmissionFile(db.Model):
    """The one PDF or Word file sent with a submission; kept in the database, served only through
    the checked download view (never from a public folder)."""

    __tablename__ = "assignment_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("assignment_submissions.id", ondelete="CASCADE"), unique=True)
    #: The learner's file name, cleaned; only shown and offered on download.
    filename: Mapped[str] = mapped_column(String(255))
    #: Decided from the file's first bytes, never from its name or the browser's claim.
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime]


class Mark(db.Model):
    """A marker's judgement of a submission at one stage (first, second, agreed, moderated)."""

    __tablename__ = "assignment_marks"
    __table_args__ = (UniqueConstraint("submission_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("assignment_submissions.id", ondelete="CASCADE"), index=True)
    #: One of STAGES.
    stage: Mapped[str] = mapped_column(String(16))
    marker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: {criterion index (as text): level mark}; empty when the assignment has no rubric.
    levels: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    #: Overall mark, 0-100.
    mark: Mapped[float]
    #: For the learner once released.
    feedback: Mapped[str] = mapped_column(Text, default="")
    #: True once the marker has finished (a saved mark may still be changed until then).
    final: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    marker: Mapped[Any] = relationship("User")
