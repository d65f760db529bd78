"""Everything held about a person (export), erasing it, and erasing accounts left inactive."""

from __future__ import annotations

import csv
import io
import json
import logging
import secrets
import zipfile
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Text, cast, delete, func, or_, select

from lms import addresses, audit, jobs, mail
from lms.accounts.models import KeptForm, User, UserSession, new_session_token
from lms.accounts.services import hash_password
from lms.assignments.models import Submission, SubmissionFile
from lms.audit.models import AuditEntry
from lms.catalog.models import Course, CourseStaff, Lesson, Question, ReflectionPrompt
from lms.clock import utcnow
from lms.credentials.models import Certificate
from lms.extensions import db
from lms.jobs.models import DONE, PENDING, Job
from lms.learning import counts, tallies
from lms.learning.models import (
    Enrolment,
    LessonProgress,
    QuestionResponse,
    QuizAttempt,
    QuizDraft,
    ReflectionNote,
)
from lms.privacy.models import DataExport
from lms.ratelimit import RateEvent
from lms.sso.models import SsoIdentity

log = logging.getLogger(__name__)
REMOVED = "[removed]"
#: A warned account still inactive this long after the warning is erased.
WARNING_DAYS = 30
EXPORT_KEEP_DAYS = 7


# --- Download my data -------------------------------------------------------------------------------


def request_export(user: User, now: datetime | None = None) -> DataExport:
    """Start building the person's ZIP as a job; returns the export row to show progress on."""
    export = DataExport(user_id=user.id, requested_at=now or utcnow())
    db.session.add(export)
    db.session.flush()
    jobs.enqueue("privacy.export", key=f"privacy-export:{export.id}", export_id=export.id)
    return export


@jobs.task("privacy.export")
def build_export_job(export_id: int) -> None:
    export = db.session.get(DataExport, export_id)
    if export is None or export.ready_at is not None:
        return  # deleted meanwhile, or already built: idempotent
    user = db.session.get(User, export.user_id)
    export.data = build_zip(collect(user))
    export.ready_at = utcnow()


def _row(obj, columns: list[str]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in columns}


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def collect(user: User) -> dict[str, list[dict[str, Any]]]:
    """Everything held about `user`, as tables of plain rows: {table name: [row, ...]}."""
    jobs.report_progress(0, 7)
    account = _row(user, ["id", "email", "full_name", "role", "organisation_id", "professional_group",
                          "registration_body", "registration_number", "created_at", "last_seen_at"])
    for optional in ("email_verified_at",):  # columns other work adds to accounts
        if hasattr(user, optional):
            account[optional] = _plain(getattr(user, optional))
    data: dict[str, list[dict[str, Any]]] = {"account": [account]}
    data["single_sign_on"] = [
        _row(i, ["provider", "subject", "created_at"])
        for i in db.session.scalars(select(SsoIdentity).where(SsoIdentity.user_id == user.id))]
    enrolments = list(db.session.execute(
        select(Enrolment, Course.title).join(Course).where(Enrolment.user_id == user.id).order_by(Enrolment.id)))
    data["enrolments"] = [{"course": title, **_row(e, ["id", "track", "enrolled_at", "last_activity_at",
                                                          "completed_at"])} for e, title in enrolments]
    jobs.report_progress(2, 7)
    ids = [e.id for e, _ in enrolments]
    data["progress"] = [
        {"enrolment_id": p.enrolment_id, "lesson": title,
         **_row(p, ["completed_at", "best_percent", "updated_at"])}
        for p, title in db.session.execute(
            select(LessonProgress, Lesson.title).join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(LessonProgress.enrolment_id.in_(ids)).order_by(LessonProgress.id))]
    attempts = list(db.session.execute(
        select(QuizAttempt, Lesson.title).join(Lesson, Lesson.id == QuizAttempt.lesson_id)
        .where(QuizAttempt.enrolment_id.in_(ids)).order_by(QuizAttempt.id)))
    data["quiz_attempts"] = [
        {"lesson": title, "questions_shown": json.dumps(a.question_keys),
         **_row(a, ["id", "enrolment_id", "track", "score", "max_score", "percent", "passed",
                    "started_at", "submitted_at"])} for a, title in attempts]
    data["answers"] = [
        {"attempt_id": r.attempt_id, "question": key, "answer": json.dumps(r.answer, ensure_ascii=False),
         **_row(r, ["position", "points_awarded", "points_possible", "correct", "hints_used", "hint_penalty"])}
        for r, key in db.session.execute(
            select(QuestionResponse, Question.key).join(Question, Question.id == QuestionResponse.question_id)
            .where(QuestionResponse.attempt_id.in_([a.id for a, _ in attempts])).order_by(QuestionResponse.id))]
    data["saved_quiz_answers"] = [
        {"enrolment_id": d.enrolment_id, "answers": json.dumps(d.answers, ensure_ascii=False),
         **_row(d, ["lesson_id", "started_at", "updated_at"])}
        for d in db.session.scalars(select(QuizDraft).where(QuizDraft.enrolment_id.in_(ids)))]
    data["assignments"] = [
        {"lesson": title, "file": filename or "", "feedback": "\n\n".join(
            m.feedback for m in sub.marks if m.final and sub.status == "released" and m.feedback),
         **_row(sub, ["id", "enrolment_id", "attempt", "status", "text", "word_count", "submitted_at", "mark",
                      "passed", "released_at"])}
        for sub, title, filename in db.session.execute(
            select(Submission, Lesson.title, SubmissionFile.filename).join(Lesson, Lesson.id == Submission.lesson_id)
            .outerjoin(SubmissionFile, SubmissionFile.submission_id == Submission.id)
            .where(Submission.enrolment_id.in_(ids)).order_by(Submission.id))]
    jobs.report_progress(4, 7)
    data["reflections"] = [
        {"course": course, "prompt": prompt.key, **_row(note, ["text", "created_at", "updated_at"])}
        for note, prompt, course in db.session.execute(
            select(ReflectionNote, ReflectionPrompt, Course.title)
            .join(ReflectionPrompt, ReflectionPrompt.id == ReflectionNote.prompt_id)
            .join(Course, Course.id == ReflectionPrompt.course_id)
            .where(ReflectionNote.user_id == user.id).order_by(ReflectionNote.id))]
    data["text_kept_after_sign_out"] = [
        {"page": k.page, "fields": json.dumps(k.fields, ensure_ascii=False), **_row(k, ["created_at"])}
        for k in db.session.scalars(select(KeptForm).where(KeptForm.user_id == user.id).order_by(KeptForm.id))]
    data["sessions"] = [
        _row(row, ["created_at", "last_seen_at", "ended_at"])
        for row in db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                                      .order_by(UserSession.created_at))]
    data["certificates"] = [
        {"course": title, "printed": json.dumps(
            {k: v for k, v in (c.snapshot or {}).items() if "signature" not in k}, ensure_ascii=False),
         **_row(c, ["code", "status", "issued_at", "completed_at", "expires_at", "revoked_at", "revoked_reason"])}
        for c, title in db.session.execute(
            select(Certificate, Course.title).join(Course, Course.id == Certificate.course_id)
            .where(Certificate.user_id == user.id).order_by(Certificate.id))]
    certificate_ids = [str(i) for i in db.session.scalars(select(Certificate.id).where(Certificate.user_id == user.id))]
    certificate_codes = [row["code"] for row in data["certificates"]]
    data["audit_entries"] = [
        {"before": json.dumps(a.before, ensure_ascii=False), "after": json.dumps(a.after, ensure_ascii=False),
         **_row(a, ["at", "action", "target_type", "target_id", "actor_id", "via"])}
        for a in db.session.scalars(select(AuditEntry).where(
            or_(AuditEntry.actor_id == user.id,
                (AuditEntry.target_type == "user") & (AuditEntry.target_id == str(user.id)),
                (AuditEntry.target_type == "certificate")
                & AuditEntry.target_id.in_(certificate_ids + certificate_codes))
        ).order_by(AuditEntry.id))]
    jobs.report_progress(7, 7)
    return data


def build_zip(data: dict[str, list[dict[str, Any]]]) -> bytes:
    """data.json with everything, and one CSV per table (UTF-8 with BOM, so Excel reads names right)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        for name, rows in data.items():
            text = io.StringIO()
            columns = list(dict.fromkeys(k for row in rows for k in row)) or ["(none)"]
            writer = csv.DictWriter(text, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _csv_safe(v) for k, v in row.items()})
            archive.writestr(f"{name}.csv", "\ufeff" + text.getvalue())
        archive.writestr("README.txt", "Everything the Innovation learning service holds about you, as JSON "
                         "(data.json) and as one CSV file per kind of record. Times are UTC.\n")
    return buffer.getvalue()


def _csv_safe(value):
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


# --- Erasure ----------------------------------------------------------------------------------------


class ErasureError(ValueError):
    """The account cannot be erased, with the reason."""


def erase_user(user: User, *, actor_id: int | None, via: str, reason: str, now: datetime | None = None) -> None:
    """Erase a person's personal data, keeping only what verifying their certificates needs.

    Deletes reflections, answers, drafts, assignment submissions, progress, enrolments without a
    certificate, course staff places, single sign-on links and data exports; blanks the name, email
    and registration; removes the name from certificate snapshots and PDFs (the PDF's hash stays, so
    an uploaded copy still matches); scrubs the name and email out of audit entries, job payloads and throttle keys.
    Flushes, never commits. `reason` is "request", "admin" or "retention".
    """
    if user.erased_at is not None:
        return
    if user.role == "admin" and not db.session.scalar(
            select(func.count(User.id)).where(User.role == "admin", User.id != user.id, User.erased_at.is_(None))):
        raise ErasureError("This is the only administrator account. Make someone else an administrator first.")
    now = now or utcnow()
    secrets_to_remove = [s for s in {user.email, user.full_name, user.registration_number} if s and len(s) >= 3]
    enrolment_ids = list(db.session.scalars(select(Enrolment.id).where(Enrolment.user_id == user.id)))
    attempt_ids = select(QuizAttempt.id).where(QuizAttempt.enrolment_id.in_(enrolment_ids))
    tallies.forget_enrolments(enrolment_ids)  # the reports' totals must not keep counting them
    db.session.execute(delete(QuestionResponse).where(QuestionResponse.attempt_id.in_(attempt_ids)))
    db.session.execute(delete(QuizAttempt).where(QuizAttempt.enrolment_id.in_(enrolment_ids)))
    db.session.execute(delete(QuizDraft).where(QuizDraft.enrolment_id.in_(enrolment_ids)))
    # written work and its file and marks (marks and files go with their submission)
    db.session.execute(delete(Submission).where(Submission.enrolment_id.in_(enrolment_ids)))
    db.session.execute(delete(LessonProgress).where(LessonProgress.enrolment_id.in_(enrolment_ids)))
    db.session.execute(delete(ReflectionNote).where(ReflectionNote.user_id == user.id))
    certified = select(Certificate.enrolment_id).where(Certificate.user_id == user.id)
    db.session.execute(delete(Enrolment).where(Enrolment.user_id == user.id, Enrolment.id.not_in(certified)))
    db.session.execute(delete(CourseStaff).where(CourseStaff.user_id == user.id))
    db.session.execute(delete(SsoIdentity).where(SsoIdentity.user_id == user.id))
    db.session.execute(delete(KeptForm).where(KeptForm.user_id == user.id))  # typed text kept after sign-out
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.session.execute(delete(DataExport).where(DataExport.user_id == user.id))
    db.session.execute(delete(RateEvent).where(RateEvent.key.contains(user.email)))
    for certificate in db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)):
        snapshot = dict(certificate.snapshot or {})
        snapshot["learner_name"] = ""
        snapshot["registration"] = None
        certificate.snapshot = snapshot
        certificate.pdf = b""
    _scrub_json(AuditEntry, ("before", "after"), secrets_to_remove)
    for job in _scrub_json(Job, ("payload", "result"), secrets_to_remove):
        if job.status == PENDING:  # e.g. an email to them not yet sent: it has nobody to go to now
            job.status, job.finished_at, job.result = DONE, now, {"cancelled": "account erased"}
    _scrub_text(Job, "last_error", secrets_to_remove)
    user.email = f"removed-{user.id}@erased.invalid"
    user.full_name = "Removed account"
    user.registration_body = user.registration_number = None
    user.organisation_id = None
    user.professional_group = "other"
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.session_token = new_session_token()  # ends every session at once
    user.erased_at = now
    user.retention_warned_at = None
    counts.person_recounted(user)  # the certified enrolments kept, under no organisation now
    for optional in ("email_verified_at",):
        if hasattr(user, optional):
            setattr(user, optional, None)
    audit.record("user.erased", "user", user.id, actor_id=actor_id, via=via, now=now,
                 after={"reason": reason, "certificates_kept": len(list(db.session.scalars(certified)))})
    db.session.flush()
    log.info("account %s erased (%s)", user.id, reason)


def _matches(column, needles: list[str]):
    # JSON is stored with non-ASCII escaped, so search for each value as it was written.
    forms = {json.dumps(n)[1:-1] for n in needles} | set(needles)
    return or_(*(cast(column, Text).contains(form) for form in forms))


def _scrub(value, needles: list[str]):
    if isinstance(value, str):
        for needle in needles:
            if needle.lower() in value.lower():
                start = value.lower().index(needle.lower())
                value = value[:start] + REMOVED + value[start + len(needle):]
                return _scrub(value, needles)
        return value
    if isinstance(value, dict):
        return {_scrub(k, needles): _scrub(v, needles) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, needles) for v in value]
    return value


def _scrub_json(model, columns: tuple[str, ...], needles: list[str]) -> list:
    """Replace `needles` inside the JSON columns of `model`; returns the rows changed."""
    changed = []
    for column in columns:
        attr = getattr(model, column)
        for row in db.session.scalars(select(model).where(_matches(attr, needles))):
            setattr(row, column, _scrub(getattr(row, column), needles))
            changed.append(row)
    return changed


def _scrub_text(model, column: str, needles: list[str]) -> None:
    attr = getattr(model, column)
    for row in db.session.scalars(select(model).where(or_(*(attr.contains(n) for n in needles)))):
        setattr(row, column, _scrub(getattr(row, column), needles))


# --- Retention --------------------------------------------------------------------------------------


def _london_date(at: datetime) -> str:
    from datetime import UTC
    from zoneinfo import ZoneInfo

    return at.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/London")).strftime("%-d %B %Y")


def last_active(user: User) -> datetime:
    return user.last_seen_at or user.created_at


@jobs.nightly("accounts.retention")
def retention_job(**_payload) -> None:
    apply_retention(utcnow())


def apply_retention(now: datetime) -> tuple[int, int]:
    """Warn accounts inactive beyond RETENTION_INACTIVE_MONTHS, erase those still inactive 30 days
    after the warning, and delete old data exports. Idempotent. Returns (warned, erased).

    Administrators are never erased automatically (the service needs someone to run it).
    """
    months = current_app.config.get("RETENTION_INACTIVE_MONTHS", 0)
    db.session.execute(delete(DataExport).where(DataExport.requested_at < now - timedelta(days=EXPORT_KEEP_DAYS)))
    if not months:
        return 0, 0
    cutoff = now - timedelta(days=round(months * 30.44))
    seen = func.coalesce(User.last_seen_at, User.created_at)
    candidates = db.session.scalars(select(User).where(
        User.erased_at.is_(None), User.role != "admin", seen < cutoff).order_by(User.id))
    warned = erased = 0
    for user in candidates:
        if user.retention_warned_at is None:
            user.retention_warned_at = now
            mail.send(user.email, "retention_warning", key=f"retention-warning:{user.id}:{now.date()}",
                      full_name=user.full_name, erase_on=_london_date(now + timedelta(days=WARNING_DAYS)),
                      login_url=addresses.public_base_url() + "/login")
            warned += 1
        elif user.retention_warned_at <= now - timedelta(days=WARNING_DAYS):
            erase_user(user, actor_id=None, via="job", reason="retention", now=now)
            erased += 1
    db.session.flush()
    log.info("retention: %s warned, %s erased", warned, erased)
    return warned, erased
