"""The reports' figures computed by scanning the raw rows: the reference the running counts are checked against.

The pages read lms.learning.counts through lms.reports.queries; these functions give the same figures the
slow way (one grouped scan of enrolments each), for `flask reports check-tallies`, the nightly check and the
tests. Each returns exactly what its namesake in lms.reports.queries returns.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Integer, and_, case, cast, extract, func, or_, select

from lms.accounts.models import Organisation, User
from lms.catalog.models import Course
from lms.catalog.tracks import track_label
from lms.clock import utcnow
from lms.credentials import standing
from lms.dates import london_date, utc_start_of
from lms.extensions import db
from lms.learning.models import Enrolment
from lms.learning.tallies import ProgressSummary
from lms.reports.queries import (
    DIMENSIONS,
    NO_ORGANISATION,
    FunnelStep,
    ProgrammeRow,
    Quarter,
    RateRow,
    WeekCount,
    _cpd_hours,
    _label,
    funnel_of,
    weeks_of,
)

# --- course summary -------------------------------------------------------------------------


def _per_day(column, course: Course) -> dict[date, int]:
    """{London day: number of enrolments whose `column` falls on it}. The database counts per UTC day, with
    23:xx apart: only that hour can fall on the next London day (British Summer Time is UTC+1), so each
    bucket is put on its London day and the rows stay at most two per day whatever the number of learners."""
    if db.engine.dialect.name == "postgresql":
        day, late = cast(column, Date), extract("hour", column) == 23
    else:
        day, late = func.date(column), func.strftime("%H", column) == "23"
    rows = db.session.execute(select(day, late, func.count()).where(Enrolment.course_id == course.id,
                                                                    column.is_not(None)).group_by(day, late))
    counts: dict[date, int] = defaultdict(int)
    for utc_day, is_late, n in rows:
        utc_day = utc_day if isinstance(utc_day, date) else date.fromisoformat(utc_day)
        counts[london_date(datetime(utc_day.year, utc_day.month, utc_day.day, 23 if is_late else 12))] += n
    return dict(counts)

def weekly_activity(course: Course) -> list[WeekCount]:
    return weeks_of(_per_day(Enrolment.enrolled_at, course), _per_day(Enrolment.completed_at, course))


def _completion_signatures(course: Course) -> list[tuple[str, frozenset[int], bool, int]]:
    """(track, completed lesson ids, course completed, number of learners) for each distinct state.

    The database groups learners with identical progress (their summaries, lms.learning.tallies), so the
    rule in `compute_progress` runs once per distinct state rather than once per learner.
    """
    completed = Enrolment.completed_at.is_not(None)
    rows = db.session.execute(
        select(Enrolment.track, ProgressSummary.lessons, completed, func.count())
        .outerjoin(ProgressSummary, ProgressSummary.enrolment_id == Enrolment.id)
        .where(Enrolment.course_id == course.id)
        .group_by(Enrolment.track, ProgressSummary.lessons, completed)
    )
    return [(track, frozenset(int(i) for i in (lessons or "").split(",") if i), bool(finished), n)
            for track, lessons, finished, n in rows]

def module_funnel(course: Course) -> list[FunnelStep]:
    return funnel_of(course, _completion_signatures(course))


def completion_by_track(course: Course) -> list[RateRow]:
    counts = {track: (n, done) for track, n, done in db.session.execute(
        select(Enrolment.track, func.count(), func.count(Enrolment.completed_at))
        .where(Enrolment.course_id == course.id).group_by(Enrolment.track))}
    tracks = list(course.tracks) + sorted(set(counts) - set(course.tracks))
    return [RateRow(track_label(t), *counts.get(t, (0, 0))) for t in tracks]


def completion_by_organisation(course: Course) -> list[RateRow]:
    rows = db.session.execute(
        select(Organisation.name, func.count(), func.count(Enrolment.completed_at))
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(Enrolment.course_id == course.id)
        .group_by(Organisation.name)
        .order_by(func.count().desc(), Organisation.name))
    return [RateRow(name or NO_ORGANISATION, n, done) for name, n, done in rows]


# --- programme ------------------------------------------------------------------------------


def _dimension(name: str | None):
    return {
        "organisation": func.coalesce(Organisation.name, NO_ORGANISATION),
        "group": User.professional_group,
        "track": Enrolment.track,
        None: None,
    }[name]

def _in_quarter(column, quarter: Quarter | None):
    if quarter is None:
        return column.is_not(None)
    # Quarters are London quarters: 1 April starts at 23:00 UTC on 31 March (British Summer Time).
    return and_(column >= utc_start_of(quarter.start.date()), column < utc_start_of(quarter.end.date()))


def _programme_select(dimension: str | None, *columns):
    # Only the joins the breakdown needs: the track and the totals come from enrolments alone.
    query = select(*columns).select_from(Enrolment)
    if dimension in ("organisation", "group"):
        query = query.join(User, User.id == Enrolment.user_id)
    if dimension == "organisation":
        query = query.outerjoin(Organisation, Organisation.id == User.organisation_id)
    return query

def _earned_count():
    """How many of the grouped completions have earned their hours (credentials' one rule)."""
    return func.sum(case((standing.earned_clause(utcnow()), 1), else_=0))

def programme_breakdown(dimension: str | None, quarter: Quarter | None,
                        hours: dict[int, dict[str, float]] | None = None) -> list[ProgrammeRow]:
    """Learners, enrolments, completions and CPD hours by `dimension` (None: one total row).

    Learners and enrolments count those who enrolled in the quarter; completions and CPD
    hours those who completed in it. Two queries (three without `hours`).
    """
    key = _dimension(dimension)
    keys = [key] if key is not None else []
    enrolled = {row[0] if keys else None: row[-2:] for row in db.session.execute(
        _programme_select(dimension, *keys, func.count(func.distinct(Enrolment.user_id)), func.count())
        .where(_in_quarter(Enrolment.enrolled_at, quarter)).group_by(*keys))}
    completed: dict[Any, list[float]] = defaultdict(lambda: [0, 0.0])
    hours = _cpd_hours() if hours is None else hours
    earned = _earned_count()
    for *value, course_id, track, n, n_earned in db.session.execute(
        _programme_select(dimension, *keys, Enrolment.course_id, Enrolment.track, func.count(), earned)
        .where(_in_quarter(Enrolment.completed_at, quarter))
        .group_by(*keys, Enrolment.course_id, Enrolment.track)
    ):
        totals = completed[value[0] if keys else None]
        totals[0] += n
        totals[1] += (n_earned or 0) * float(hours.get(course_id, {}).get(track, 0))
    values = set(enrolled) | set(completed)
    rows = [ProgrammeRow(_label(dimension, v), *enrolled.get(v, (0, 0)), int(completed[v][0]), completed[v][1])
            for v in values]
    if not keys and not rows:
        rows = [ProgrammeRow("All", 0, 0, 0, 0.0)]
    return sorted(rows, key=lambda r: (-r.enrolments, -r.completions, r.label))


def programme_by_quarter(hours: dict[int, dict[str, float]] | None = None) -> list[tuple[Quarter, ProgrammeRow]]:
    """The same figures for every calendar quarter with any enrolment or completion, newest first."""
    hours = _cpd_hours() if hours is None else hours

    def quarter_of(column):
        month = cast(extract("month", column), Integer)
        day, hour = cast(extract("day", column), Integer), cast(extract("hour", column), Integer)
        # The London quarter: 23:xx UTC on 31 March, 30 June or 30 September is already the next
        # quarter in London (always British Summer Time then); 31 December is GMT, so no shift.
        next_in_london = and_(hour == 23, or_(and_(month == 3, day == 31), and_(month == 6, day == 30),
                                              and_(month == 9, day == 30)))
        return cast(extract("year", column), Integer), (month + 2) // 3 + case((next_in_london, 1), else_=0)

    e_year, e_quarter = quarter_of(Enrolment.enrolled_at)
    enrolled = {(y, q): (learners, n) for y, q, learners, n in db.session.execute(
        select(e_year, e_quarter, func.count(func.distinct(Enrolment.user_id)), func.count())
        .group_by(e_year, e_quarter))}
    c_year, c_quarter = quarter_of(Enrolment.completed_at)
    completed: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0, 0.0])
    for y, q, course_id, track, n, n_earned in db.session.execute(
        select(c_year, c_quarter, Enrolment.course_id, Enrolment.track, func.count(), _earned_count())
        .where(Enrolment.completed_at.is_not(None))
        .group_by(c_year, c_quarter, Enrolment.course_id, Enrolment.track)
    ):
        completed[(y, q)][0] += n
        completed[(y, q)][1] += (n_earned or 0) * float(hours.get(course_id, {}).get(track, 0))
    quarters = sorted((Quarter(int(y), int(q)) for y, q in set(enrolled) | set(completed)), reverse=True)
    return [(quarter, ProgrammeRow(quarter.label, *enrolled.get((quarter.year, quarter.number), (0, 0)),
                                   int(completed[(quarter.year, quarter.number)][0]),
                                   completed[(quarter.year, quarter.number)][1]))
            for quarter in quarters]


def programme(quarter: Quarter | None) -> dict[str, Any]:
    """Everything the programme view shows."""
    hours = _cpd_hours()
    return {
        "totals": programme_breakdown(None, quarter, hours)[0],
        "by_quarter": programme_by_quarter(hours),
        **{name: programme_breakdown(name, quarter, hours) for name in DIMENSIONS},
    }


def summary(course: Course) -> dict[str, Any]:
    """Everything the course summary shows."""
    return {"weeks": weekly_activity(course), "funnel": module_funnel(course),
            "by_track": completion_by_track(course), "by_organisation": completion_by_organisation(course)}


def _comparable(value: Any) -> Any:
    """Figures in a form two computations can be compared in: rows sorted, hours rounded."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_comparable(v) for v in value), key=repr)
    if isinstance(value, tuple):
        return tuple(_comparable(v) for v in value)
    if isinstance(value, ProgrammeRow):
        return (value.label, value.learners, value.enrolments, value.completions, round(value.cpd_hours, 6))
    return value


def figure_differences() -> list[str]:
    """Where a course summary or the programme view (all time and each quarter) read from the counts differs
    from the same figures scanned from the raw rows, one line each (empty when they agree)."""
    from lms.reports import queries

    found = []
    for course in db.session.scalars(select(Course).order_by(Course.id)):
        counted, scanned = _comparable(queries.summary(course)), _comparable(summary(course))
        found += [f"course {course.id} summary, {part}: counts {counted[part]}, raw rows {scanned[part]}"
                  for part in scanned if counted[part] != scanned[part]]
    quarters = [None, *{q for q, _row in programme_by_quarter()}]
    for quarter in quarters:
        counted, scanned = _comparable(queries.programme(quarter)), _comparable(programme(quarter))
        period = quarter.label if quarter else "all time"
        found += [f"programme {period}, {part}: counts {counted[part]}, raw rows {scanned[part]}"
                  for part in scanned if counted[part] != scanned[part]]
    return found
