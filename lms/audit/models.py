"""One row per staff or admin action; rows are only ever added."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)  # UTC
    #: Who acted; None for the system (a job) or the server's command line without a named user.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: How the action came in: "web", "cli" or "job".
    via: Mapped[str] = mapped_column(String(8), default="web")
    #: What was done, dotted: "user.role_changed", "certificate.revoked", "course.published", ...
    action: Mapped[str] = mapped_column(String(64), index=True)
    #: The object acted on: a type ("user", "certificate", "course", ...) and its id as text.
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
