"""The outbox: one row per job, written in the same transaction as the change that needs it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db

PENDING = "pending"  # waiting to run (or to be retried at run_after)
DONE = "done"
FAILED = "failed"  # gave up after its retries; shown to admins, who may retry it


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_run_after", "status", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Registered task name, e.g. "certificates.issue".
    task: Mapped[str] = mapped_column(String(100))
    #: Idempotency key: a second enqueue with the same key adds nothing.
    key: Mapped[str] = mapped_column(String(255), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: UTC; a pending job is not run before this (back-off after a failure).
    run_after: Mapped[datetime]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    #: Progress of batch work, for the page that shows it (done of total).
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    #: What the job produced for a person to fetch (e.g. an export's file name), if anything.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: UTC; while in the future a worker holds the job (running); a crashed worker's claim lapses.
    claimed_until: Mapped[datetime | None]
    #: Random token of the run holding the claim: only that run may mark the job done.
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    #: UTC; when the job was (or is due to be) handed to the queue; the sweep re-delivers stale ones.
    dispatched_at: Mapped[datetime | None]

    @property
    def running(self) -> bool:
        from lms.clock import utcnow

        return self.status == PENDING and self.claimed_until is not None and self.claimed_until > utcnow()
