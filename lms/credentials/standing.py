"""The one rule for what counts as earned: a completed enrolment's CPD hours are earned unless its
newest certificate is revoked or expired (a superseded one is never the newest: its replacement
decides). A completion whose certificate is still awaited counts: the learner did the work.

Pages, the learning record, reports and programme totals all ask here (learning through the provider
registered in lms.learning.completion, since learning may not import credentials).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import load_only

from lms.clock import utcnow
from lms.credentials.models import REVOKED, VALID, Certificate
from lms.extensions import db
from lms.learning import completion
from lms.learning.models import Enrolment

#: Standing of a completed enrolment that has no certificate yet.
AWAITING = "awaiting"


def counts_as_earned(standing: str | None) -> bool:
    """`standing`: the newest certificate's status, or None when none is issued yet."""
    return standing in (VALID, None)


def newest_certificates(enrolment_ids: Iterable[int]) -> dict[int, Certificate]:
    """{enrolment id: its newest certificate}, in one query."""
    ids = list(enrolment_ids)
    newest: dict[int, Certificate] = {}
    if ids:
        for certificate in db.session.scalars(_NEWEST, {"ids": ids}):
            newest[certificate.enrolment_id] = certificate
    return newest


# Every learner's dashboard runs this: built once, only the enrolment ids bound per request.
_NEWEST = (select(Certificate).where(Certificate.enrolment_id.in_(bindparam("ids", expanding=True)))
           .options(load_only(Certificate.enrolment_id, Certificate.generation, Certificate.status,
                              Certificate.expires_at, Certificate.revoked_reason, Certificate.code))
           .order_by(Certificate.generation))


def standings(enrolment_ids: Iterable[int], now: datetime | None = None) -> dict[int, str]:
    """{enrolment id: valid, revoked, superseded, expired} of its newest certificate (none: left out)."""
    now = now or utcnow()
    return {eid: c.status_at(now) for eid, c in newest_certificates(enrolment_ids).items()}


def voided_clause(now: datetime):
    """SQL, for a Certificate: it is the newest of its enrolment and voids the hours (revoked or expired)."""
    return and_(Certificate.superseded_by_id.is_(None), or_(
        Certificate.status == REVOKED,
        and_(Certificate.status == VALID, Certificate.expires_at.is_not(None), Certificate.expires_at <= now)))


def earned_clause(now: datetime):
    """SQL, for a completed Enrolment: its hours count (`counts_as_earned` of its newest certificate)."""
    return ~select(Certificate.id).where(Certificate.enrolment_id == Enrolment.id, voided_clause(now)).exists()


completion.register_standing_provider(standings, counts_as_earned)
