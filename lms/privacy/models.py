"""A "Download my data" ZIP, built by a job and fetched only by the person it describes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, deferred, mapped_column

from lms.extensions import db


class DataExport(db.Model):
    __tablename__ = "data_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    requested_at: Mapped[datetime]
    #: Set when the ZIP is built; None while the job runs (or waits to be retried).
    ready_at: Mapped[datetime | None]
    #: The ZIP; deleted by the nightly retention job after EXPORT_KEEP_DAYS.
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
