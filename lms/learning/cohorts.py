"""Cohorts: staff enrol learners from a CSV (email, name, track, optional organisation) or one by email.

The upload is read and checked in full first (`read_cohort_csv`): every problem is reported with its
line number and nothing is written. A clean upload is kept server-side (`keep_upload`) while staff look
at the preview (`plan`), and confirming it (`confirm_upload`) writes everything in the caller's one
transaction: new accounts, enrolments, invitation emails (as jobs) and audit entries.
"""

from __future__ import annotations

import csv
import io
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from courses.typography import fold_typography
from lms import audit, mail
from lms.accounts.models import Organisation, User
from lms.accounts.recovery import reset_url
from lms.accounts.services import invited_password_hash, normalise_email
from lms.catalog.models import Course
from lms.catalog.tracks import track_label
from lms.extensions import db
from lms.learning import counts
from lms.learning.models import CohortUpload, Enrolment

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("email", "name", "track")
OPTIONAL_COLUMNS = ("organisation",)
MAX_ROWS = 5_000
MAX_BYTES = 2 * 1024 * 1024
#: How long a checked upload waits for its confirmation.
UPLOAD_LIFETIME = timedelta(hours=24)
#: How long an invitation's set-password link works.
INVITATION_HOURS = 168

NEW, ENROL, ALREADY = "new", "enrol", "already"
OUTCOMES = {
    NEW: "New account, invitation emailed, enrolled",
    ENROL: "Existing account enrolled",
    ALREADY: "Already enrolled: nothing changes",
}


class CohortError(ValueError):
    """An upload or enrolment that cannot go ahead; the message says why."""


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


@dataclass
class CohortFile:
    """What a CSV says: rows [{line, email, name, track, organisation_id}] and every problem found."""

    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedRow:
    line: int
    email: str
    name: str
    track: str
    organisation_id: str | None
    outcome: str  # NEW, ENROL or ALREADY
    user: User | None = None


@dataclass
class Plan:
    rows: list[PlannedRow]
    problems: list[Problem]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


# --- reading ---------------------------------------------------------------------------------


def _decode(data: bytes, problems: list[Problem]) -> str:
    """UTF-8 text (a byte-order mark is allowed); each line that is not UTF-8 is a problem."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        for number, line in enumerate(data.split(b"\n"), start=1):
            try:
                line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                problems.append(Problem(number, "is not UTF-8 text. In your spreadsheet, save the file as "
                                                "'CSV UTF-8 (comma delimited)' and upload it again"))
        return data.decode("utf-8-sig", errors="replace")


def _lookup_key(text: str) -> str:
    """A track or organisation name as compared: a spreadsheet's ’ and – as ' and -, any case and spacing."""
    return " ".join(fold_typography(text).casefold().split())


def _track_lookup(course: Course) -> dict[str, str]:
    lookup = {}
    for track in course.tracks:
        lookup[_lookup_key(track)] = track
        lookup[_lookup_key(track_label(track))] = track
    return lookup


def _organisation_lookup() -> dict[str, str]:
    lookup = {}
    for org_id, name in db.session.execute(select(Organisation.id, Organisation.name)):
        lookup[_lookup_key(org_id)] = org_id
        lookup[_lookup_key(name)] = org_id
    return lookup


def read_cohort_csv(data: bytes, course: Course) -> CohortFile:
    """Parse and check an upload against `course`; nothing is written.

    Problems (by line; line 1 is the header): not UTF-8, empty, missing or unknown columns, too many
    rows, missing or malformed emails, an email twice, missing names, tracks the course does not have,
    organisations not on the list.
    """
    result = CohortFile()
    problems = result.problems
    if len(data) > MAX_BYTES:
        problems.append(Problem(1, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it into "
                                   "smaller files"))
        return result
    text = _decode(data, problems)
    bad_lines = {p.line for p in problems}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        header = []
    columns = [h.strip().lower() for h in header]
    if not any(columns):
        problems.append(Problem(1, "the file is empty; the first line must name the columns "
                                   "email, name, track and, if you wish, organisation"))
        return result
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = [h for h, c in zip(header, columns, strict=True) if c and c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    twice = sorted({c for c in columns if c and columns.count(c) > 1})
    for name in missing:
        problems.append(Problem(1, f"the column '{name}' is missing; the first line must name the columns "
                                   "email, name, track and, if you wish, organisation"))
    for name in unknown:
        problems.append(Problem(1, f"the column '{name}' is not one this upload uses (email, name, track, "
                                   "organisation)"))
    for name in twice:
        problems.append(Problem(1, f"the column '{name}' appears more than once"))
    if missing or twice:
        return result

    index = {c: columns.index(c) for c in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if c in columns}
    tracks = _track_lookup(course)
    organisations = _organisation_lookup() if "organisation" in index else {}
    seen: dict[str, int] = {}
    count = 0
    line = reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank lines are allowed
            count += 1
            if count > MAX_ROWS:
                problems.append(Problem(start, f"an upload may have at most {MAX_ROWS:,} learners; split the "
                                               "file and upload the rest separately"))
                break
            if start in bad_lines:
                continue  # already reported: its text cannot be trusted
            _check_row(start, cells, len(columns), index, tracks, organisations, seen, result, course)
    except csv.Error as error:
        problems.append(Problem(reader.line_num, f"cannot be read as CSV ({error})"))
    if not count and not problems:
        problems.append(Problem(2, "there are no learners in the file: add one line per learner under the "
                                   "column names"))
    problems.sort(key=lambda p: p.line)
    return result


def _check_row(line: int, cells: list[str], width: int, index: dict[str, int], tracks: dict[str, str],
               organisations: dict[str, str], seen: dict[str, int], result: CohortFile, course: Course) -> None:
    problems = result.problems
    found = len(problems)
    if len(cells) > width:
        problems.append(Problem(line, f"has {len(cells)} cells but the first line names {width} columns"))

    def cell(name: str) -> str:
        position = index.get(name)
        return cells[position].strip() if position is not None and position < len(cells) else ""

    raw_email, name, raw_track, raw_org = cell("email"), cell("name"), cell("track"), cell("organisation")
    email = normalise_email(raw_email)
    if not email:
        problems.append(Problem(line, "the email address is missing"))
    else:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            problems.append(Problem(line, f"'{raw_email}' is not an email address in the correct format, "
                                          "like name@example.nhs.uk"))
        else:
            if email in seen:
                problems.append(Problem(line, f"the email address {email} is also on line {seen[email]}"))
            else:
                seen[email] = line
    if not name:
        problems.append(Problem(line, "the name is missing"))
    elif len(name) > 200:
        problems.append(Problem(line, "the name is longer than 200 characters"))
    track = tracks.get(_lookup_key(raw_track))
    if not raw_track:
        problems.append(Problem(line, "the track is missing"))
    elif track is None:
        problems.append(Problem(line, f"unknown track '{raw_track}'; this course's tracks are "
                                      f"{', '.join(course.tracks)}"))
    organisation_id = None
    if raw_org:
        organisation_id = organisations.get(_lookup_key(raw_org))
        if organisation_id is None:
            problems.append(Problem(line, f"unknown organisation '{raw_org}'; use a name or id from the "
                                          "organisation list"))
    if len(problems) == found:
        result.rows.append({"line": line, "email": email, "name": name, "track": track,
                            "organisation_id": organisation_id})


# --- planning and writing -------------------------------------------------------------------


def _existing(emails: Iterable[str], course: Course) -> tuple[dict[str, User], set[int]]:
    """Accounts with these emails, and the ids of those already enrolled on `course` (two queries per 900)."""
    emails = list(emails)
    users: dict[str, User] = {}
    for start in range(0, len(emails), 900):  # below every database's limit on bound parameters
        users.update((u.email, u) for u in db.session.scalars(
            select(User).where(User.email.in_(emails[start:start + 900]))))
    enrolled: set[int] = set()
    ids = [u.id for u in users.values()]
    for start in range(0, len(ids), 900):
        enrolled.update(db.session.scalars(select(Enrolment.user_id).where(
            Enrolment.course_id == course.id, Enrolment.user_id.in_(ids[start:start + 900]))))
    return users, enrolled


def plan(rows: list[dict], course: Course) -> Plan:
    """What confirming these checked rows would do now; a deactivated account is a problem."""
    users, enrolled = _existing((r["email"] for r in rows), course)
    planned, problems = [], []
    for row in rows:
        user = users.get(row["email"])
        if user is not None and not user.is_active:
            problems.append(Problem(row["line"], f"the account {row['email']} is deactivated; an administrator "
                                                 "must reactivate it first"))
            continue
        outcome = NEW if user is None else (ALREADY if user.id in enrolled else ENROL)
        planned.append(PlannedRow(row["line"], row["email"], row["name"], row["track"], row["organisation_id"],
                                  outcome, user))
    return Plan(planned, problems)


def keep_upload(course: Course, uploader: User, filename: str, rows: list[dict], now: datetime) -> CohortUpload:
    """Store checked rows until they are confirmed (or expire); returns the stored upload."""
    upload = CohortUpload(id=secrets.token_urlsafe(32), course_id=course.id, uploaded_by=uploader.id,
                          filename=(filename or "upload.csv")[:255], rows=rows, created_at=now)
    db.session.add(upload)
    db.session.flush()
    return upload


def find_upload(upload_id: str, course: Course, uploader: User, now: datetime) -> CohortUpload | None:
    """The upload, only for the person who made it, on this course, unconfirmed and not expired."""
    upload = db.session.get(CohortUpload, upload_id)
    if (upload is None or upload.course_id != course.id or upload.uploaded_by != uploader.id
            or upload.confirmed_at is not None or upload.created_at < now - UPLOAD_LIFETIME):
        return None
    return upload


@dataclass(frozen=True)
class CohortResult:
    new_accounts: int
    enrolled: int
    already: int


def confirm_upload(upload: CohortUpload, course: Course, actor: User, now: datetime) -> CohortResult:
    """Write the whole upload into the current transaction (the caller commits once).

    Raises CohortError when the upload was confirmed already or something changed since the preview
    (an account deactivated), so nothing is written.
    """
    if upload.confirmed_at is not None:
        raise CohortError("This upload has been confirmed already.")
    result = plan(upload.rows, course)
    if result.problems:
        raise CohortError("Something changed since the preview: " + "; ".join(str(p) for p in result.problems))
    upload.confirmed_at = now
    outcome = _write(result.rows, course, actor, now, upload_id=upload.id)
    audit.record("course.cohort_enrolled", "course", course.id, actor_id=actor.id, via="web", now=now,
                 after={"upload": upload.id, "file": upload.filename, "new_accounts": outcome.new_accounts,
                        "enrolled": outcome.enrolled, "already_enrolled": outcome.already})
    return outcome


def _write(rows: list[PlannedRow], course: Course, actor: User, now: datetime,
           upload_id: str | None = None) -> CohortResult:
    new_users = [User(email=r.email, full_name=r.name, role="learner", password_hash=invited_password_hash(),
                      organisation_id=r.organisation_id, professional_group="other", created_at=now)
                 for r in rows if r.outcome == NEW]
    db.session.add_all(new_users)
    db.session.flush()  # one multi-row INSERT; gives the new ids
    by_email = {u.email: u for u in new_users}
    enrolments = []
    for r in rows:
        if r.outcome == ALREADY:
            continue
        user = by_email.get(r.email) or r.user
        enrolments.append(Enrolment(user_id=user.id, course_id=course.id, track=r.track, enrolled_at=now,
                                    last_activity_at=None))
        audit.record("user.enrolled_by_staff", "user", user.id, actor_id=actor.id, via="web", now=now,
                     after={"course_id": course.id, "track": r.track, "new_account": r.outcome == NEW,
                            **({"upload": upload_id} if upload_id else {})})
    db.session.add_all(enrolments)
    for user in new_users:
        invite(user, course, actor, now)
    db.session.flush()
    counts.enrolments_added(enrolments)
    log.info("course %s: %d accounts made, %d enrolled by user %s", course.key, len(new_users), len(enrolments),
             actor.id)
    return CohortResult(len(new_users), len(enrolments), sum(1 for r in rows if r.outcome == ALREADY))


def invite(user: User, course: Course, inviter: User, now: datetime) -> None:
    """Enqueue the invitation with its set-password link (one per person and course)."""
    mail.send(user.email, "invitation", key=f"invitation:{course.id}:{user.id}",
              set_password_url=reset_url(user, now, hours=INVITATION_HOURS), course_title=course.title,
              inviter_name=inviter.full_name)


def enrol_one(course: Course, email: str, name: str, track: str, organisation_id: str | None, actor: User,
              now: datetime) -> str:
    """Enrol one person by email, making their account (and inviting them) if they have none.

    Returns NEW, ENROL or ALREADY. Raises CohortError for a track the course does not have, a
    missing name for a new account, or a deactivated account.
    """
    if track not in course.tracks:
        raise CohortError(f"Choose one of this course's tracks: {', '.join(course.tracks)}.")
    email = normalise_email(email)
    result = plan([{"line": 1, "email": email, "name": name.strip(), "track": track,
                    "organisation_id": organisation_id or None}], course)
    if result.problems:
        raise CohortError(f"The account {email} is deactivated; an administrator must reactivate it first.")
    row = result.rows[0]
    if row.outcome == NEW and not row.name:
        raise CohortError("Enter the person's full name: they have no account yet, so one will be made.")
    _write([row], course, actor, now)
    return row.outcome

