"""Counters of recent events kept in the database, so limits hold across workers and hosts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Index, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db


class RateEvent(db.Model):
    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What is being counted, e.g. ``login-account:jo@example.nhs.uk``.
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime]


def record_event(key: str, now: datetime, keep: timedelta) -> None:
    """Count one event for `key`; forget this key's events older than `keep`."""
    db.session.execute(delete(RateEvent).where(RateEvent.key == key, RateEvent.at < now - keep))
    db.session.add(RateEvent(key=key, at=now))
    db.session.flush()


def recent_events(key: str, now: datetime, window: timedelta, limit: int) -> list[datetime]:
    """The times of up to `limit` events for `key` within `window`, newest first."""
    rows = db.session.scalars(
        select(RateEvent.at)
        .where(RateEvent.key == key, RateEvent.at > now - window)
        .order_by(RateEvent.at.desc())
        .limit(limit)
    )
    return list(rows)


def clear_events(key: str, with_suffixes: bool = False) -> None:
    """Forget `key`'s events; `with_suffixes` also those of ``key:...`` (e.g. per device)."""
    condition = RateEvent.key == key
    if with_suffixes:
        condition = condition | RateEvent.key.startswith(f"{key}:", autoescape=True)
    db.session.execute(delete(RateEvent).where(condition))


def limited_until(key: str, now: datetime, window: timedelta, max_events: int) -> datetime | None:
    """When `max_events` events fell within one `window`, the time the limit lifts, else None.

    The limit lasts one window from the event that reached the maximum.
    """
    times = recent_events(key, now, window * 2, max_events)
    if len(times) < max_events:
        return None
    newest, oldest = times[0], times[-1]
    if newest - oldest > window:
        return None
    until = newest + window
    return until if until > now else None
