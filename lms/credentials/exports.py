"""The partner's register (CSV rows) and the ZIP of PDFs, shared by the pages and the CLI."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime

from lms.catalog.models import Course
from lms.clock import utcnow
from lms.credentials import queries, services
from lms.credentials.models import Certificate

REGISTER_COLUMNS = ["Code", "Status", "Learner", "Registration", "Email", "Track", "CPD hours", "Completed",
                    "Issued", "Expires", "Revoked", "Revoked reason", "Superseded by", "PDF SHA-256"]


def register_rows(course: Course, since: datetime | None, until: datetime | None) -> Iterator[list]:
    yield REGISTER_COLUMNS
    now = utcnow()
    for c in queries.course_certificates(course, since, until):
        s = c.snapshot
        yield [c.code, c.status_at(now), s["learner_name"], s.get("registration") or "", c.user.email, s["track"],
               f"{s['cpd_hours']:g}", s["completed_on"], s["issued_on"],
               c.expires_at.date().isoformat() if c.expires_at else "",
               c.revoked_at.date().isoformat() if c.revoked_at else "", c.revoked_reason or "",
               c.superseded_by.code if c.superseded_by else "", c.pdf_sha256]


def zip_certificates(certificates: list[Certificate], progress: Callable[[], None] | None = None) -> bytes:
    """A ZIP of the certificates' PDFs (already compressed, so stored as they are)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for certificate in certificates:
            archive.writestr(f"certificate-{certificate.code}.pdf", services.certificate_pdf(certificate))
            if progress:
                progress()
    return buffer.getvalue()
