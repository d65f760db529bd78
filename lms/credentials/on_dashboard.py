"""What the learner's dashboard shows of certificates, joined into the dashboard's one statement.

Learning may not import credentials, so this registers with `lms.learning.dashboard` (as `standing`
registers the earned rule): for each enrolment, its newest certificate and, while it has none, why
its issue job failed.
"""

from __future__ import annotations

from sqlalchemy import String, and_, case, cast, exists, literal, select

from lms.credentials import services
from lms.credentials.models import Certificate, status_at
from lms.credentials.tasks import problem_text
from lms.jobs.models import DONE, Job
from lms.learning import dashboard

_newest, _newer = Certificate.__table__.alias("newest_certificate"), Certificate.__table__.alias("newer_certificate")
_jobs = Job.__table__


def join_certificates(statement, enrolments):
    """`statement` (over `enrolments`) with the columns `dashboard.register_certificates` names, outer-joined."""
    prefix, suffix = services.ISSUE_JOB_KEY
    no_newer = ~exists().where(_newer.c.enrolment_id == _newest.c.enrolment_id,
                               _newer.c.generation > _newest.c.generation)
    # One index lookup by key, asked only of a completion without any certificate (`queries.issue_problems`).
    issue_error = (select(_jobs.c.last_error)
                   .where(_jobs.c.key == literal(prefix) + cast(enrolments.c.id, String) + literal(suffix),
                          _jobs.c.status != DONE, _jobs.c.last_error.is_not(None)).scalar_subquery())
    waiting = and_(_newest.c.id.is_(None), enrolments.c.completed_at.is_not(None))
    return (statement
            .outerjoin(_newest, and_(_newest.c.enrolment_id == enrolments.c.id, no_newer))
            .add_columns(_newest.c.code.label("certificate_code"), _newest.c.status.label("certificate_status"),
                         _newest.c.expires_at.label("certificate_expires_at"),
                         _newest.c.revoked_at.label("certificate_revoked_at"),
                         _newest.c.revoked_reason.label("certificate_revoked_reason"),
                         case((waiting, issue_error)).label("issue_error")))


dashboard.register_certificates(join_certificates, status_at, problem_text)
