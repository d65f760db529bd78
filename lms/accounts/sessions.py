"""Server-side sessions: a signed-in browser is a row, so logging out really ends it.

The browser's cookie (Flask's signed session) carries a random id under "sid"; the table keeps only
its SHA-256, so a leaked table cannot be replayed. Each request costs one primary-key lookup (joined
with the user) on the request's reading connection, without the ORM: `signed_in` gives that row, and the
ORM User (`current_user`) is made from it, with no further query, only when something asks for it.
`last_seen_at` is written at most once a minute.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app, g, session
from sqlalchemy import Row, Select, bindparam, delete, inspect, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from lms import database
from lms.accounts.models import User, UserSession
from lms.clock import utcnow
from lms.extensions import db, login_manager

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
    return _over(row.ended_at, row.last_seen_at, row.created_at, now)


def _over(ended_at: datetime | None, last_seen_at: datetime, created_at: datetime, now: datetime) -> bool:
    config = current_app.config
    return (ended_at is not None
            or now - last_seen_at > timedelta(minutes=config["SESSION_IDLE_MINUTES"])
            or now - created_at > timedelta(hours=config["SESSION_MAX_HOURS"]))


# Every request runs this: built once, every column of the user (named as User's attributes) beside the session's.
_sessions, _users = UserSession.__table__, User.__table__
_USER_COLUMNS = {prop.key: prop.columns[0] for prop in inspect(User).column_attrs}
_USER_OF_SESSION = (
    select(*(column.label(key) for key, column in _USER_COLUMNS.items()), _sessions.c.id.label("session_id"),
           _sessions.c.ended_at.label("session_ended_at"), _sessions.c.last_seen_at.label("session_last_seen_at"),
           _sessions.c.created_at.label("session_created_at"))
    .select_from(_sessions).join(_users, _users.c.id == _sessions.c.user_id)
    .where(_sessions.c.id == bindparam("digest")))
_NOBODY = object()
#: Endpoints whose view looks the session up itself, in its own first statement (`signed_in_with`).
LOOKED_UP_BY_VIEW: set[str] = set()


def signed_in() -> Row | None:
    """The user this request's browser is signed in as, as a row of every users column (id, full_name,
    role...), or None; looked up once per request, by whatever asks first (the before-request hook does).

    Flask-Login's session protection runs first, as for `current_user`.
    """
    found = g.get("_signed_in", _NOBODY)
    if found is _NOBODY:
        signed_in_with(_USER_OF_SESSION, {})
        found = g._signed_in
    return found


def with_session(extend: Callable[[Select], Select]) -> Select:
    """A statement for `signed_in_with`: the session's look-up that `extend` adds columns and outer joins to
    (joined on `users.id`, so only the signed-in user's rows), built once by the caller."""
    return extend(_USER_OF_SESSION)


def signed_in_with(statement: Select, params: dict) -> list[Row]:
    """`signed_in`, looked up in one round trip with the caller's rows (`statement` from `with_session`,
    `params` its values): every row of it if the session is live (the first is then `signed_in`), else []."""
    rows = _look_up(statement, params)
    g._signed_in = rows[0] if rows else None
    return rows


def signed_in_so_far() -> Row | None:
    """The row `signed_in` found, if this request looked it up already (never looks it up)."""
    return g.get("_signed_in")


def _look_up(statement: Select, params: dict) -> list[Row]:
    # Flask-Login's rule ("basic": the session is marked not fresh; "strong": it is emptied and refused).
    if login_manager._session_protection_failed():  # noqa: SLF001 - the one check current_user also makes
        return []
    user_id, _, token = str(session.get("_user_id") or "").partition(":")
    raw = session.get(SID)
    if not user_id.isdigit() or not token or not raw or not isinstance(raw, str):
        return []
    rows = database.read(statement, {**params, "digest": _digest(raw)})
    return rows if rows and _live(rows[0], int(user_id), token, utcnow()) else []


def _live(row: Row, user_id: int, token: str, now: datetime) -> bool:
    """Whether the session row belongs to the cookie's user and session token and is live; ends it if it
    has expired, and notes it was seen (at most once a minute)."""
    if row.id != user_id or row.session_token != token or row.deactivated_at is not None:  # User.is_active
        return False
    if _over(row.session_ended_at, row.session_last_seen_at, row.session_created_at, now):
        if row.session_ended_at is None:
            _write(update(UserSession).where(UserSession.id == row.session_id).values(ended_at=now))
        return False
    if now - row.session_last_seen_at >= TOUCH_EVERY:
        _write(update(UserSession).where(UserSession.id == row.session_id).values(last_seen_at=now))
    return True


def as_user(row: Row) -> User:
    """The ORM User of a `signed_in` row, in this request's session, with no query (the one already
    there if the session holds it)."""
    user = db.session.identity_map.get(identity_key(User, row.id))
    if user is None:
        user = User(**{key: getattr(row, key) for key in _USER_COLUMNS})
        make_transient_to_detached(user)  # as if loaded: nothing to write
        db.session.add(user)
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
