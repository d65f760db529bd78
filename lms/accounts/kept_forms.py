"""A form posted after its session ended: keep what was typed, put it back after sign-in.

Only the person whose session it was gets it back (on any device, within KEEP_HOURS). Passwords,
CSRF and other tokens are never kept. Pages that can refill their form call `take(endpoint)`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, request, session
from flask_login import current_user
from sqlalchemy import delete, select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from lms.accounts.models import KeptForm
from lms.extensions import db

KEEP_HOURS = 24
MAX_CHARS = 100_000  # more than any of our forms takes; anything bigger is not kept
SECRET_FIELD = re.compile(r"password|csrf|token|secret", re.IGNORECASE)
FLAG = "kept_form"
#: Endpoints whose pages put kept text back into their form (registered by their views).
REFILLED: set[str] = set()


def refilled_by(*endpoints: str) -> None:
    """Declare that the pages of these forms' endpoints call `take` and refill the form."""
    REFILLED.update(endpoints)


def keep(user_id: int, now: datetime) -> KeptForm | None:
    """Store this request's form fields for `user_id` (the caller commits); None if nothing to keep."""
    fields = {name: values for name, values in request.form.to_dict(flat=False).items()
              if not SECRET_FIELD.search(name)}
    if not any(v.strip() for values in fields.values() for v in values):
        return None
    if sum(len(v) for values in fields.values() for v in values) > MAX_CHARS:
        return None
    db.session.execute(delete(KeptForm).where(KeptForm.created_at < now - timedelta(hours=KEEP_HOURS)))
    row = KeptForm(user_id=user_id, created_at=now, endpoint=request.endpoint or "", page=page_of_form(),
                   fields=fields)
    db.session.add(row)
    return row


def page_of_form() -> str:
    """The path of the page the form was on: from Referer if it is this site, else the nearest page
    above the form's own address (``/courses/c/m/l/reflections/r`` -> ``/courses/c/m/l/``)."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path[:500]
    adapter = current_app.url_map.bind("localhost")
    path = request.path
    while path not in ("", "/"):
        try:
            adapter.match(path, method="GET")
            return path[:500]
        except RequestRedirect as moved:  # the same page with its trailing slash
            return urlsplit(moved.new_url).path[:500]
        except HTTPException:
            path = path.rstrip("/").rpartition("/")[0]
    return "/"


def newest_for(user_id: int, now: datetime) -> KeptForm | None:
    return db.session.scalar(
        select(KeptForm).where(KeptForm.user_id == user_id,
                               KeptForm.created_at >= now - timedelta(hours=KEEP_HOURS))
        .order_by(KeptForm.id.desc()).limit(1))


def take(endpoint: str) -> dict[str, list[str]] | None:
    """For the signed-in person on the page their form was on: the kept fields posted to `endpoint`.

    Removes them (the caller commits). Costs nothing unless a sign-in has just flagged a kept form.
    """
    if not session.get(FLAG) or not current_user.is_authenticated:
        return None
    rows = list(db.session.scalars(select(KeptForm).where(
        KeptForm.user_id == current_user.id, KeptForm.endpoint == endpoint, KeptForm.page == request.path)
        .order_by(KeptForm.id)))
    if not rows:
        return None
    fields: dict[str, list[str]] = {}
    for row in rows:  # newest last, so it wins
        fields.update(row.fields)
        db.session.delete(row)
    db.session.flush()
    if db.session.scalar(select(KeptForm.id).where(KeptForm.user_id == current_user.id).limit(1)) is None:
        session.pop(FLAG, None)
    return fields


def all_for(user_id: int, now: datetime) -> list[KeptForm]:
    return list(db.session.scalars(select(KeptForm).where(
        KeptForm.user_id == user_id, KeptForm.created_at >= now - timedelta(hours=KEEP_HOURS))
        .order_by(KeptForm.id)))


def discard_all(user_id: int) -> None:
    db.session.execute(delete(KeptForm).where(KeptForm.user_id == user_id))
    session.pop(FLAG, None)
