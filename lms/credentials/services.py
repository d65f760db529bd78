"""Issuing, revoking and reissuing certificates. Functions flush, never commit."""

from __future__ import annotations

import calendar
import hashlib
import io
import logging
import warnings
from datetime import date, datetime

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select

import certificates
from certificates import CertificateData, new_code
from lms import addresses, audit, jobs, mail
from lms.accounts import events as account_events
from lms.accounts.models import Organisation, User
from lms.accounts.services import UNVERIFIED_MESSAGE, may_receive_certificates
from lms.catalog.models import Course
from lms.catalog.tracks import track_label
from lms.credentials.models import REVOKED, SUPERSEDED, VALID, Certificate, PartnerSettings, SignatureImage
from lms.database import insert_or_ignore
from lms.dates import iso_date, london_date, long_date
from lms.extensions import db
from lms.jobs.models import DONE, PENDING, Job
from lms.learning import events
from lms.learning.completion import completion_of
from lms.learning.models import Enrolment

log = logging.getLogger(__name__)

SIGNATURE_MAX_BYTES = 1_000_000
# Shown to staff and the learner while a certificate waits for the learner to confirm their address.
UNVERIFIED_WAIT = UNVERIFIED_MESSAGE
SIGNATURE_MAX_SIZE = (1200, 400)


class CredentialError(ValueError):
    """A certificate action that cannot be done; the message says why."""


def verify_url(code: str) -> str:
    return f"{addresses.public_base_url()}/verify/{code}"


def add_months(day: datetime, months: int) -> datetime:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


PROGRAMME_NAME = "North West London health and care Learning and Development programme"


def _signatory(course: Course) -> tuple[str, str, str, str | None]:
    """(partner name, signatory name, signatory title, signature sha256) for the course's partner.

    A course a university certifies waits for that university's signatory (CredentialError): a
    certificate never prints an empty or made-up one. A course with no partner is the programme's own.
    """
    if not course.partner_id:
        return PROGRAMME_NAME, f"For {PROGRAMME_NAME}", "Course certification", None
    partner = db.session.execute(  # one read: the partner's name and its signatory, if set
        select(Organisation.name, PartnerSettings.signatory_name, PartnerSettings.signatory_title,
               PartnerSettings.signature_sha256)
        .outerjoin(PartnerSettings, PartnerSettings.organisation_id == Organisation.id)
        .where(Organisation.id == course.partner_id)).one()
    if not (partner.signatory_name or "").strip() or not (partner.signatory_title or "").strip():
        raise CredentialError(f"Waiting for {partner.name} to set the signatory printed on its certificates "
                              "(Certificates, then Change the signatory).")
    return partner.name, partner.signatory_name, partner.signatory_title, partner.signature_sha256


def _expires_at(enrolment: Enrolment, now: datetime) -> datetime | None:
    months = enrolment.course.certificate_valid_months
    return add_months(now, months) if months else None


def _snapshot(enrolment: Enrolment, user: User, code: str, now: datetime) -> dict:
    """What the certificate prints: the learner now (a reissue corrects a name), the completion as it was."""
    course = enrolment.course
    completion = completion_of(enrolment)
    partner_name, signatory_name, signatory_title, signature_sha256 = _signatory(course)
    return {
        "learner_name": user.full_name,
        "registration": user.registration,
        "course_title": completion.course_title,
        "track": track_label(completion.track),
        "cpd_hours": completion.cpd_hours,
        "outcomes": list(completion.outcomes),
        "completed_on": london_date(completion.completed_at).isoformat(),
        "issued_on": london_date(now).isoformat(),
        "valid_until": iso_date(_expires_at(enrolment, now)) or None,
        "content_revision": completion.content_version,
        "code": code,
        "verify_url": verify_url(code),
        "partner_name": partner_name,
        "signatory_name": signatory_name,
        "signatory_title": signatory_title,
        "signature_sha256": signature_sha256,
    }


def certificate_data(snapshot: dict) -> CertificateData:
    """The printable data for a stored snapshot (the signature image fetched by its hash)."""
    signature = None
    if snapshot.get("signature_sha256"):
        signature = db.session.get(SignatureImage, snapshot["signature_sha256"]).data
    fields = {k: v for k, v in snapshot.items() if k != "signature_sha256"}
    return CertificateData(
        **{**fields, "outcomes": tuple(fields["outcomes"]),
           "completed_on": date.fromisoformat(fields["completed_on"]),
           "issued_on": date.fromisoformat(fields["issued_on"]),
           "valid_until": date.fromisoformat(fields["valid_until"]) if fields.get("valid_until") else None},
        signature_image=signature,
    )


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate's PDF exactly as issued."""
    return certificate.pdf


def _new_certificate(enrolment: Enrolment, user: User, now: datetime, generation: int,
                     issued_by: User | None) -> Certificate | None:
    code = new_code()
    snapshot = _snapshot(enrolment, user, code, now)
    try:
        pdf = certificates.render_pdf(certificate_data(snapshot))
    except certificates.UnprintableTextError as error:
        listed = ", ".join(f"U+{ord(c):04X}" for c in error.characters)
        raise CredentialError(f"The certificate cannot be printed: the learner's name or the course's text has "
                              f"characters no font has ({listed}). Correct it, then issue again.") from error
    insert_or_ignore(Certificate, {
        "code": code, "user_id": user.id, "course_id": enrolment.course_id, "enrolment_id": enrolment.id,
        "generation": generation, "status": VALID, "snapshot": snapshot,
        "pdf_sha256": hashlib.sha256(pdf).hexdigest(), "pdf": pdf, "issued_at": now,
        "completed_at": enrolment.completed_at,
        "expires_at": _expires_at(enrolment, now),
        "issued_by_id": issued_by.id if issued_by else None,
    })
    certificate = db.session.scalar(select(Certificate).where(Certificate.enrolment_id == enrolment.id,
                                                              Certificate.generation == generation))
    certificate.created_here = certificate.code == code  # False when a racing request's insert won
    return certificate


def issue_certificate(enrolment: Enrolment, now: datetime, issued_by: User | None = None,
                      via: str = "job") -> Certificate:
    """The enrolment's certificate, issued now if it has none. Exactly one, even when two requests race.

    Raises CredentialError (nothing written) when it cannot be drawn yet: an unprintable name, no signatory.
    """
    if enrolment.completed_at is None:
        raise CredentialError("This learner has not completed the course yet.")
    existing = db.session.scalar(select(Certificate).where(Certificate.enrolment_id == enrolment.id)
                                 .order_by(Certificate.generation.desc()))
    if existing is not None:
        return existing
    if not may_receive_certificates(enrolment.user):
        raise CredentialError(UNVERIFIED_WAIT)
    certificate = _new_certificate(enrolment, enrolment.user, now, 1, issued_by)
    if not getattr(certificate, "created_here", False):
        return certificate  # a racing request issued it first; it recorded and announced it
    audit.record("certificate.issued", "certificate", certificate.code, actor_id=issued_by.id if issued_by else None,
                 after={"enrolment_id": enrolment.id, "generation": 1}, via=via, now=now)
    _tell_learner_issued(certificate)
    log.info("certificate %s issued for enrolment %s", certificate.code, enrolment.id)
    return certificate


def issued_mail_context(certificate: Certificate) -> dict:
    """Context of the `certificate_issued` email (JSON-able); a row with the certificate's code, snapshot and
    expires_at does as well."""
    return {"learner_name": certificate.snapshot["learner_name"], "course_title": certificate.snapshot["course_title"],
            "code": certificate.code, "verify_url": verify_url(certificate.code),
            "valid_until": long_date(certificate.expires_at) or None}


def _tell_learner_issued(certificate: Certificate) -> None:
    # The PDF is attached, so a job of ours sends it (mail.deliver) rather than mail.send.
    jobs.enqueue("certificates.mail_issued", key=f"mail:certificate-issued:{certificate.code}",
                 certificate_id=certificate.id)


#: The key of an enrolment's issue job is this prefix, the enrolment id and this suffix (SQL builds it too).
ISSUE_JOB_KEY = ("certificate:", ":1")


def issue_job_key(enrolment_id: int) -> str:
    """The one job that draws an enrolment's first certificate (its row says why it is waiting)."""
    prefix, suffix = ISSUE_JOB_KEY
    return f"{prefix}{enrolment_id}{suffix}"


@account_events.email_verified.connect
def on_email_verified(_sender=None, *, user: User, now: datetime, **_kwargs) -> None:
    """Certificates held back until the address was confirmed are queued again (automatic courses)."""
    waiting = db.session.scalars(
        select(Enrolment).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id == user.id, Enrolment.completed_at.is_not(None),
               Course.certificate_issue == "automatic",
               ~select(Certificate.id).where(Certificate.enrolment_id == Enrolment.id).exists()))
    for enrolment in waiting:
        key = issue_job_key(enrolment.id)
        job = db.session.scalar(select(Job).where(Job.key == key))
        if job is None:
            jobs.enqueue("certificates.issue", key=key, now=now, enrolment_id=enrolment.id,
                         base_url=addresses.for_job())
        elif job.status != DONE:
            job.status, job.run_after, job.attempts = PENDING, now, 0
            db.session.info.setdefault("jobs_enqueued", []).append(key)


@events.course_completed.connect
def on_course_completed(_sender, enrolment: Enrolment, now: datetime, **_kwargs) -> None:
    """Automatic courses issue by a job after the completion commits; approval courses wait for the partner.

    Drawing a certificate can fail (an unprintable name, no signatory yet); the learner's completion must not.
    """
    if enrolment.course.certificate_issue == "automatic":
        jobs.enqueue("certificates.issue", key=issue_job_key(enrolment.id), now=now, enrolment_id=enrolment.id,
                     base_url=addresses.for_job())


def revoke_certificate(certificate: Certificate, by: User, reason: str, now: datetime) -> None:
    """Revoke a valid certificate (audited; the learner is told by email with the reason)."""
    reason = reason.strip()
    if not reason:
        raise CredentialError("Give a reason for revoking: it is shown on the verification page.")
    if certificate.status != VALID:
        raise CredentialError(f"This certificate is already {certificate.status}.")
    certificate.status, certificate.revoked_at = REVOKED, now
    certificate.revoked_reason, certificate.revoked_by_id = reason, by.id
    db.session.flush()
    audit.record("certificate.revoked", "certificate", certificate.code, actor_id=by.id,
                 before={"status": VALID}, after={"status": REVOKED, "reason": reason}, now=now)
    mail.send(certificate.user.email, "certificate_revoked",
              key=f"certificate-revoked:{certificate.code}:{now.isoformat()}",
              learner_name=certificate.snapshot["learner_name"], course_title=certificate.snapshot["course_title"],
              code=certificate.code, reason=reason)
    log.info("certificate %s revoked by user %s", certificate.code, by.id)


def reinstate_certificate(certificate: Certificate, by: User, reason: str, now: datetime) -> None:
    """Undo a revocation made by mistake (audited); the revocation stays in the certificate's history."""
    reason = reason.strip()
    if not reason:
        raise CredentialError("Give a reason for reinstating: it is kept with the certificate's history.")
    if certificate.status != REVOKED:
        raise CredentialError("Only a revoked certificate can be reinstated.")
    if certificate.superseded_by_id is not None:
        raise CredentialError("This certificate was replaced after it was revoked; the replacement is the one "
                              "that counts.")
    certificate.status = VALID
    certificate.reinstated_at, certificate.reinstated_reason, certificate.reinstated_by_id = now, reason, by.id
    db.session.flush()
    audit.record("certificate.reinstated", "certificate", certificate.code, actor_id=by.id,
                 before={"status": REVOKED, "revoked_reason": certificate.revoked_reason},
                 after={"status": VALID, "reason": reason}, now=now)
    mail.send(certificate.user.email, "certificate_reinstated",
              key=f"certificate-reinstated:{certificate.code}:{now.isoformat()}",
              learner_name=certificate.snapshot["learner_name"], course_title=certificate.snapshot["course_title"],
              code=certificate.code, reason=reason, verify_url=verify_url(certificate.code))
    log.info("certificate %s reinstated by user %s", certificate.code, by.id)


def reissue_certificate(certificate: Certificate, by: User, now: datetime) -> Certificate:
    """A new certificate with a new code from the learner's current details (e.g. a corrected name) and the
    completion as it was; a valid one then says superseded, a revoked one stays revoked (history is kept)."""
    if certificate.superseded_by_id is not None or certificate.status == SUPERSEDED:
        raise CredentialError("This certificate has already been replaced.")
    enrolment = db.session.get(Enrolment, certificate.enrolment_id)
    latest = db.session.scalar(select(func.max(Certificate.generation)).where(
        Certificate.enrolment_id == enrolment.id))
    if certificate.generation != latest:
        raise CredentialError("Only the newest certificate of a completion can be reissued.")
    replacement = _new_certificate(enrolment, enrolment.user, now, latest + 1, by)
    before = certificate.status
    if certificate.status == VALID:
        certificate.status = SUPERSEDED
    certificate.superseded_by_id = replacement.id
    db.session.flush()
    audit.record("certificate.reissued", "certificate", certificate.code, actor_id=by.id,
                 before={"status": before}, after={"status": certificate.status, "replaced_by": replacement.code},
                 now=now)
    _tell_learner_issued(replacement)
    log.info("certificate %s reissued as %s by user %s", certificate.code, replacement.code, by.id)
    return replacement


def pending_approval(course: Course) -> list[Enrolment]:
    """Completed enrolments with no certificate yet, oldest first: awaiting the partner's approval, or (on an
    automatic course) a certificate that could not be drawn and waits for staff."""
    return list(db.session.scalars(
        select(Enrolment).where(Enrolment.course_id == course.id, Enrolment.completed_at.is_not(None),
                                ~select(Certificate.id).where(Certificate.enrolment_id == Enrolment.id).exists())
        .order_by(Enrolment.completed_at)))


#: Largest signature image accepted, in pixels (width and height), checked from the header before decoding.
SIGNATURE_MAX_PIXELS = (4000, 4000)


def reencode_signature(raw: bytes) -> bytes:
    """A PNG or JPEG upload, decoded and written again as a plain PNG (drops metadata and anything hidden).

    The image's size is read from its header first: a small file claiming 13000x13000 pixels (1.3 GB once
    decoded) is refused before any pixel is decoded.
    """
    if len(raw) > SIGNATURE_MAX_BYTES:
        raise CredentialError("The signature image must be smaller than 1 MB.")
    try:
        with warnings.catch_warnings():
            # Pillow's own warning for huge images; the size is checked just below, with a clearer message.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))  # reads the header only
        with image:
            if image.format not in ("PNG", "JPEG"):
                raise CredentialError("The signature image must be a PNG or JPEG file.")
            width, height = image.size
            if width > SIGNATURE_MAX_PIXELS[0] or height > SIGNATURE_MAX_PIXELS[1]:
                raise CredentialError(
                    f"The signature image is {width:,} × {height:,} pixels; it must be at most "
                    f"{SIGNATURE_MAX_PIXELS[0]:,} × {SIGNATURE_MAX_PIXELS[1]:,}. Crop or resize it, then upload it "
                    "again.")
            image.load()
            clean = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise CredentialError("The signature image must be a PNG or JPEG file.") from error
    clean.thumbnail(SIGNATURE_MAX_SIZE)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _signatory_record(settings: PartnerSettings | None) -> dict | None:
    if settings is None:
        return None
    return {"signatory_name": settings.signatory_name, "signatory_title": settings.signatory_title,
            "signature_sha256": settings.signature_sha256}


def save_partner_settings(organisation_id: str, name: str, title: str, signature: bytes | None,
                          remove_signature: bool, now: datetime, by: User | None = None) -> PartnerSettings:
    """Save an organisation's signatory (audited); certificates waiting for one are then drawn."""
    name, title = name.strip(), title.strip()
    if not name or not title:
        raise CredentialError("Enter the signatory's name and title.")
    settings = db.session.get(PartnerSettings, organisation_id)
    before = _signatory_record(settings)
    if settings is None:
        settings = PartnerSettings(organisation_id=organisation_id, signatory_name=name, signatory_title=title)
        db.session.add(settings)
    settings.signatory_name, settings.signatory_title, settings.updated_at = name, title, now
    if remove_signature:
        settings.signature_sha256 = None
    elif signature is not None:
        png = reencode_signature(signature)
        digest = hashlib.sha256(png).hexdigest()
        if db.session.get(SignatureImage, digest) is None:
            db.session.add(SignatureImage(sha256=digest, data=png))
            db.session.flush()
        settings.signature_sha256 = digest
    db.session.flush()
    after = _signatory_record(settings)
    if after != before:
        audit.record("partner.signatory_changed", "organisation", organisation_id,
                     actor_id=by.id if by else None, before=before, after=after, now=now)
    requeue_waiting(organisation_id, now)
    return settings


def requeue_waiting(organisation_id: str, now: datetime) -> int:
    """Run again the issue jobs of the organisation's automatic courses that are still waiting."""
    from lms.jobs.models import DONE, PENDING, Job

    enrolment_ids = db.session.scalars(
        select(Enrolment.id).join(Course, Course.id == Enrolment.course_id)
        .where(Course.partner_id == organisation_id, Enrolment.completed_at.is_not(None),
               ~select(Certificate.id).where(Certificate.enrolment_id == Enrolment.id).exists()))
    keys = [issue_job_key(i) for i in enrolment_ids]
    waiting = list(db.session.scalars(select(Job).where(Job.key.in_(keys), Job.status != DONE))) if keys else []
    for job in waiting:
        job.status, job.run_after, job.attempts = PENDING, now, 0
        db.session.info.setdefault("jobs_enqueued", []).append(job.key)  # dispatched after the commit
    return len(waiting)
