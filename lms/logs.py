"""Logging: a request id on every request, one log line per request, JSON in production.

Each request gets an id: the incoming ``X-Request-ID`` when a proxy sent a sane one, else a new
one. It is sent back in the ``X-Request-ID`` response header and carried by every log record
made during the request. `LOG_FORMAT` picks the output: "json" (production: one JSON object per
line, for the log collector) or "text" (development: readable lines). Tests leave logging to pytest.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import TextIO

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

from lms.accounts import sessions

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's id may look like: short, printable, no spaces (it goes into headers and logs).
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,127}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"

request_log = logging.getLogger("lms.requests")


def init_app(app: Flask) -> None:
    """Give requests an id and log each one; set up the log output unless testing."""
    if not app.testing:
        configure(app.config.get("LOG_FORMAT", "text"), app.config.get("LOG_LEVEL", "INFO"))

    @app.before_request
    def start_request() -> None:
        g.request_started = time.perf_counter()
        g.request_id = incoming_request_id() or uuid.uuid4().hex

    @app.after_request
    def finish_request(response):
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        # The route pattern, not the path: paths can hold certificate codes and tokens.
        route = request.url_rule.rule if request.url_rule else None
        user_id = _user_id()
        request_log.info(
            "%s %s %s in %s ms",
            request.method, route or "(no route)", response.status_code, duration_ms,
            extra={"method": request.method, "route": route, "status": response.status_code,
                   "duration_ms": duration_ms, "user_id": user_id},
        )
        return response


def _user_id() -> int | None:
    """The logged-in user's id, from the session's identity key: after the view's commit the user is
    expired, and reading `id` or `is_authenticated` would load them again (a query per request).
    A request that never made the ORM user (a cached page) logs the id of the row it signed in with."""
    state = sa.inspect(g.get("_login_user"), raiseerr=False)  # None for the anonymous user
    if state is not None and state.identity:
        return state.identity[0]
    row = sessions.signed_in_so_far()
    return row.id if row is not None and "_login_user" not in g else None


def incoming_request_id() -> str | None:
    """The proxy's ``X-Request-ID`` if it is sane (short, printable, no spaces), else None."""
    value = request.headers.get(REQUEST_ID_HEADER, "")
    return value if SANE_REQUEST_ID.fullmatch(value) else None


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: the current request's, or `outside` outside a request."""

    def __init__(self, outside: str | None = None) -> None:
        super().__init__()
        self.outside = outside

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = (g.get("request_id") if has_request_context() else None) or self.outside
        return True


def configure(fmt: str = "text", level: str | int = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Send the root logger's records to `stream` (stderr) as JSON lines or text; returns the handler.

    Calling it again replaces the handler it installed before (create_app may run more than once).
    Raises ValueError for a `fmt` other than "json" or "text".
    """
    if fmt not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT must be 'json' or 'text', not {fmt!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter(None if fmt == "json" else "-"))
    if fmt == "json":
        handler.setFormatter(JsonFormatter(
            JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger"}, timestamp="time",
        ))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler._lms_handler = True  # noqa: SLF001 - marks the one handler this module owns
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_lms_handler", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per drawing step
    return handler
