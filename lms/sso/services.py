"""Checking an ID token and deciding which account it signs in to."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass

from authlib.oidc.core import CodeIDToken
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select

from lms import audit
from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.clock import utcnow
from lms.extensions import db
from lms.sso.models import SsoIdentity
from lms.sso.providers import Provider


class SSOError(ValueError):
    """Sign-in refused, with a message for the person."""


log = logging.getLogger(__name__)


def now() -> float:
    """Seconds since the epoch, for token expiry (one place, so tests can move the clock)."""
    return time.time()


def email_is_verified(user: User) -> bool:
    """Whether the account's email address has been proven (the one rule for linking by email)."""
    return getattr(user, "email_verified_at", None) is not None


def mark_email_verified(user: User) -> None:
    """The provider vouched for the address; record it where the accounts model has the column."""
    if hasattr(User, "email_verified_at") and getattr(user, "email_verified_at", None) is None:
        user.email_verified_at = utcnow()


def verify_id_token(client, provider: Provider, token: dict, nonce: str | None, at: float | None = None) -> dict:
    """Check the ID token's signature, issuer, audience, expiry and nonce; returns its claims.

    Raises SSOError for any failure. `client` is the provider's Authlib client (keys and metadata).
    """
    if not nonce:
        raise SSOError("The sign-in could not be checked (no nonce was kept). Try again.")
    if "id_token" not in token:
        raise SSOError("The identity provider sent no ID token.")
    metadata = client.load_server_metadata()
    algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    try:
        keys = KeySet.import_key_set(client.fetch_jwk_set())
        try:
            decoded = jwt.decode(token["id_token"], keys, algorithms=algorithms)
        except JoseError:
            keys = KeySet.import_key_set(client.fetch_jwk_set(force=True))  # the provider rotated its keys
            decoded = jwt.decode(token["id_token"], keys, algorithms=algorithms)
        claims = CodeIDToken(
            decoded.claims, decoded.header,
            {"iss": {"essential": True, "value": metadata.get("issuer", provider.issuer)},
             "aud": {"essential": True, "value": provider.client_id},
             "exp": {"essential": True}},
            {"nonce": nonce, "client_id": provider.client_id, "access_token": token.get("access_token")},
        )
        claims.validate(now=int(at if at is not None else now()),
                        leeway=current_app.config.get("SSO_CLOCK_LEEWAY_SECONDS", 60))
    except (JoseError, ValueError) as error:
        log.warning("ID token from %s refused: %s", provider.name, error)
        raise SSOError("The sign-in could not be checked, so it was refused. Try again.") from None
    return dict(claims)


@dataclass(frozen=True)
class Identity:
    provider: str
    subject: str
    email: str
    name: str


def identity_from(provider: Provider, claims: dict) -> Identity:
    """The person the claims describe; raises SSOError if their address may not use this provider."""
    email = accounts.normalise_email(str(claims.get("email") or claims.get("preferred_username") or ""))
    if "@" not in email:
        raise SSOError(f"{provider.label} did not tell us your email address, so you cannot sign in with it.")
    if claims.get("email_verified") is False:
        raise SSOError(f"{provider.label} says your email address is not verified.")
    if not provider.allows(email):
        raise SSOError(f"You cannot sign in with {provider.label} using an email address ending "
                       f"@{email.rpartition('@')[2]}. Sign in with your password instead.")
    return Identity(provider.name, str(claims["sub"]), email, str(claims.get("name") or "").strip())


def find_account(identity: Identity) -> User | None:
    """The account this identity signs in to: linked before, or an account with the same verified email.

    Raises SSOError when an account has the email but its address was never verified, since
    linking it would hand the account to whoever registered the address first.
    """
    linked = db.session.scalar(select(SsoIdentity).where(SsoIdentity.provider == identity.provider,
                                                         SsoIdentity.subject == identity.subject))
    if linked:
        return db.session.get(User, linked.user_id)
    user = accounts.find_user_by_email(identity.email)
    if user is None:
        return None
    if not email_is_verified(user):
        raise SSOError("An account with this email address already exists but its address has not been "
                       "verified. Log in with your password and verify your email address first; "
                       "then you can use single sign-on.")
    link(user, identity)
    return user


def link(user: User, identity: Identity) -> None:
    db.session.add(SsoIdentity(provider=identity.provider, subject=identity.subject, user_id=user.id,
                               created_at=utcnow()))
    audit.record("user.sso_linked", "user", user.id, actor_id=user.id,
                 after={"provider": identity.provider})
    db.session.flush()


def create_account(identity: Identity, *, full_name: str, organisation_id: str, professional_group: str,
                   registration_body: str | None = None, registration_number: str | None = None) -> User:
    """A new account for someone who signed in with a provider; it has no usable password."""
    user = accounts.create_user(
        email=identity.email, full_name=full_name, password=secrets.token_urlsafe(48),
        organisation_id=organisation_id, professional_group=professional_group,
        registration_body=registration_body, registration_number=registration_number)
    mark_email_verified(user)
    link(user, identity)
    return user
