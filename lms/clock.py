"""One clock for the whole app: naive UTC datetimes, as stored in every table."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
