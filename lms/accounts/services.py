"""Functions that change accounts. They flush, never commit; the caller commits once."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from lms import ratelimit
from lms.accounts import roles
from lms.accounts.models import Organisation, User, new_session_token
from lms.accounts.names import clean_name
from lms.accounts.organisations import ORGANISATIONS
from lms.extensions import db

log = logging.getLogger(__name__)

PASSWORD_MIN = 12
PASSWORD_MAX = 128


class AccountError(ValueError):
    """A change that cannot be made, with a message for the person who asked."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    *,
    email: str,
    full_name: str,
    password: str,
    role: str = roles.LEARNER,
    organisation_id: str | None = None,
    professional_group: str = "other",
    registration_body: str | None = None,
    registration_number: str | None = None,
) -> User:
    """Add a person; raise AccountError if the email is taken or a value is not allowed."""
    if role not in roles.ROLES:
        raise AccountError(f"Unknown role {role!r}; choose one of {', '.join(roles.ROLES)}.")
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise AccountError(f"The password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters.")
    if find_user_by_email(email):
        raise AccountError("An account with this email address already exists.")
    try:
        full_name = clean_name(full_name)
    except ValueError as error:
        raise AccountError(f"{error}.") from error
    user = User(
        email=normalise_email(email),
        full_name=full_name,
        password_hash=hash_password(password),
        role=role,
        organisation_id=organisation_id,
        professional_group=professional_group,
        registration_body=registration_body or None,
        registration_number=(registration_number or "").strip() or None,
    )
    db.session.add(user)
    db.session.flush()
    log.info("account created: user %s, role %s", user.id, role)
    return user


def update_profile(user: User, **fields) -> None:
    """Change the person's own details (not email, password or role)."""
    allowed = {"full_name", "organisation_id", "professional_group", "registration_body",
               "registration_number"}
    for name, value in fields.items():
        if name not in allowed:
            raise AccountError(f"{name} cannot be changed here.")
        if name == "full_name":
            try:
                value = clean_name(value)
            except ValueError as error:
                raise AccountError(f"{error}.") from error
        setattr(user, name, value.strip() if isinstance(value, str) else value)
    user.registration_body = user.registration_body or None
    user.registration_number = user.registration_number or None
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; logs out other sessions."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError("Your current password is not correct.")
    set_password(user, new)


def set_password(user: User, new: str) -> None:
    if not PASSWORD_MIN <= len(new) <= PASSWORD_MAX:
        raise AccountError(f"The password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters.")
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()
    db.session.flush()


def set_role(user: User, role: str) -> None:
    if role not in roles.ROLES:
        raise AccountError(f"Unknown role {role!r}; choose one of {', '.join(roles.ROLES)}.")
    user.role = role
    user.session_token = new_session_token()
    db.session.flush()
    log.info("role changed: user %s is now %s", user.id, role)


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    error: str | None = None


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the email is unknown, so both answers take the same time."""
    return hash_password("not-a-real-password")


def attempt_login(email: str, password: str, address: str, now: datetime) -> LoginOutcome:
    """Check a login, counting failures per account and per address in the database.

    After too many failures within the window, logins for that account (or from that
    address) are refused for one window, even with the right password.
    """
    config = current_app.config
    window = timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    account_key = f"login-account:{normalise_email(email)}"
    address_key = f"login-address:{address}"
    locked = ratelimit.limited_until(
        account_key, now, window, config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    ) or ratelimit.limited_until(address_key, now, window, config["LOGIN_MAX_FAILURES_PER_ADDRESS"])
    if locked:
        minutes = max(1, -(-int((locked - now).total_seconds()) // 60))
        return LoginOutcome(
            None,
            "There have been too many failed attempts to log in to this account. "
            f"For your security, try again in {minutes} minute{'s' if minutes != 1 else ''}, "
            "or ask your administrator to reset your password.",
        )
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
    elif check_password_hash(user.password_hash, password):
        ratelimit.clear_events(account_key)
        return LoginOutcome(user)
    ratelimit.record_event(account_key, now, keep=window * 2)
    ratelimit.record_event(address_key, now, keep=window * 2)
    log.info("failed login for %s from %s", account_key, address)
    return LoginOutcome(None, "Enter a correct email address and password.")


def sync_organisations() -> tuple[int, int]:
    """Write the seeded organisation list into the database; returns (added, updated)."""
    existing = {o.id: o for o in db.session.scalars(select(Organisation))}
    added = updated = 0
    listed = set()
    for org_id, name, kind in ORGANISATIONS:
        listed.add(org_id)
        org = existing.get(org_id)
        if org is None:
            db.session.add(Organisation(id=org_id, name=name, kind=kind, active=True))
            added += 1
        elif (org.name, org.kind, org.active) != (name, kind, True):
            org.name, org.kind, org.active = name, kind, True
            updated += 1
    for org_id, org in existing.items():
        if org_id not in listed and org.active:
            org.active = False  # kept for the people already in it
            updated += 1
    db.session.flush()
    return added, updated
