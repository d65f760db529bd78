"""Course sources as revisions: every file a course was built from, kept byte for byte.

Files are content-addressed blobs (sha256), so a revision that changes one lesson stores one
new blob. A revision belongs to a course by its stable id from course.md (`course_key`), so
a course can have history before it is first published.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db


class SourceBlob(db.Model):
    __tablename__ = "course_source_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class SourceRevision(db.Model):
    __tablename__ = "course_source_revisions"
    __table_args__ = (UniqueConstraint("course_key", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_key: Mapped[str] = mapped_column(String(64), index=True)
    #: 1, 2, 3... within the course.
    number: Mapped[int]
    #: The course folder's name (the course's default slug), so an export is the same folder.
    folder_name: Mapped[str] = mapped_column(String(255))
    #: `courses.course_revision` of these files: equal revisions compile the same.
    compiled_revision: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]

    files: Mapped[list[SourceFile]] = relationship(
        back_populates="revision", cascade="all, delete-orphan", order_by="SourceFile.path")


class SourceFile(db.Model):
    __tablename__ = "course_source_files"

    revision_id: Mapped[int] = mapped_column(
        ForeignKey("course_source_revisions.id", ondelete="CASCADE"), primary_key=True)
    #: Relative to the course folder, '/' between folders.
    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("course_source_blobs.sha256"))

    revision: Mapped[SourceRevision] = relationship(back_populates="files")
