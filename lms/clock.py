"""One clock for the whole app: naive UTC datetimes, as stored in every table."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


LONDON = ZoneInfo("Europe/London")


def to_london(value: datetime) -> datetime:
    """A stored naive UTC time as the wall-clock time in London (GMT or BST)."""
    return value.replace(tzinfo=UTC).astimezone(LONDON)


def london_day_start(day: date) -> datetime:
    """The naive UTC instant at which this London date begins (for filtering stored times by date)."""
    return datetime.combine(day, time.min, tzinfo=LONDON).astimezone(UTC).replace(tzinfo=None)
