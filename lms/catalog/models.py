"""Published content: courses, modules, lessons, questions and reflection prompts.

Rows are keyed by the author's stable ids (`key`), never by file names or positions, so
renaming or moving a file keeps everything learners have done on it. A row that
disappears from the content but has learner data stays, marked `retired`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint, false, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db

PUBLISHED = "published"
DRAFT = "draft"
EDUCATOR = "educator"
PARTNER = "partner"
STAFF_ROLES = (EDUCATOR, PARTNER)


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The author's stable id from course.md.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: The URL name, /courses/<slug>/.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    #: Track names in display order, e.g. ["postgraduate", "ahp", "junior"].
    tracks: Mapped[list[str]] = mapped_column(JSON)
    #: {track: hours}.
    cpd_hours: Mapped[dict[str, float]] = mapped_column(JSON)
    #: [{id, text, tracks}].
    outcomes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    pass_mark: Mapped[float]
    #: The university partner organisation that certifies this course.
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    #: "automatic" or "approval".
    certificate_issue: Mapped[str] = mapped_column(String(16), default="automatic")
    certificate_valid_months: Mapped[int | None]
    #: "published" (learners see it) or "draft" (only its staff).
    status: Mapped[str] = mapped_column(String(16), default=PUBLISHED)
    #: {track: html} of course.md's body.
    overview_html: Mapped[dict[str, str]] = mapped_column(JSON)
    #: Ids deliberately removed although learners have data on them.
    retired_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: How assignments are marked: {"second_marking": bool, "moderation": bool}.
    marking: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    #: sha256 of every source file; equal means nothing to publish.
    revision: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())

    partner: Mapped[Any] = relationship("Organisation")

    def hours_for(self, track: str) -> float:
        return hours_for(self.cpd_hours, track)


def hours_for(cpd_hours: dict, track: str) -> float:
    """A course's CPD hours on a track, from its `cpd_hours` ({track: hours}); 0 for a track without any."""
    return float(cpd_hours.get(track, 0))


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    #: The author's stable id from module.md.
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    tracks: Mapped[list[str]] = mapped_column(JSON)
    #: 1-based order within the course (from the folder prefix).
    position: Mapped[int]
    intro_html: Mapped[dict[str, str]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    #: Gone from the content but kept because learners have data on it.
    retired: Mapped[bool] = mapped_column(default=False)

    course: Mapped[Course] = relationship("Course")


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    tracks: Mapped[list[str]] = mapped_column(JSON)
    #: 1-based order within its module.
    position: Mapped[int]
    #: {track: minutes}; empty when the author gave none.
    estimated_minutes: Mapped[dict[str, float]] = mapped_column(JSON)
    #: Learning outcome ids this lesson serves.
    outcomes: Mapped[list[str]] = mapped_column(JSON)
    pass_mark: Mapped[float]
    #: Maximum quiz attempts; None is unlimited.
    attempts: Mapped[int | None]
    #: Optional lessons do not count towards completion.
    required: Mapped[bool] = mapped_column(default=True)
    #: Show choices in a new order on each attempt.
    shuffle: Mapped[bool] = mapped_column(default=False)
    #: {"count": N} or {"per_outcome": N}: how many questions each attempt draws; None shows them all.
    draw: Mapped[dict[str, int] | None] = mapped_column(JSON)
    #: Show the questions in a new order on each attempt.
    shuffle_questions: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Percentage of a question's points lost per hint opened.
    hint_penalty: Mapped[float] = mapped_column(default=0.0, server_default="0")
    #: When the answer key is shown: after-pass, after-last-attempt, always or never (lms.learning.reveal).
    reveal: Mapped[str] = mapped_column(String(24), default="always", server_default="always")
    #: {track: sanitised html}; never contains answers.
    html: Mapped[dict[str, str]] = mapped_column(JSON)
    #: "lesson" or "assignment" (marked by people; see lms.assignments).
    kind: Mapped[str] = mapped_column(String(16), default="lesson")
    #: An assignment's word limit, files, resubmission and rubric: `courses.AssignmentSpec.to_dict()`.
    assignment: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Where the lesson came from, for educators' messages; not part of its identity.
    source_path: Mapped[str] = mapped_column(String(500), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    retired: Mapped[bool] = mapped_column(default=False)

    module: Mapped[Module] = relationship("Module")
    course: Mapped[Course] = relationship("Course")

    def minutes_for(self, track: str) -> float | None:
        return self.estimated_minutes.get(track)


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    #: 1-based order within its lesson.
    position: Mapped[int]
    tracks: Mapped[list[str]] = mapped_column(JSON)
    #: The full question, answers included: `courses.QuestionSpec.to_dict()`. Never sent before submission.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    retired: Mapped[bool] = mapped_column(default=False)


class ReflectionPrompt(db.Model):
    __tablename__ = "reflection_prompts"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int]
    tracks: Mapped[list[str]] = mapped_column(JSON)
    prompt_html: Mapped[str] = mapped_column(Text)
    retired: Mapped[bool] = mapped_column(default=False)


class CourseAsset(db.Model):
    """An image or document from the course folder, served at a stable URL from the database,
    so any app host can serve it without a shared file store."""

    __tablename__ = "course_assets"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    #: Relative to the course folder, with '/' separators.
    path: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CourseStaff(db.Model):
    """An educator or university partner attached to a course."""

    __tablename__ = "course_staff"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: "educator" or "partner".
    role: Mapped[str] = mapped_column(String(16))

    user: Mapped[Any] = relationship("User")
    course: Mapped[Course] = relationship("Course")
