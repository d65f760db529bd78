"""Read-only questions about certificates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import undefer

from certificates import normalise_code
from lms.accounts.models import User
from lms.catalog.models import Course, CourseStaff
from lms.clock import utcnow
from lms.credentials.models import EXPIRED, VALID, Certificate
from lms.extensions import db
from lms.jobs.models import DONE, Job
from lms.learning.models import Enrolment


def find_by_code(code: str | None) -> Certificate | None:
    if not code:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def find_by_pdf_hash(sha256: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.pdf_sha256 == sha256))


def partner_course_ids(user: User) -> set[int]:
    """Courses this person certifies (all of them for an admin)."""
    if user.has_role("admin"):
        return set(db.session.scalars(select(Course.id)))
    return set(db.session.scalars(select(CourseStaff.course_id).where(
        CourseStaff.user_id == user.id, CourseStaff.role == "partner")))


def may_edit_signatory(user: User, organisation_id: str | None) -> bool:
    """Only a partner of a course that `organisation_id` certifies speaks for it (admins set who belongs where)."""
    if not user.is_authenticated or not organisation_id or user.organisation_id != organisation_id:
        return False
    if not user.has_role("partner") and not user.has_role("admin"):
        return False
    return db.session.scalar(select(CourseStaff.id).where(
        CourseStaff.user_id == user.id, CourseStaff.role == "partner",
        CourseStaff.course_id.in_(select(Course.id).where(Course.partner_id == organisation_id))).limit(1)) is not None


def may_download(user: User, certificate: Certificate) -> bool:
    """The owner, the course's partner and admins; nobody else."""
    if not user.is_authenticated:
        return False
    if user.id == certificate.user_id or user.has_role("admin"):
        return True
    return user.has_role("partner") and certificate.course_id in partner_course_ids(user)


def certificates_of(user: User) -> dict[int, list[Certificate]]:
    """{enrolment id: certificates newest first} for the learner's own pages, in one query."""
    found: dict[int, list[Certificate]] = {}
    for certificate in db.session.scalars(_CERTIFICATES_OF, {"user_id": user.id}):
        found.setdefault(certificate.enrolment_id, []).append(certificate)
    return found


# Every learner's dashboard runs this: built once, only the learner's id bound per request.
_CERTIFICATES_OF = (select(Certificate).where(Certificate.user_id == bindparam("user_id"))
                    .order_by(Certificate.generation.desc()))


def course_certificates(course: Course, since: datetime | None = None, until: datetime | None = None,
                        limit: int | None = None, text: str | None = None, status: str | None = None,
                        now: datetime | None = None, only_valid: bool = False,
                        with_pdf: bool = False) -> list[Certificate]:
    """A course's certificates, newest first, optionally issued in [since, until), matching a name or code
    (`text`) or a status (valid, revoked, superseded, expired: as of `now`). `with_pdf` loads the PDFs in
    the same query (a ZIP needs them all; they are left out otherwise)."""
    query = select(Certificate).where(Certificate.course_id == course.id).order_by(Certificate.issued_at.desc(),
                                                                                 Certificate.id.desc())
    if with_pdf:
        query = query.options(undefer(Certificate.pdf))
    if text:
        needle = text.strip().lower()
        code = normalise_code(text)
        query = query.join(User, User.id == Certificate.user_id).where(or_(
            func.lower(User.full_name).contains(needle, autoescape=True),
            Certificate.code == (code or text.strip().upper())))
    if only_valid:
        status = VALID
    if status in (VALID, EXPIRED):
        now = now or utcnow()
        expired = and_(Certificate.expires_at.is_not(None), Certificate.expires_at <= now)
        query = query.where(Certificate.status == VALID, expired if status == EXPIRED else ~expired)
    elif status:
        query = query.where(Certificate.status == status)
    if since:
        query = query.where(Certificate.issued_at >= since)
    if until:
        query = query.where(Certificate.issued_at < until)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def issue_problems(enrolment_ids: list[int]) -> dict[int, str]:
    """{enrolment id: why its certificate could not be drawn} for those whose issue job failed."""
    from lms.credentials.services import issue_job_key
    from lms.credentials.tasks import problem_text

    keys = {issue_job_key(i): i for i in enrolment_ids}
    if not keys:
        return {}
    rows = db.session.execute(select(Job.key, Job.last_error).where(
        Job.key.in_(list(keys)), Job.status != DONE, Job.last_error.is_not(None)))
    return {keys[key]: problem_text(error) for key, error in rows}


def my_certificate_problems(user: User) -> dict[int, str]:
    """The learner's completed enrolments whose certificate is waiting because it could not be drawn."""
    ids = list(db.session.scalars(select(Enrolment.id).where(
        Enrolment.user_id == user.id, Enrolment.completed_at.is_not(None),
        ~select(Certificate.id).where(Certificate.enrolment_id == Enrolment.id).exists())))
    return issue_problems(ids)
