"""The one place that turns stored times (naive UTC) into the dates people read (Europe/London)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def london(utc_naive: datetime) -> datetime:
    """A stored naive-UTC time as an aware Europe/London time."""
    return utc_naive.replace(tzinfo=UTC).astimezone(LONDON)


def london_date(value: datetime | date | str | None) -> date | None:
    """The Europe/London date of a stored naive-UTC time: 23:30 UTC on 30 June 2024 is 1 July 2024.

    A date (or an ISO date string, as kept in JSON snapshots) is already a London date and is returned as it is.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(value, datetime):
        return london(value).date()
    return value


def long_date(value: datetime | date | str | None) -> str:
    """"1 July 2024" (London date), or "" for None."""
    if isinstance(value, datetime):  # pages print many: each UTC hour's is worked out once per process
        key = (value.year, value.month, value.day, value.hour)
        found = _LONG_DATES.get(key)
        if found is None:
            if len(_LONG_DATES) >= _LONG_DATES_SIZE:
                _LONG_DATES.clear()
            found = _LONG_DATES[key] = _long(london_date(value))
        return found
    return _long(london_date(value))


def _long(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


# By (UTC year, month, day, hour): London's offset from UTC is whole hours and changes on the hour.
_LONG_DATES: dict[tuple[int, int, int, int], str] = {}
_LONG_DATES_SIZE = 8192


def short_date(value: datetime | date | str | None) -> str:
    """"1 Jul 2024" (London date), or "" for None."""
    day = london_date(value)
    return f"{day.day} {day:%b %Y}" if day else ""


def london_time(value: datetime | None) -> str:
    """"1 July 2024 at 00:30" (London time), or "" for None."""
    if value is None:
        return ""
    local = london(value)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def iso_date(value: datetime | date | str | None) -> str:
    """"2024-07-01" (London date) for CSVs, or "" for None."""
    day = london_date(value)
    return day.isoformat() if day else ""


def init_app(app) -> None:
    """Jinja filters: long_date, short_date, iso_date and london_time, e.g. {{ when | long_date }}."""
    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(short_date, "short_date")
    app.add_template_filter(iso_date, "iso_date")
    app.add_template_filter(london_time, "london_time")


def utc_start_of(day: date) -> datetime:
    """The naive-UTC time at which London's `day` begins (for "from"/"to" date filters)."""
    return datetime.combine(day, datetime.min.time(), tzinfo=LONDON).astimezone(UTC).replace(tzinfo=None)
