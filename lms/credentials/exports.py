"""The partner's register (CSV rows), shared by the page, the export job and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from lms.catalog.models import Course
from lms.clock import utcnow
from lms.credentials import queries
from lms.dates import iso_date

REGISTER_COLUMNS = ["Code", "Status", "Learner", "Registration", "Email", "Track", "CPD hours", "Completed",
                    "Issued", "Valid until", "Revoked", "Revoked reason", "Reinstated", "Reinstated reason",
                    "Superseded by", "Content", "PDF SHA-256"]


def register_rows(course: Course, since: datetime | None, until: datetime | None) -> Iterator[list]:
    """The header, then one row per certificate issued in [since, until): every status, London dates."""
    yield REGISTER_COLUMNS
    now = utcnow()
    for c in queries.course_certificates(course, since, until):
        s = c.snapshot
        yield [c.code, c.status_at(now), s["learner_name"], s.get("registration") or "", c.user.email, s["track"],
               f"{s['cpd_hours']:g}", s["completed_on"], iso_date(c.issued_at), iso_date(c.expires_at),
               iso_date(c.revoked_at), c.revoked_reason or "", iso_date(c.reinstated_at), c.reinstated_reason or "",
               c.superseded_by.code if c.superseded_by else "", s.get("content_revision", ""), c.pdf_sha256]
