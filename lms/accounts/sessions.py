"""Server-side sessions: a signed-in browser is a row, so logging out really ends it.

The browser's cookie (Flask's signed session) carries a random id under "sid"; the table keeps only
its SHA-256, so a leaked table cannot be replayed. Each request costs one primary-key lookup (joined
with the user, the only ORM object loaded); `last_seen_at` is written at most once a minute.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, session
from sqlalchemy import bindparam, delete, select, update

from lms.accounts.models import User, UserSession
from lms.extensions import db

SID = "sid"
TOUCH_EVERY = timedelta(minutes=1)
KEEP_ENDED = timedelta(days=30)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def start(user: User, now: datetime) -> None:
    """Add a session row for `user` and put its id in the browser's cookie (the caller commits)."""
    raw = secrets.token_urlsafe(32)
    # This person's rows from long ago are of no further use: forget them as a new one starts.
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                                 UserSession.created_at < now - KEEP_ENDED))
    db.session.add(UserSession(id=_digest(raw), user_id=user.id, created_at=now, last_seen_at=now))
    session[SID] = raw


def expired(row: UserSession, now: datetime) -> bool:
    """Whether a session (a UserSession, or a row with its ended_at, last_seen_at and created_at) is over."""
    config = current_app.config
    return (row.ended_at is not None
            or now - row.last_seen_at > timedelta(minutes=config["SESSION_IDLE_MINUTES"])
            or now - row.created_at > timedelta(hours=config["SESSION_MAX_HOURS"]))


# Every request runs this: built once, the session's columns beside the one User entity loaded.
_sessions = UserSession.__table__
_USER_OF_SESSION = (
    select(User, _sessions.c.id.label("session_id"), _sessions.c.ended_at, _sessions.c.last_seen_at,
           _sessions.c.created_at)
    .select_from(_sessions).join(User, User.id == _sessions.c.user_id)
    .where(_sessions.c.id == bindparam("digest")))


def load(user_id: int, token: str, now: datetime) -> User | None:
    """The user this browser's session belongs to, if the session is live; ends it if it has expired."""
    raw = session.get(SID)
    if not raw or not isinstance(raw, str):
        return None
    row = db.session.execute(_USER_OF_SESSION, {"digest": _digest(raw)}).first()
    if row is None:
        return None
    user = row.User
    if user.id != user_id or user.session_token != token or not user.is_active:
        return None
    if expired(row, now):
        if row.ended_at is None:
            _write(update(UserSession).where(UserSession.id == row.session_id).values(ended_at=now))
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        _write(update(UserSession).where(UserSession.id == row.session_id).values(last_seen_at=now))
    return user


def _write(statement) -> None:
    # Its own short transaction: the request's session may hold the view's uncommitted work.
    with db.engine.begin() as conn:
        conn.execute(statement)


def owner_of_ended_session() -> int | None:
    """The user whose session this browser had (now ended or expired), or None if it had none."""
    raw = session.get(SID)
    if not raw or not isinstance(raw, str):
        return None
    return db.session.scalar(select(UserSession.user_id).where(UserSession.id == _digest(raw)))


def end_current(now: datetime) -> None:
    """End this browser's session on the server (the caller commits)."""
    raw = session.get(SID)
    if raw and isinstance(raw, str):
        db.session.execute(update(UserSession).where(UserSession.id == _digest(raw),
                                                     UserSession.ended_at.is_(None)).values(ended_at=now))


def end_all(user: User, now: datetime, keep_current: bool = False) -> int:
    """End every live session of `user` (all but this browser's with `keep_current`); returns how many."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    raw = session.get(SID) if keep_current else None
    if raw:
        query = query.where(UserSession.id != _digest(raw))
    return db.session.execute(query.values(ended_at=now)).rowcount


def live_count(user: User, now: datetime) -> int:
    """How many browsers are signed in to `user` now (for the profile page)."""
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id,
                                                        UserSession.ended_at.is_(None)))
    return sum(1 for row in rows if not expired(row, now))
