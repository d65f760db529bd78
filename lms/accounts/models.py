"""People and the organisations they work for."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts import roles
from lms.extensions import db


class Organisation(db.Model):
    __tablename__ = "organisations"

    #: Stable key from the seeded list, e.g. ``imperial-college-london``.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: nhs-trust, integrated-care, local-authority, university or other.
    kind: Mapped[str] = mapped_column(String(32))
    #: Hidden from the registration list but kept for the people already in it.
    active: Mapped[bool] = mapped_column(default=True)


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased, so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=roles.LEARNER)
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    #: A key of roles.PROFESSIONAL_GROUPS.
    professional_group: Mapped[str] = mapped_column(String(32), default="other")
    #: GMC, NMC, HCPC...; printed on certificates with the number when given.
    registration_body: Mapped[str | None] = mapped_column(String(16))
    registration_number: Mapped[str | None] = mapped_column(String(32))
    #: Part of the login cookie; changing it (password change) logs out every other session.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    #: Set by an admin: the person cannot sign in and their sessions stop working (UTC).
    deactivated_at: Mapped[datetime | None]
    #: Last sign-in (UTC); the retention job measures inactivity from it.
    last_seen_at: Mapped[datetime | None]
    #: When the retention job warned that the account will be erased (UTC); cleared by a sign-in.
    retention_warned_at: Mapped[datetime | None]
    #: Set when personal data was erased (UK GDPR); the row stays so certificates still verify.
    erased_at: Mapped[datetime | None]
    #: Optional emails (certificate expiry reminders) wanted; essential ones (certificates, account) always go.
    email_reminders: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: UTC; None until the person follows the link sent to their address (no certificates until then).
    email_verified_at: Mapped[datetime | None]
    #: The one password-reset link that may be used now; a newer link or its use replaces it.
    reset_nonce: Mapped[str | None] = mapped_column(String(32))

    organisation: Mapped[Organisation | None] = relationship("Organisation")

    @property
    def is_active(self) -> bool:
        # Flask-Login refuses to log in an inactive user; the user loader drops their sessions.
        return self.deactivated_at is None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def has_role(self, *names: str) -> bool:
        return self.role in names

    @property
    def registration(self) -> str | None:
        """``NMC 12A3456B``, or None when no registration was given."""
        if not self.registration_number:
            return None
        return f"{self.registration_body or ''} {self.registration_number}".strip()


class UserSession(db.Model):
    """One signed-in browser. The cookie holds a random id; the table holds its SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]  # UTC
    #: Updated at most once a minute, so a page view rarely writes.
    last_seen_at: Mapped[datetime]
    #: Set by logging out, "sign out of all devices", a password reset or expiry.
    ended_at: Mapped[datetime | None]


class KeptForm(db.Model):
    """What a person posted after their session had ended, kept until they sign in again."""

    __tablename__ = "kept_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]  # UTC
    #: The endpoint the form was posted to, e.g. ``learning.reflection``.
    endpoint: Mapped[str] = mapped_column(String(100))
    #: The path of the page the form was on, where the text is put back.
    page: Mapped[str] = mapped_column(String(500))
    #: Field name -> list of values, without passwords and tokens.
    fields: Mapped[dict[str, list[str]]] = mapped_column(JSON)
