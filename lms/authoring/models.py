"""A course's working draft: the files changed since the revision it started from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.publishing.models import SourceRevision


class SourceDraft(db.Model):
    """One shared draft per course. ``files`` maps a path to the sha256 of its new bytes (kept
    as a ``SourceBlob``), or to None when the draft deletes it. ``version`` goes up on every save,
    so an editor who opened an older version is told instead of overwriting."""

    __tablename__ = "course_source_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_key: Mapped[str] = mapped_column(String(64), unique=True)
    base_revision_id: Mapped[int] = mapped_column(
        ForeignKey("course_source_revisions.id", ondelete="CASCADE"), index=True)
    files: Mapped[dict[str, str | None]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(default=1)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]

    base_revision: Mapped[SourceRevision] = relationship()
    author: Mapped[object] = relationship("User")
