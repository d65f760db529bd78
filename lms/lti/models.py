"""LTI 1.3: the platforms (VLEs) we are registered with, our tool keys, and what their launches made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db


class LtiPlatform(db.Model):
    """One registration of our tool in a university's VLE (Moodle, Blackboard, Canvas)."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What admins call it, e.g. "Imperial Blackboard".
    name: Mapped[str] = mapped_column(String(200))
    #: The platform's issuer URL: the "iss" of every launch it signs.
    issuer: Mapped[str] = mapped_column(String(500))
    #: The client id the platform gave our tool (the launches' "aud").
    client_id: Mapped[str] = mapped_column(String(255))
    #: Deployment ids the platform may launch with; any other is refused.
    deployment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The platform's public keys (JWKS), to check the launches' signatures.
    key_set_url: Mapped[str] = mapped_column(String(500))
    #: Where our login initiation sends the browser for the OIDC authentication request.
    auth_login_url: Mapped[str] = mapped_column(String(500))
    #: OAuth 2 token endpoint for Names and Roles and Assignment and Grade Services.
    token_url: Mapped[str] = mapped_column(String(500))
    #: Track for links that name none in their custom parameter `track`; None means the course's first.
    default_track: Mapped[str | None] = mapped_column(String(64))
    #: Organisation new accounts from this platform belong to (usually the university).
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    #: Launches from an inactive platform are refused.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LtiToolKey(db.Model):
    """Our RSA key pair for signing deep-linking responses and service token requests.

    Separate from the Open Badges key (signing_keys): that table's newest row is the badge key.
    """

    __tablename__ = "lti_tool_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: RFC 7638 thumbprint of the public key; the "kid" of everything signed with it.
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    #: The private key, PKCS#8 PEM.
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    #: When a newer key replaced it; still published in the JWKS for the grace period after this.
    retired_at: Mapped[datetime | None]


class LtiLaunchState(db.Model):
    """OIDC state, nonces and launch data between login initiation and launch (pylti1p3's storage).

    In the database so any web host can take the launch that another host's login started.
    """

    __tablename__ = "lti_launch_states"

    #: pylti1p3's key, prefixed with the browser's LTI session id.
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LtiIdentity(db.Model):
    """Which account a platform's user id signs in to."""

    __tablename__ = "lti_identities"
    __table_args__ = (UniqueConstraint("platform_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    #: The platform's stable user id (the launch's "sub"); never an email.
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]


class LtiLink(db.Model):
    """A resource link in a platform's module that opens one of our courses (or one of its modules)."""

    __tablename__ = "lti_links"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    #: The platform's module (course) id: the launch's context claim.
    context_id: Mapped[str] = mapped_column(String(255))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    #: The module the link opens, or None for the whole course.
    module_key: Mapped[str | None] = mapped_column(String(64))
    #: Track its learners are enrolled on (the link's custom parameter `track`).
    track: Mapped[str] = mapped_column(String(64))
    #: AGS line item the final assessment's score goes to; None when the platform offers no grade book.
    lineitem_url: Mapped[str | None] = mapped_column(String(1000))
    #: AGS scopes the platform granted for this link.
    ags_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: NRPS membership URL of the context; None when the platform offers no roster.
    memberships_url: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    platform: Mapped[LtiPlatform] = relationship("LtiPlatform")


class LtiLinkMember(db.Model):
    """A person reached through a link (launched it or was on its roster): their scores go back to it."""

    __tablename__ = "lti_link_members"
    __table_args__ = (UniqueConstraint("link_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("lti_links.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
