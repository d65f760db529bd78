"""Certificates and the partner settings printed on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db

VALID = "valid"
REVOKED = "revoked"
SUPERSEDED = "superseded"
EXPIRED = "expired"  # derived from expires_at, never stored


class PartnerSettings(db.Model):
    """A university partner's signatory, printed on the certificates of the courses it certifies."""

    __tablename__ = "partner_settings"

    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    signatory_name: Mapped[str] = mapped_column(String(200))
    signatory_title: Mapped[str] = mapped_column(String(200))
    #: sha256 of the signature image in `signature_images`, or None.
    signature_sha256: Mapped[str | None] = mapped_column(ForeignKey("signature_images.sha256"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SignatureImage(db.Model):
    """A re-encoded signature image, stored by content so old certificates keep theirs."""

    __tablename__ = "signature_images"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: PNG bytes, re-encoded by the app from what the partner uploaded.
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Certificate(db.Model):
    __tablename__ = "certificates"
    # One certificate per enrolment and generation: two racing completions cannot both issue.
    __table_args__ = (UniqueConstraint("enrolment_id", "generation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unguessable public code, e.g. 7KQ2-M9XD-4TRA-8B (65 random bits and a check symbol).
    code: Mapped[str] = mapped_column(String(24), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), index=True)
    #: 1 for the first certificate of an enrolment, +1 for each reissue.
    generation: Mapped[int] = mapped_column(default=1)
    #: valid, revoked or superseded (expired is worked out from expires_at).
    status: Mapped[str] = mapped_column(String(16), default=VALID)
    #: Everything printed on it (certificates.CertificateData as JSON); the PDF is re-rendered from this.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: SHA-256 of the PDF, so an uploaded PDF can be checked against the record.
    pdf_sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: The PDF as issued (about 15 KB): downloads and exports stay byte-identical even after a
    #: WeasyPrint or font upgrade would render the snapshot slightly differently.
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    issued_at: Mapped[datetime]
    completed_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    #: Who issued it: a partner or admin; None when issued automatically on completion.
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Set when a revocation made by mistake is undone (revoked_at and its reason stay as history).
    reinstated_at: Mapped[datetime | None]
    reinstated_reason: Mapped[str | None] = mapped_column(Text)
    reinstated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The certificate that replaced this one after a reissue.
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))

    user: Mapped[Any] = relationship("User", foreign_keys=[user_id])
    course: Mapped[Any] = relationship("Course")
    revoked_by: Mapped[Any] = relationship("User", foreign_keys=[revoked_by_id])
    superseded_by: Mapped[Certificate | None] = relationship("Certificate", remote_side=[id])

    def status_at(self, now: datetime) -> str:
        """valid, revoked, superseded or expired."""
        return status_at(self.status, self.expires_at, now)


def status_at(status: str, expires_at: datetime | None, now: datetime) -> str:
    """A certificate's status as of `now` (naive UTC) from its stored status and expiry: valid, revoked,
    superseded or expired."""
    if status == VALID and expires_at is not None and expires_at <= now:
        return EXPIRED
    return status
