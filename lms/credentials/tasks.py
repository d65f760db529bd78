"""Certificate work done by jobs, after the learner's or partner's own work has committed.

`certificates.issue` draws one enrolment's first certificate (its Job row is the one place that says
why a certificate is waiting); `certificates.issue_batch` runs that job for each learner a partner chose,
one transaction each, so one learner's problem never stops the others; `certificates.export` writes a
course's ZIP of PDFs or its register CSV to a file the requester downloads from the progress page.
"""

from __future__ import annotations

import re
import secrets
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms import addresses, jobs, mail
from lms.accounts.models import User
from lms.catalog.models import Course
from lms.clock import utcnow
from lms.credentials import queries, services
from lms.credentials.exports import register_rows
from lms.credentials.models import Certificate
from lms.exports import csv_lines
from lms.extensions import db
from lms.jobs.models import DONE, PENDING, Job
from lms.learning.models import Enrolment

EXPORT_KINDS = {"zip": ("certificates.zip", "application/zip"), "csv": ("certificates.csv", "text/csv")}
_PROGRESS_EVERY = 10


@jobs.task("certificates.issue")
def issue(enrolment_id: int, issued_by_id: int | None = None, base_url: str | None = None) -> None:
    # The learner and the course come in the same read: drawing the certificate needs both.
    enrolment = db.session.get(Enrolment, enrolment_id,
                               options=[joinedload(Enrolment.user), joinedload(Enrolment.course)])
    if enrolment is None:  # the learner deleted their account meanwhile
        return
    issued_by = db.session.get(User, issued_by_id) if issued_by_id else None
    with addresses.serving(base_url):
        services.issue_certificate(enrolment, utcnow(), issued_by=issued_by, via="job")


@jobs.task("certificates.mail_issued")
def mail_issued(certificate_id: int) -> None:
    # One read: the address, what the message says and the PDF stored at issue (never drawn again).
    certificate = db.session.execute(
        select(User.email, Certificate.code, Certificate.snapshot, Certificate.expires_at, Certificate.pdf)
        .join(User, User.id == Certificate.user_id).where(Certificate.id == certificate_id)).first()
    if certificate is None:
        return
    mail.deliver(certificate.email, "certificate_issued", services.issued_mail_context(certificate),
                 attachments=[(f"certificate-{certificate.code}.pdf", "application/pdf", certificate.pdf)])


def problem_text(last_error: str | None) -> str | None:
    """What staff and the learner are told about a job's failure (internals stay in the admin jobs page)."""
    if not last_error:
        return None
    if "CredentialError" in last_error.split(":", 1)[0]:
        return re.sub(r"^[\w.]+: ", "", last_error)
    return "Something went wrong while drawing the certificate; the service's administrators can see why."


def _ready_issue_job(enrolment_id: int, issued_by_id: int | None, now: datetime, base_url: str | None = None) -> int:
    """The enrolment's issue job, (re)queued to run now; returns its id."""
    key = services.issue_job_key(enrolment_id)
    job = db.session.scalar(select(Job).where(Job.key == key))
    if job is None:
        payload = {"issued_by_id": issued_by_id} if issued_by_id else {}
        if base_url:
            payload["base_url"] = base_url
        jobs.enqueue("certificates.issue", key=key, now=now, enrolment_id=enrolment_id, **payload)
        db.session.flush()
        job = db.session.scalar(select(Job).where(Job.key == key))
    elif job.status != DONE or not db.session.scalar(
            select(Certificate.id).where(Certificate.enrolment_id == enrolment_id)):
        # Staff asked again: the cause (a name, a signatory) may have been fixed since.
        job.status, job.run_after, job.attempts = PENDING, now, 0
        if issued_by_id:
            job.payload = {**job.payload, "issued_by_id": issued_by_id}
        if base_url:
            job.payload = {**job.payload, "base_url": base_url}
    return job.id


def issue_each(enrolment_ids: list[int], issued_by_id: int | None,
               progress: Callable[[int, int], None] | None = None, base_url: str | None = None) -> dict:
    """Issue to each enrolment in its own transaction; {"issued": [names], "failed": [{name, reason}]}."""
    issued, failed = [], []
    for done, enrolment_id in enumerate(enrolment_ids, start=1):
        job_id = _ready_issue_job(enrolment_id, issued_by_id, utcnow(), base_url)
        db.session.commit()
        jobs.run_job(job_id)
        enrolment = db.session.get(Enrolment, enrolment_id)
        has_certificate = db.session.scalar(select(Certificate.id).where(Certificate.enrolment_id == enrolment_id))
        name = enrolment.user.full_name if enrolment else f"enrolment {enrolment_id}"
        if has_certificate:
            issued.append(name)
        else:
            failed.append({"name": name, "reason": problem_text(db.session.get(Job, job_id).last_error)})
        db.session.commit()
        if progress:
            progress(done, len(enrolment_ids))
    return {"issued": issued, "failed": failed}


def _set_result(result: dict) -> None:
    job_id = jobs.current_job_id()
    if job_id is not None:
        db.session.get(Job, job_id).result = result


@jobs.task("certificates.issue_batch")
def issue_batch(course_id: int, enrolment_ids: list[int], requested_by_id: int, base_url: str | None = None) -> None:
    jobs.report_progress(0, len(enrolment_ids))
    result = issue_each(enrolment_ids, requested_by_id, progress=jobs.report_progress, base_url=base_url)
    _set_result(result)


def export_folder() -> Path:
    folder = Path(current_app.config.get("EXPORTS_DIR") or Path(current_app.instance_path) / "exports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def export_path(job: Job) -> Path | None:
    if not job.result or "file" not in job.result:
        return None
    return export_folder() / job.result["file"]


def _day(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def write_export(course: Course, kind: str, start: datetime | None, end: datetime | None, path: Path,
                 progress: Callable[[int, int], None] | None = None) -> int:
    """Write the course's ZIP of valid certificates' PDFs, or its register CSV (every status), to `path`.

    Revoked, superseded and expired certificates are left out of the ZIP (a ZIP is what gets forwarded as
    proof); the register lists them all with their status. Returns how many certificates were written.
    """
    partial = path.with_suffix(path.suffix + ".part")  # never a half-written file under the real name
    if kind == "zip":
        chosen = queries.course_certificates(course, start, end, only_valid=True, with_pdf=True)
        total = len(chosen)
        if progress:
            progress(0, total)
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
            for done, certificate in enumerate(chosen, start=1):
                archive.writestr(f"certificate-{certificate.code}.pdf", services.certificate_pdf(certificate))
                if progress and (done % _PROGRESS_EVERY == 0 or done == total):
                    progress(done, total)
    else:
        total = len(queries.course_certificates(course, start, end))
        with partial.open("w", encoding="utf-8", newline="") as out:
            out.writelines(csv_lines(register_rows(course, start, end)))
        if progress:
            progress(total, total)
    partial.replace(path)
    return total


@jobs.task("certificates.export")
def export(course_id: int, kind: str, requested_by_id: int, since: str | None = None,
           until: str | None = None, base_url: str | None = None) -> None:
    course = db.session.get(Course, course_id)
    filename = f"{course.slug}-{EXPORT_KINDS[kind][0]}"
    path = export_folder() / f"{secrets.token_hex(8)}-{filename}"
    count = write_export(course, kind, _day(since), _day(until), path, progress=jobs.report_progress)
    _set_result({"file": path.name, "filename": filename, "count": count})
