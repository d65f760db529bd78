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
from zxcvbn import zxcvbn

from courses.typography import fold_typography
from lms import audit, mail, ratelimit
from lms.accounts import events, recovery, roles, sessions, throttle
from lms.accounts.models import Organisation, User, new_session_token
from lms.accounts.names import clean_name
from lms.accounts.organisations import KINDS, ORGANISATIONS
from lms.clock import utcnow
from lms.extensions import db

log = logging.getLogger(__name__)

PASSWORD_MIN = 12
PASSWORD_MAX = 128
PASSWORD_MIN_SCORE = 3  # zxcvbn's 0-4; 3 is "safely unguessable" for an online attack

#: What the learner's pages say while certificates wait for a confirmed address.
UNVERIFIED_MESSAGE = ("Confirm your email address to receive certificates. Follow the link in the email we "
                      "sent you, or send a new link from your profile.")


class AccountError(ValueError):
    """A change that cannot be made, with a message for the person who asked."""


class WeakPassword(AccountError):
    """A new password that is not allowed (length, or easy to guess)."""


def normalise_email(email: str) -> str:
    """An address as stored and looked up: typography folded (a pasted no-break or zero-width space, a
    word processor's ’ for '), trimmed, lower case."""
    return fold_typography(email).strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_password(password: str, email: str = "", full_name: str = "") -> None:
    """Raise AccountError unless `password` is 12-128 characters and hard to guess (zxcvbn score >= 3)."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise WeakPassword(f"The password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters.")
    local = email.partition("@")[0]
    names = full_name.split()
    hints = [p for p in {email, local, *re.split(r"[._+-]", local), *names, full_name, "".join(names)} if p]
    result = zxcvbn(password, user_inputs=hints, max_length=PASSWORD_MAX)
    if result["score"] < PASSWORD_MIN_SCORE:
        why = result["feedback"].get("warning") or "This password would be easy to guess."
        raise WeakPassword(f"Choose a password that is harder to guess. {why.rstrip('.')}. Try a passphrase of "
                           "three or four unrelated words, such as a phrase only you would think of.")


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
    verified: bool = False,
) -> User:
    """Add a person; raise AccountError if the email is taken or a value is not allowed.

    `verified` marks the address as confirmed (accounts an admin creates); otherwise it waits for the link.
    """
    if role not in roles.ROLES:
        raise AccountError(f"Unknown role {role!r}; choose one of {', '.join(roles.ROLES)}.")
    check_password(password, email, full_name)
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
        email_verified_at=utcnow() if verified else None,
    )
    db.session.add(user)
    db.session.flush()
    log.info("account created: user %s, role %s", user.id, role)
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
        if name == "full_name":
            try:
                value = clean_name(value)
            except ValueError as error:
                raise AccountError(f"{error}.") from error
        setattr(user, name, value.strip() if isinstance(value, str) else value)
    user.registration_body = user.registration_body or None
    user.registration_number = user.registration_number or None
    db.session.flush()


def check_current_password(user: User, password: str, now: datetime, device: str | None = None) -> None:
    """Check a signed-in person's password before a sensitive change, throttled like sign-in.

    Raises AccountError (wrong password, a wait, or the reset link now required).
    """
    key = throttle.account_key("password-check", user.email, device)
    verdict = throttle.verdict(key, now)
    if verdict.reset_required:
        raise AccountError(throttle.RESET_REQUIRED)
    if verdict.wait_seconds:
        raise AccountError(throttle.wait_message(verdict.wait_seconds))
    if not check_password_hash(user.password_hash, password):
        throttle.record_failure(key, now)
        raise AccountError("Your current password is not correct.")


def change_password(user: User, current: str, new: str, now: datetime, device: str | None = None) -> None:
    """Set a new password after checking the current one (throttled like sign-in); ends other sessions."""
    check_current_password(user, current, now, device)
    set_password(user, new)
    throttle.clear(user.email)
    sessions.end_all(user, now, keep_current=True)


def set_password(user: User, new: str) -> None:
    """Store a new password (checked for strength); every cookie and reset link issued before stops working."""
    check_password(new, user.email, user.full_name)
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()
    user.reset_nonce = None
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
    #: The right password alone will not do now: the page offers the reset link.
    reset_required: bool = False


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the email is unknown, so both answers take the same time."""
    return hash_password("not-a-real-password")


def attempt_login(email: str, password: str, address: str, now: datetime,
                  device_cookie: str | None = None) -> LoginOutcome:
    """Check a sign-in, throttled as lms.accounts.throttle describes (unknown addresses alike).

    `device_cookie` is the browser's known-device cookie, if any: its failures are counted apart.
    """
    email = normalise_email(email)
    user = find_user_by_email(email)
    device = throttle.read_device(device_cookie, user.id) if user else None
    key = throttle.account_key("login", email, device)
    verdict = throttle.verdict(key, now, address=None if device else address)
    if verdict.reset_required:
        return LoginOutcome(None, throttle.RESET_REQUIRED, reset_required=True)
    if verdict.wait_seconds:
        return LoginOutcome(None, throttle.wait_message(verdict.wait_seconds))
    if user is None:
        check_password_hash(_dummy_hash(), password)
    elif check_password_hash(user.password_hash, password):
        if not user.is_active:
            return LoginOutcome(None, DEACTIVATED_MESSAGE)
        throttle.clear(email)
        return LoginOutcome(user)
    throttle.record_failure(key, now, address=None if device else address)
    log.info("failed login for %s from %s", key, address)
    return LoginOutcome(None, "Enter a correct email address and password.")


def clear_lockout(user: User, actor_id: int | None, via: str = "web") -> None:
    """An admin lets the account sign in with its password again at once (audited)."""
    throttle.clear(user.email)
    audit.record("user.lockout_cleared", "user", user.id, actor_id=actor_id, via=via)
    db.session.flush()


# --- registration, verification, recovery ----------------------------------------------------


def _mail_key(kind: str, user_id: int | None = None) -> str:
    return f"{kind}:{user_id or ''}:{secrets.token_hex(8)}"


MAILS_PER_HOUR = 5  # of one kind to one address, so nobody can flood a colleague's inbox


def mail_allowed(kind: str, address: str, now: datetime) -> bool:
    """Count one email of `kind` to `address`; False once MAILS_PER_HOUR were sent within the hour."""
    key = f"mail-{kind}:{address}"
    if ratelimit.limited_until(key, now, timedelta(hours=1), MAILS_PER_HOUR):
        return False
    ratelimit.record_event(key, now, keep=timedelta(hours=2))
    return True


def _tell_owner_of_taken_address(existing: User, now: datetime) -> None:
    if mail_allowed("account-exists", existing.email, now):
        mail.send(existing.email, "account_exists", key=_mail_key("account-exists", existing.id),
                  name=existing.full_name, login_url=recovery.absolute("accounts.login"),
                  reset_url=recovery.absolute("accounts.forgot_password"))


def register(*, email: str, full_name: str, password: str, now: datetime, **fields) -> User | None:
    """Create a learner and send the verification link; for a taken address, email its owner instead.

    Both cases look the same to the person registering (no enumeration): the new User, or None.
    Raises AccountError for a password or value that is not allowed (checked before the address).
    """
    check_password(password, email, full_name)
    existing = find_user_by_email(email)
    if existing is not None:
        hash_password(password)  # the same work as a new account, so the time taken tells nothing
        _tell_owner_of_taken_address(existing, now)
        log.info("registration for an existing address: user %s told by email", existing.id)
        return None
    user = create_user(email=email, full_name=full_name, password=password, **fields)
    send_verification(user, now)
    mail.send(user.email, "welcome", key=f"welcome:{user.id}", learner_name=user.full_name)
    return user


def send_verification(user: User, now: datetime) -> None:
    """Email a link that confirms the account's address (at most MAILS_PER_HOUR an hour)."""
    if not mail_allowed("verify", user.email, now):
        return
    mail.send(user.email, "verify_email", key=_mail_key("verify", user.id), name=user.full_name,
              url=recovery.verify_url(user, now), hours=current_app.config["VERIFY_LINK_HOURS"],
              change=False)


def verify_email(token: str, now: datetime) -> User:
    """Mark the address the link was sent to as confirmed; raises recovery.LinkError."""
    user = recovery.check_verify(token, now)
    _mark_verified(user, now)
    return user


def _mark_verified(user: User, now: datetime) -> None:
    """Record the first confirmation of the address; certificates held back for it are then drawn."""
    if user.email_verified_at is None:
        user.email_verified_at = now
        db.session.flush()
        events.email_verified.send(user=user, now=now)


def may_receive_certificates(user: User) -> bool:
    """False until the person has confirmed their email address (certificates wait, nothing is lost)."""
    return user.email_verified_at is not None


def request_password_reset(email: str, now: datetime) -> None:
    """Email a one-hour reset link to the account at `email`; for an unknown address, do nothing."""
    user = find_user_by_email(email)
    if user is None or not mail_allowed("password-reset", user.email, now):
        return
    url = recovery.reset_url(user, now)
    mail.send(user.email, "password_reset", key=_mail_key("password-reset", user.id), name=user.full_name,
              url=url, hours=1, forgot_url=recovery.absolute("accounts.forgot_password"))


def reset_password(token: str, new: str, now: datetime) -> User:
    """Use a reset link: new password, link spent, every session ended, lockout cleared.

    Raises recovery.LinkError for a bad link, AccountError for a password that is not allowed.
    """
    user = recovery.check_reset(token, now)
    set_password(user, new)
    # Following the emailed link proves the address too.
    _mark_verified(user, now)
    sessions.end_all(user, now)
    throttle.clear(user.email)
    db.session.flush()
    return user


def send_reset_link_for_admin(user: User, now: datetime, *, actor_id: int | None) -> None:
    """An admin emails the person a one-hour reset link (audited); earlier links stop working."""
    url = recovery.reset_url(user, now)
    mail.send(user.email, "password_reset", key=_mail_key("password-reset", user.id), name=user.full_name,
              url=url, hours=1, forgot_url=recovery.absolute("accounts.forgot_password"))
    audit.record("user.reset_link_sent", "user", user.id, actor_id=actor_id, via="web", now=now)


def admin_reset_link(user: User, now: datetime, actor_id: int | None = None, via: str = "cli") -> str:
    """A one-hour reset link for an admin to hand over (audited); earlier links stop working."""
    url = recovery.reset_url(user, now)
    audit.record("user.reset_link_created", "user", user.id, actor_id=actor_id, via=via)
    return url


def request_email_change(user: User, current_password: str, new_email: str, now: datetime,
                         device: str | None = None) -> None:
    """Send a confirmation link to `new_email` (throttled password check); the address changes on use.

    If `new_email` already has an account, its owner is told instead: the page says the same.
    """
    check_current_password(user, current_password, now, device)
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError("This is already your email address.")
    existing = find_user_by_email(new_email)
    if existing is not None:
        _tell_owner_of_taken_address(existing, now)
        return
    mail.send(new_email, "verify_email", key=_mail_key("change-email", user.id), name=user.full_name,
              url=recovery.change_email_url(user, new_email, now), hours=recovery.CHANGE_EMAIL_HOURS,
              change=True)


def confirm_email_change(token: str, now: datetime) -> User:
    """Move the account to the new (now confirmed) address and tell the old one. Raises LinkError."""
    user, new_email = recovery.check_email_change(token, now)
    if find_user_by_email(new_email) is not None:
        raise AccountError("Another account now uses this email address, so yours was not changed.")
    old = user.email
    user.email, user.email_verified_at, user.reset_nonce = new_email, now, None
    db.session.flush()
    mail.send(old, "email_changed", key=_mail_key("email-changed", user.id), name=user.full_name,
              new_email=new_email, reset_url=recovery.absolute("accounts.forgot_password"))
    log.info("email changed: user %s", user.id)
    return user


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
