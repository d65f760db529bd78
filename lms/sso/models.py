"""Which account an identity at an OpenID Connect provider signs in to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db


class SsoIdentity(db.Model):
    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The provider's configured name, e.g. "nhsmail".
    provider: Mapped[str] = mapped_column(String(32))
    #: The provider's stable id for the person (the ID token's "sub"); never an email.
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
