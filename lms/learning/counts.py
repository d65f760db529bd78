"""Enrolment counts the course summary and the programme view read instead of scanning every enrolment.

Four tables of running counts, each grouped the way a report filters or groups:

- `EnrolmentDay`: per course and Europe/London day, enrolments started and courses completed (the weekly
  chart; any range of days is a sum over days).
- `ProgressState`: per course, track, completed lessons (sorted ids) and course completed or not, the
  enrolments in that state (the module funnel and completion by track).
- `ProgrammeCount`: per London quarter, course, track, organisation and professional group, enrolments
  started and courses completed in that quarter (the programme view; all time is the sum over quarters;
  completion by organisation).
- `LearnerCount`: per period (a quarter, or "all") and breakdown ("all", "organisation", "group" or
  "track" with its value), the distinct people who enrolled (the programme's learners column).

Each write that changes what an enrolment adds to them calls one function here inside its transaction.
It reads that person's own enrolments (a few rows; the person's row is locked on PostgreSQL so two of
their writes take turns), works out what they added before and after the change, and adds the
difference with upserts (`n = n + excluded.n`) in key order, never reading a count to write it back.
CPD hours also depend on certificates (revoked or expired ones void them): the programme view subtracts
those, found from the certificates, so issuing or revoking a certificate changes no count here.
`rebuild()` recomputes every count from the raw rows; lms.reports.scans checks the reports against them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import groupby
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint, delete, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.accounts.models import User
from lms.dates import london_date
from lms.extensions import db
from lms.learning.models import Enrolment

#: The period of the all-time learner counts.
ALL_TIME = "all"


class EnrolmentDay(db.Model):
    """Enrolments started and courses completed on one London day."""

    __tablename__ = "enrolment_days"
    __table_args__ = (UniqueConstraint("course_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    enrolled: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)


class ProgressState(db.Model):
    """How many enrolments of a course are on `track` with exactly `lessons` completed."""

    __tablename__ = "progress_states"
    __table_args__ = (UniqueConstraint("course_id", "track", "lessons", "completed"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    track: Mapped[str] = mapped_column(String(32))
    #: Completed lesson ids, ascending, comma-separated ("" for none).
    lessons: Mapped[str] = mapped_column(Text)
    #: The course is recorded as completed.
    completed: Mapped[bool] = mapped_column(Boolean)
    enrolments: Mapped[int] = mapped_column(default=0)


class ProgrammeCount(db.Model):
    """Enrolments started and courses completed in one London quarter, by course, track, organisation, group."""

    __tablename__ = "programme_counts"
    __table_args__ = (UniqueConstraint("quarter", "course_id", "track", "organisation_id", "professional_group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "2025-q1".
    quarter: Mapped[str] = mapped_column(String(8))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    track: Mapped[str] = mapped_column(String(32))
    #: The learner's organisation now ("" for none).
    organisation_id: Mapped[str] = mapped_column(String(64))
    #: The learner's professional group now ("" for none).
    professional_group: Mapped[str] = mapped_column(String(64))
    enrolled: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)


class LearnerCount(db.Model):
    """Distinct people with an enrolment started in `period`, overall or for one organisation, group or track."""

    __tablename__ = "learner_counts"
    __table_args__ = (UniqueConstraint("period", "breakdown", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "2025-q1", or "all" for all time.
    period: Mapped[str] = mapped_column(String(8))
    #: "all" (value ""), "organisation", "group" or "track".
    breakdown: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))
    learners: Mapped[int] = mapped_column(default=0)


#: Each count table by name: its model, key columns and count columns.
TABLES: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {
    "day": (EnrolmentDay, ("course_id", "day"), ("enrolled", "completed")),
    "state": (ProgressState, ("course_id", "track", "lessons", "completed"), ("enrolments",)),
    "programme": (ProgrammeCount, ("quarter", "course_id", "track", "organisation_id", "professional_group"),
                  ("enrolled", "completed")),
    "learners": (LearnerCount, ("period", "breakdown", "value"), ("learners",)),
}

Counts = dict[tuple[str, tuple], list[int]]


@dataclass(frozen=True)
class Counted:
    """One enrolment as the counts see it."""

    enrolment_id: int
    user_id: int
    course_id: int
    track: str
    enrolled_at: datetime
    completed_at: datetime | None
    organisation_id: str
    professional_group: str
    lessons: str


def quarter_of(day: date) -> str:
    """The London quarter of a London day, as the counts and the programme's links name it: "2025-q2"."""
    return f"{day.year}-q{(day.month - 1) // 3 + 1}"


def lesson_list(text: str | None) -> str:
    """Completed lesson ids in the summaries' completion order as the counts key them: ascending, unique."""
    return ",".join(str(i) for i in sorted({int(part) for part in (text or "").split(",") if part}))


def contributions(rows: Iterable[Counted]) -> Counts:
    """What one person's enrolments add to each count: {(table, key): [counts]}.

    Learners count once per period and breakdown value, however many of their enrolments fall in it.
    """
    found: Counts = defaultdict(lambda: [0, 0])
    learners = set()
    for row in rows:
        enrolled = london_date(row.enrolled_at)
        people = (row.track, row.organisation_id, row.professional_group)
        found["day", (row.course_id, enrolled)][0] += 1
        found["programme", (quarter_of(enrolled), row.course_id, *people)][0] += 1
        if row.completed_at is not None:
            completed = london_date(row.completed_at)
            found["day", (row.course_id, completed)][1] += 1
            found["programme", (quarter_of(completed), row.course_id, *people)][1] += 1
        found["state", (row.course_id, row.track, row.lessons, row.completed_at is not None)][0] += 1
        for period in (quarter_of(enrolled), ALL_TIME):
            learners.update({(period, "all", ""), (period, "organisation", row.organisation_id),
                             (period, "group", row.professional_group), (period, "track", row.track)})
    for key in learners:
        found["learners", key][0] = 1
    return found


def _counted_select():
    from lms.learning.tallies import ProgressSummary
    return (select(Enrolment.id, Enrolment.user_id, Enrolment.course_id, Enrolment.track, Enrolment.enrolled_at,
                   Enrolment.completed_at, User.organisation_id, User.professional_group, ProgressSummary.lessons)
            .join(User, User.id == Enrolment.user_id)
            .outerjoin(ProgressSummary, ProgressSummary.enrolment_id == Enrolment.id))


def _counted(row) -> Counted:
    eid, uid, cid, track, enrolled_at, completed_at, org, group, lessons = row
    return Counted(eid, uid, cid, track, enrolled_at, completed_at, org or "", group or "", lesson_list(lessons))


def _people(user_ids: Iterable[int]) -> list[Counted]:
    """The enrolments of these people, their rows locked first on PostgreSQL (SQLite writes one at a time)."""
    ids = sorted(set(user_ids))
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(User.id).where(User.id.in_(ids)).order_by(User.id).with_for_update())
    return [_counted(row) for row in db.session.execute(_counted_select().where(Enrolment.user_id.in_(ids)))]


_statements: dict[tuple[str, str], Any] = {}


def _upsert(name: str):
    """The add-in-place upsert of count table `name` for the session's database, built once."""
    dialect = db.session.get_bind().dialect.name
    if (dialect, name) not in _statements:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        model, keys, columns = TABLES[name]
        table = model.__table__
        statement = insert(table)
        _statements[dialect, name] = statement.on_conflict_do_update(
            index_elements=list(keys), set_={c: table.c[c] + statement.excluded[c] for c in columns})
    return _statements[dialect, name]


def add(before: Counts, after: Counts) -> None:
    """Add `after` minus `before` to the stored counts, one upsert per changed row, in key order (so two
    transactions lock shared rows in the same order and cannot deadlock); a table's rows go as one
    executemany (sent together, run in that order)."""
    changes = []
    for key in set(before) | set(after):
        old, new = before.get(key, [0, 0]), after.get(key, [0, 0])
        delta = [n - o for n, o in zip(new, old, strict=True)]
        if any(delta):
            changes.append((key, delta))
    changes.sort(key=lambda change: (change[0][0], repr(change[0][1])))
    for name, rows in groupby(changes, key=lambda change: change[0][0]):
        _model, keys, columns = TABLES[name]
        db.session.execute(_upsert(name), [{**dict(zip(keys, key, strict=True)),
                                            **dict(zip(columns, delta, strict=False))} for (_name, key), delta in rows])


def _recount(user_ids: Iterable[int], before: Callable[[list[Counted]], list[Counted]] = list,
             after: Callable[[list[Counted]], list[Counted]] = list) -> None:
    rows = _people(user_ids)
    add(contributions(before(rows)), contributions(after(rows)))


# --- the write points call these, inside their transactions ---------------------------------------


def enrolments_added(enrolments: Iterable[Enrolment]) -> None:
    """Count enrolments just inserted (after the flush that gave them ids)."""
    enrolments = list(enrolments)
    if not enrolments:
        return
    new = {e.id for e in enrolments}
    _recount({e.user_id for e in enrolments}, before=lambda rows: [r for r in rows if r.enrolment_id not in new])


def enrolment_added(enrolment: Enrolment) -> None:
    """Count one enrolment just inserted (after its flush)."""
    enrolments_added([enrolment])


def track_switching(enrolment: Enrolment, track: str) -> None:
    """Move an enrolment's counts to `track` (call before the track is changed)."""
    if db.session.get_bind().dialect.name == "postgresql":
        # The enrolment before its person, as a completion (an UPDATE of the enrolment, then the person) locks.
        db.session.execute(select(Enrolment.id).where(Enrolment.id == enrolment.id).with_for_update())
    _recount([enrolment.user_id], after=lambda rows: [replace(r, track=track) if r.enrolment_id == enrolment.id
                                                      else r for r in rows])


def course_completed(enrolment: Enrolment) -> None:
    """Count a course completion just recorded (after the UPDATE that set `completed_at`)."""
    _recount([enrolment.user_id], before=lambda rows: [
        replace(r, completed_at=None) if r.enrolment_id == enrolment.id else r for r in rows])


@event.listens_for(Session, "before_flush")
def _people_regrouped(session: Session, _context, _instances) -> None:
    """Move the enrolments of anyone whose organisation or professional group is about to change (wherever
    it is changed) to the new one. Erasure recounts its person itself (`person_recounted`)."""
    for user in [obj for obj in session.dirty if isinstance(obj, User)]:
        state = inspect(user)
        new = {name: getattr(user, name) or "" for name in ("organisation_id", "professional_group")
               if state.attrs[name].history.has_changes()}
        if new and user.id is not None and user.erased_at is None:
            # The database still holds the old values: they are the "before".
            _recount([user.id], after=lambda rows, new=new: [replace(r, **new) for r in rows])


def enrolments_removed(enrolment_ids: list[int]) -> None:
    """Take enrolments about to be deleted out of the counts (call before their rows or summaries go)."""
    if not enrolment_ids:
        return
    gone = set(enrolment_ids)
    users = db.session.scalars(select(Enrolment.user_id).where(Enrolment.id.in_(enrolment_ids)).distinct())
    _recount(users, after=lambda rows: [r for r in rows if r.enrolment_id not in gone])


def person_recounted(user: User) -> None:
    """Count a person's remaining enrolments afresh after `enrolments_removed` took all of them out."""
    _recount([user.id], before=lambda rows: [])


def lesson_move(enrolment_id: int, course_id: int, lesson_id: int, lessons: str) -> tuple[Counts, Counts]:
    """The move of an enrolment to its next progress state, as `add`'s (before, after), for the caller to add
    (last in its transaction: every learner moving through the course shares those rows); `lessons` is its
    summary's list after this lesson."""
    enrolment = db.session.get(Enrolment, enrolment_id)  # in the session already: no query
    done = enrolment.completed_at is not None
    now = lesson_list(lessons)
    earlier = lesson_list(",".join(i for i in now.split(",") if i != str(lesson_id)))
    return ({("state", (course_id, enrolment.track, earlier, done)): [1, 0]},
            {("state", (course_id, enrolment.track, now, done)): [1, 0]})


# --- rebuilding from the raw rows ------------------------------------------------------------------


def expected() -> Counts:
    """Every count recomputed from the enrolments, people and summaries (streamed, person by person)."""
    total: Counts = defaultdict(lambda: [0, 0])
    rows: Iterator[Counted] = (_counted(row) for row in db.session.execute(
        _counted_select().order_by(Enrolment.user_id).execution_options(yield_per=5000)))
    for _user, theirs in groupby(rows, key=lambda r: r.user_id):
        for key, values in contributions(theirs).items():
            found = total[key]
            found[0] += values[0]
            found[1] += values[1]
    return total


def stored() -> Counts:
    """Every stored count that is not zero, in the form `expected()` gives."""
    found: Counts = {}
    for name, (model, keys, columns) in TABLES.items():
        for row in db.session.execute(select(*(getattr(model, c) for c in (*keys, *columns)))):
            values = list(row[len(keys):]) + [0] * (2 - len(columns))
            if any(values):
                key = tuple(bool(v) if c == "completed" else v for c, v in zip(keys, row, strict=False))
                found[name, key] = values
    return found


def rebuild() -> None:
    """Replace every count with one recomputed from the raw rows (flushes)."""
    counts = expected()
    for name, (model, keys, columns) in TABLES.items():
        db.session.execute(delete(model))
        values = [{**dict(zip(keys, key, strict=True)), **dict(zip(columns, found, strict=False))}
                  for (table, key), found in counts.items() if table == name and any(found)]
        if values:
            db.session.execute(model.__table__.insert(), values)
    db.session.flush()


def differences() -> list[str]:
    """Where the stored counts disagree with the raw rows, one line each (empty when they agree)."""
    want, have = {k: v for k, v in expected().items() if any(v)}, stored()
    return [f"{name} {key}: stored {have.get((name, key))}, raw rows {want.get((name, key))}"
            for name, key in sorted(set(want) | set(have), key=repr) if want.get((name, key)) != have.get((name, key))]
