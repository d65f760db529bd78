"""Functions that change accounts. They flush, never commit; the caller commits once."""

from __future__ import annotations

import functools
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from lms import audit, mail, ratelimit
from lms.accounts import roles
from lms.accounts.models import Organisation, User, new_session_token
from lms.accounts.organisations import KINDS, ORGANISATIONS
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
    user = User(
        email=normalise_email(email),
        full_name=full_name.strip(),
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


def register(**fields) -> User:
    """Self-registration: `create_user` (same arguments and errors) and a welcome email after the commit."""
    user = create_user(**fields)
    mail.send(user.email, "welcome", key=f"welcome:{user.id}", learner_name=user.full_name)
    return user


def update_profile(user: User, **fields) -> None:
    """Change the person's own details (not email, password or role)."""
    allowed = {"full_name", "organisation_id", "professional_group", "registration_body",
               "registration_number", "email_reminders"}
    for name, value in fields.items():
        if name not in allowed:
            raise AccountError(f"{name} cannot be changed here.")
        if name == "organisation_id" and user.has_role(roles.PARTNER) and value != user.organisation_id:
            # Who may act for an organisation is decided by admins, never by the person.
            raise AccountError("An administrator sets a university partner's organisation.")
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


def set_role(user: User, role: str, *, actor_id: int | None = None, via: str = "web") -> bool:
    """Give `user` another role (logging them out everywhere), audited; False when it is already theirs."""
    if role not in roles.ROLES:
        raise AccountError(f"Unknown role {role!r}; choose one of {', '.join(roles.ROLES)}.")
    if user.role == role:
        return False
    if via == "web" and actor_id == user.id:
        raise AccountError("You cannot change your own role; ask another administrator.")
    audit.record("user.role_changed", "user", user.id, actor_id=actor_id, via=via,
                 before={"role": user.role}, after={"role": role})
    user.role = role
    user.session_token = new_session_token()
    db.session.flush()
    log.info("role changed: user %s is now %s", user.id, role)
    return True


def set_organisation(user: User, organisation_id: str | None, *, actor_id: int | None,
                     via: str = "web") -> bool:
    """An admin sets the organisation a person (a partner above all) acts for; audited.

    Raises AccountError for an unknown organisation; False when nothing changed.
    """
    if organisation_id and db.session.get(Organisation, organisation_id) is None:
        raise AccountError(f"No organisation with the id {organisation_id!r}.")
    organisation_id = organisation_id or None
    if user.organisation_id == organisation_id:
        return False
    audit.record("user.organisation_set", "user", user.id, actor_id=actor_id, via=via,
                 before={"organisation_id": user.organisation_id}, after={"organisation_id": organisation_id})
    user.organisation_id = organisation_id
    db.session.flush()
    return True


def set_active(user: User, active: bool, now: datetime, *, actor_id: int | None, via: str = "web") -> bool:
    """Deactivate (no sign-in, every session ended) or reactivate an account; audited.

    Raises AccountError when an admin would deactivate themselves; False when nothing changed.
    """
    if active == user.is_active:
        return False
    if not active and actor_id == user.id:
        raise AccountError("You cannot deactivate your own account.")
    before = {"deactivated_at": _iso(user.deactivated_at)}
    user.deactivated_at = None if active else now
    user.session_token = new_session_token()  # ends every session now, whatever the session store
    audit.record("user.reactivated" if active else "user.deactivated", "user", user.id, actor_id=actor_id,
                 via=via, before=before, after={"deactivated_at": _iso(user.deactivated_at)})
    db.session.flush()
    return True


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def invited_password_hash() -> str:
    """For an account made for someone by staff (an invitation): not a hash of any password (no '$'
    fields), so every password check fails until they set one from their link; unique per account."""
    return f"!invited:{secrets.token_urlsafe(24)}"


DEACTIVATED_MESSAGE = ("Your account has been deactivated. Contact the programme team if you need to "
                      "use the service again.")


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
        if not user.is_active:
            return LoginOutcome(None, DEACTIVATED_MESSAGE)
        return LoginOutcome(user)
    ratelimit.record_event(account_key, now, keep=window * 2)
    ratelimit.record_event(address_key, now, keep=window * 2)
    log.info("failed login for %s from %s", account_key, address)
    return LoginOutcome(None, "Enter a correct email address and password.")


def sync_organisations(*, actor_id: int | None = None, via: str = "cli") -> tuple[int, int]:
    """Add the seeded organisations the database does not have yet; returns (added, kept).

    Rows already there are kept as they are: admins rename, reclassify and retire organisations
    on the admin screens, and a later sync (every `make run`) must not undo that.
    """
    existing = set(db.session.scalars(select(Organisation.id)))
    added = 0
    for org_id, name, kind in ORGANISATIONS:
        if org_id not in existing:
            db.session.add(Organisation(id=org_id, name=name, kind=kind, active=True))
            audit.record("organisation.created", "organisation", org_id, actor_id=actor_id, via=via,
                         after={"name": name, "kind": kind, "active": True})
            added += 1
    db.session.flush()
    return added, len(existing)


def organisation_values(org: Organisation) -> dict:
    return {"name": org.name, "kind": org.kind, "active": org.active}


def organisation_id_for(name: str) -> str:
    """A stable key from a new organisation's name (`Royal Brompton Hospital` -> `royal-brompton-hospital`),
    with a number added when it is taken."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:56] or "organisation"
    candidate, n = base, 2
    while db.session.get(Organisation, candidate) is not None:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def save_organisation(org: Organisation | None, *, name: str, kind: str, active: bool = True,
                      actor_id: int | None, via: str = "web") -> Organisation:
    """Add an organisation (org None) or change one's name, kind and whether it is offered; audited."""
    name = name.strip()
    if not name:
        raise AccountError("Enter the organisation's name.")
    if kind not in KINDS:
        raise AccountError(f"Unknown kind {kind!r}; choose one of {', '.join(KINDS)}.")
    if org is None:
        org = Organisation(id=organisation_id_for(name), name=name, kind=kind, active=active)
        db.session.add(org)
        audit.record("organisation.created", "organisation", org.id, actor_id=actor_id, via=via,
                     after=organisation_values(org))
    else:
        before = organisation_values(org)
        org.name, org.kind, org.active = name, kind, active
        if organisation_values(org) != before:
            audit.record("organisation.updated", "organisation", org.id, actor_id=actor_id, via=via,
                         before=before, after=organisation_values(org))
    db.session.flush()
    return org
