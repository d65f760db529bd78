"""Public verification, shared by the /verify page, the JSON API and Open Badges: the one place that
decides how often an address may look up, what an unknown code gets, and what the public may see."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app, request

from certificates import normalise_code
from lms import ratelimit
from lms.clock import utcnow
from lms.credentials import queries
from lms.credentials.models import REVOKED, SUPERSEDED, Certificate
from lms.dates import iso_date
from lms.extensions import db

#: A code that no certificate can have, looked up in place of a malformed one.
_NEVER_A_CODE = "!"


def lookup_allowed() -> bool:
    """Count one lookup against the caller's address; False once it is over the limit.

    Every lookup counts (page, API, uploaded PDF, pasted credential), so codes cannot be
    guessed in bulk through any door. Commits the counter.
    """
    key = f"verify:{request.remote_addr or 'unknown'}"
    now, window = utcnow(), timedelta(minutes=1)
    if ratelimit.limited_until(key, now, window, current_app.config["VERIFY_LOOKUPS_PER_MINUTE"]):
        return False
    ratelimit.record_event(key, now, keep=window * 2)
    db.session.commit()
    return True


def find(code: str) -> Certificate | None:
    """The certificate with this code as typed (any case, with or without dashes), or None.

    A malformed code takes the same path as an unknown one (one query), so neither the
    answer nor its timing tells them apart.
    """
    return queries.find_by_code(normalise_code(code) or _NEVER_A_CODE)


def public_record(certificate: Certificate, now: datetime) -> dict[str, Any]:
    """What anyone may know about a certificate, as JSON-ready values; dates are ISO London dates.

    {"code", "status": valid|revoked|superseded|expired, "revoked": {"on", "reason"} | None,
     "replaced_by": code | None, "holder": {"name": str | None, "record_removed": bool},
     "course": {"title", "slug"}, "track", "cpd_hours": float, "completed", "issued",
     "expires": date | None, "issuer": {"id", "name"}}
    """
    s = certificate.snapshot
    removed = certificate.user.erased_at is not None
    status = certificate.status_at(now)
    course = certificate.course
    return {
        "code": certificate.code,
        "status": status,
        "revoked": ({"on": iso_date(certificate.revoked_at), "reason": certificate.revoked_reason}
                    if status == REVOKED else None),
        "replaced_by": (certificate.superseded_by.code
                        if status == SUPERSEDED and certificate.superseded_by is not None else None),
        "holder": {"name": None if removed else s.get("learner_name"), "record_removed": removed},
        "course": {"title": s.get("course_title") or course.title, "slug": course.slug},
        "track": s.get("track"),
        "cpd_hours": float(s.get("cpd_hours") or 0),
        "completed": iso_date(s.get("completed_on")) or None,
        "issued": iso_date(s.get("issued_on") or certificate.issued_at),
        "expires": iso_date(certificate.expires_at) or None,
        "issuer": {"id": course.partner_id, "name": s.get("partner_name") or (
            course.partner.name if course.partner_id else None)},
    }
