"""Slowing down password guessing without letting a stranger lock someone out.

The scheme (failures are rows in the database, so it holds across workers and hosts):

* Per account, per kind of browser, within LOGIN_WINDOW_MINUTES (15): the first SLOW_AFTER failures
  cost nothing; after that each attempt must wait 2, 4, 8... seconds (at most MAX_DELAY) after the last
  failure. An attempt that comes sooner is turned away without checking the password and not counted.
* After LOGIN_MAX_FAILURES_PER_ACCOUNT failures the password alone no longer logs in from that kind
  of browser: the page offers the reset link, which goes to the account's own address. This lasts
  until 15 minutes after the last failure, a successful reset, or an admin clearing it.
* "Kind of browser": a browser where the account signed in before carries a signed known-device
  cookie with its own random id, and its failures are counted apart from everyone else's. A stranger
  guessing from elsewhere therefore never slows or stops the owner on their usual devices, and someone
  guessing on a shared ward PC is throttled on that PC's own count.
* Per network address (a hospital shares one): after LOGIN_MAX_FAILURES_PER_ADDRESS failures within
  the window, each attempt waits a few seconds (at most ADDRESS_DELAY): slowed, never refused.

Unknown email addresses are counted exactly like real ones, so the answers reveal nothing.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lms import ratelimit

SLOW_AFTER = 3
MAX_DELAY = 60  # seconds
ADDRESS_DELAY = 5  # seconds
DEVICE_COOKIE = "lms_device"
DEVICE_DAYS = 90


@dataclass(frozen=True)
class Verdict:
    """Whether a password may be checked now."""

    wait_seconds: int = 0  # > 0: come back after this long; the password was not checked
    reset_required: bool = False  # the right password alone will not do; offer the reset link

    @property
    def may_check(self) -> bool:
        return not self.wait_seconds and not self.reset_required


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])


def account_key(kind: str, email: str, device: str | None) -> str:
    """The counter for `kind` ("login" or "password-check") of this account from this kind of browser."""
    return f"{kind}:{email}:{device}" if device else f"{kind}:{email}"


def address_key(address: str) -> str:
    return f"login-address:{address}"


def verdict(key: str, now: datetime, address: str | None = None) -> Verdict:
    """May a password for `key` (and from `address`) be checked at `now`?"""
    config = current_app.config
    window = _window()
    limit = config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    if ratelimit.limited_until(key, now, window, limit):
        return Verdict(reset_required=True)
    wait = _wait(ratelimit.recent_events(key, now, window, limit), now, SLOW_AFTER, MAX_DELAY)
    if address is not None:
        address_limit = config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
        address_times = ratelimit.recent_events(address_key(address), now, window, address_limit)
        wait = max(wait, _wait(address_times, now, address_limit, ADDRESS_DELAY))
    return Verdict(wait_seconds=wait)


def _wait(times: list[datetime], now: datetime, free: int, cap: int) -> int:
    """Seconds still to wait after the last of `times` (newest first) once `free` have failed: 2, 4, 8...

    at most `cap`."""
    if len(times) < free:
        return 0
    delay = min(2 ** (len(times) - free + 1), cap)
    left = (times[0] + timedelta(seconds=delay) - now).total_seconds()
    return math.ceil(left) if left > 0 else 0


def record_failure(key: str, now: datetime, address: str | None = None) -> None:
    ratelimit.record_event(key, now, keep=_window() * 2)
    if address is not None:
        ratelimit.record_event(address_key(address), now, keep=_window() * 2)


def clear(email: str) -> None:
    """Forget every count for this account (success, reset, or an admin clearing a lockout)."""
    for kind in ("login", "password-check"):
        ratelimit.clear_events(f"{kind}:{email}", with_suffixes=True)


def is_locked(email: str, now: datetime) -> bool:
    """True when password sign-in from a new browser needs the reset link (for admin screens)."""
    return verdict(account_key("login", email, None), now).reset_required


# --- known devices ----------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def read_device(cookie: str | None, user_id: int | None = None) -> str | None:
    """The browser's device id from its cookie, if valid (and, with `user_id`, known to that account)."""
    if not cookie:
        return None
    try:
        data = _serializer().loads(cookie, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("d"), str):
        return None
    if user_id is not None and user_id not in data.get("u", []):
        return None
    return data["d"]


def device_cookie(cookie: str | None, user_id: int) -> str:
    """A new cookie value that adds `user_id` to this browser's known accounts (at most five)."""
    data = {"d": secrets.token_urlsafe(12), "u": []}
    if cookie:
        try:
            loaded = _serializer().loads(cookie, max_age=DEVICE_DAYS * 86400)
            if isinstance(loaded, dict) and isinstance(loaded.get("d"), str):
                data = {"d": loaded["d"], "u": [u for u in loaded.get("u", []) if isinstance(u, int)]}
        except BadSignature:
            pass
    data["u"] = [u for u in data["u"] if u != user_id][-4:] + [user_id]
    return _serializer().dumps(data)


def wait_message(seconds: int) -> str:
    return (f"There have been several failed attempts to log in. For your security, wait {seconds} "
            f"second{'s' if seconds != 1 else ''} and try again.")


RESET_REQUIRED = ("There have been too many failed attempts to log in to this account. For your security, "
                  "use the link under 'Forgotten your password?' to set a new password and log in.")
