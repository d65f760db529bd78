"""Links sent by email: password reset (and invitations), email verification, email change.

Every link is signed with the app's secret (a changed character is refused) and carries its own
expiry. A password-reset link also names the account's current `reset_nonce`, so it works once:
using it, or sending a newer link, replaces the nonce.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from lms import addresses
from lms.accounts.models import User
from lms.extensions import db

RESET = "reset"
VERIFY = "verify"
CHANGE_EMAIL = "change-email"
CHANGE_EMAIL_HOURS = 24


class LinkError(Exception):
    """A link that cannot be used; `reason` is "expired", "used" or "invalid"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"lms-link-{purpose}")


def _epoch(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds())


def _make(purpose: str, now: datetime, hours: float, **data) -> str:
    return _serializer(purpose).dumps({**data, "x": _epoch(now + timedelta(hours=hours))})


def _read(purpose: str, token: str, now: datetime) -> tuple[User, dict]:
    try:
        data = _serializer(purpose).loads(token)
    except BadSignature:
        raise LinkError("invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("x"), int):
        raise LinkError("invalid")
    user = db.session.get(User, data["u"])
    if user is None:
        raise LinkError("invalid")
    if _epoch(now) > data["x"]:
        raise LinkError("expired")
    return user, data


def absolute(endpoint: str, **values) -> str:
    """The link on the service's public address (works in jobs and the CLI, where there is no request)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return addresses.public_base_url() + path


# --- password reset ---------------------------------------------------------------------------


def reset_url(user: User, now: datetime, hours: float = 1) -> str:
    """A one-time link to set a new password, valid for `hours` hours (168 for an invitation).

    It replaces any earlier link for this account; the caller commits (the link works after that).
    """
    user.reset_nonce = secrets.token_urlsafe(16)
    db.session.flush()
    token = _make(RESET, now, hours, u=user.id, n=user.reset_nonce)
    return absolute("accounts.reset_password", token=token)


def check_reset(token: str, now: datetime) -> User:
    """The account a reset link is for; raises LinkError if it is tampered with, expired or used."""
    user, data = _read(RESET, token, now)
    if not user.reset_nonce or not secrets.compare_digest(str(data.get("n", "")), user.reset_nonce):
        raise LinkError("used")
    return user


# --- verification and change of address -------------------------------------------------------


def verify_url(user: User, now: datetime) -> str:
    """A link that confirms the account's current address, valid for VERIFY_LINK_HOURS."""
    token = _make(VERIFY, now, current_app.config["VERIFY_LINK_HOURS"], u=user.id, e=user.email)
    return absolute("accounts.verify_email", token=token)


def check_verify(token: str, now: datetime) -> User:
    """The account whose address the link confirms; "used" if the account's address has changed since."""
    user, data = _read(VERIFY, token, now)
    if data.get("e") != user.email:
        raise LinkError("used")
    return user


def change_email_url(user: User, new_email: str, now: datetime) -> str:
    """A link, sent to `new_email`, that moves the account there; valid for 24 hours and once."""
    token = _make(CHANGE_EMAIL, now, CHANGE_EMAIL_HOURS, u=user.id, e=new_email, o=user.email)
    return absolute("accounts.confirm_email_change", token=token)


def check_email_change(token: str, now: datetime) -> tuple[User, str]:
    """(account, new address); "used" once the account's address is no longer the one it was sent from."""
    user, data = _read(CHANGE_EMAIL, token, now)
    if data.get("o") != user.email or not isinstance(data.get("e"), str):
        raise LinkError("used")
    return user, data["e"]
