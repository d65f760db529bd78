"""Personal pages and downloads are never kept by browsers or proxies (a shared ward PC, a Back button)."""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask_login import AnonymousUserMixin
from werkzeug.local import LocalProxy

from lms.accounts import sessions

NO_STORE = "private, no-store"
#: Endpoints whose responses are the same for everyone (files of the site itself).
SHARED_ENDPOINTS = {"static", "nhsuk_file"}


def init_app(app: Flask) -> None:
    @app.after_request
    def no_store_when_personal(response: Response) -> Response:
        if request.endpoint in SHARED_ENDPOINTS or "Cache-Control" in response.headers:
            return response
        # Only a user the request already loaded (never loading one here, after the view): the signed-in row,
        # or what Flask-Login holds, which may be the current_user proxy itself (login_user(current_user)),
        # which only a signed-in request holds.
        user = g.get("_login_user")
        if (sessions.signed_in_so_far() is not None or isinstance(user, LocalProxy)
                or (user is not None and not isinstance(user, AnonymousUserMixin))):
            response.headers["Cache-Control"] = NO_STORE
        return response
