"""Response headers that every page carries; the session cookie checked and the CSRF token signed once per
process, not on every request."""

from __future__ import annotations

import time
from collections import OrderedDict

from flask import Flask, Request, Response, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.utils import cached_property

# No inline scripts or styles; fonts may come from the NHS's own font service.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' https://assets.nhs.uk",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

# Lower-cased, to see in one pass which a response already has.
_SECURITY_HEADERS = [(name.lower(), name, value) for name, value in SECURITY_HEADERS.items()]


def allow_framing(origins: list[str], form_targets: list[str] | None = None) -> None:
    """Let these origins frame this response (an LTI platform's page) and its forms post to
    `form_targets`; every other response keeps frame-ancestors 'none'. Its session cookie becomes
    SameSite=None (when cookies are Secure), which a browser needs to send it inside a frame."""
    g.frame_ancestors = list(origins)
    g.form_targets = list(form_targets or [])


def policy_for(frame_ancestors: list[str], form_targets: list[str]) -> str:
    policy = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors " + " ".join(frame_ancestors))
    if form_targets:
        policy = policy.replace("form-action 'self'", "form-action 'self' " + " ".join(form_targets))
    return policy


# Session cookies already checked, keyed by (serializer keys, cookie): (signed at, Unix seconds; values).
_OPENED: OrderedDict[tuple, tuple[int, dict]] = OrderedDict()
_OPENED_SIZE = 10_000


class FramableSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, SameSite=None on responses `allow_framing` marked; its serializer is
    made once per secret key (Flask makes one for every request)."""

    _serializer: tuple = (None, None)  # (the keys it was made for, serializer)

    def open_session(self, app: Flask, request: Request):
        """Flask's session from the cookie, whose signature is checked and payload decoded once per
        process: a cookie seen before (same keys, same bytes) gives the values it gave then, while its
        signature's age is still within the session lifetime."""
        cookie = request.cookies.get(self.get_cookie_name(app))
        serializer = self.get_signing_serializer(app)
        if not cookie or serializer is None:
            return super().open_session(app, request)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (self._serializer[0], cookie)
        opened = _OPENED.get(key)
        if opened is None:
            try:
                values, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return self.session_class()
            opened = (int(signed_at.timestamp()), values)
            # Only plain values: the session is a copy, and a list inside it would be shared between requests.
            if all(isinstance(value, str | int | bool | None) for value in values.values()):
                _OPENED[key] = opened
                while len(_OPENED) > _OPENED_SIZE:
                    _OPENED.popitem(last=False)
        if int(time.time()) - opened[0] > max_age:
            return self.session_class()  # expired since it was first opened, as loads() would find
        return self.session_class(opened[1])

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        made_for, serializer = self._serializer  # one read: another thread may replace it meanwhile
        if made_for != keys:
            serializer = super().get_signing_serializer(app)
            self._serializer = (keys, serializer)
        return serializer

    def get_cookie_samesite(self, app: Flask) -> str | None:
        if app.config.get("SESSION_COOKIE_SECURE") and g.get("frame_ancestors"):
            return "None"
        return super().get_cookie_samesite(app)


# Each session's CSRF token as generate_csrf() signs it, keyed by (secret, the session's token): a token
# signed once stays good while WTF_CSRF_TIME_LIMIT is None (no expiry), so it is signed once per process.
_SIGNED_TOKENS: OrderedDict[tuple, str] = OrderedDict()
_SIGNED_TOKENS_SIZE = 10_000


def csrf_token() -> str:
    """The signed CSRF token for this session's forms: what flask_wtf's generate_csrf() gives (and is
    checked the same way), remembered per session token instead of signed again on every request."""
    config = current_app.config
    raw = session.get("csrf_token")
    if (not isinstance(raw, str) or config.get("WTF_CSRF_TIME_LIMIT") is not None
            or config.get("WTF_CSRF_FIELD_NAME", "csrf_token") != "csrf_token"):
        return generate_csrf()
    key = (config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, raw)
    token = _SIGNED_TOKENS.get(key)
    if token is None:
        token = _SIGNED_TOKENS[key] = generate_csrf()
        while len(_SIGNED_TOKENS) > _SIGNED_TOKENS_SIZE:
            _SIGNED_TOKENS.popitem(last=False)
    return token


def without_nul(values: MultiDict) -> MultiDict:
    """`values` with NUL characters taken out of every value (the same object when there are none)."""
    if not any("\x00" in value for value in values.values()):
        return values
    return ImmutableMultiDict([(key, value.replace("\x00", "")) for key, value in values.items(multi=True)])


class CleanRequest(Request):
    """Form fields and query values without NUL: nobody types one, and PostgreSQL refuses it in text,
    which would turn a learner's note or a search into a server error and lose what was typed."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = without_nul(self.__dict__["form"])

    @cached_property
    def args(self) -> MultiDict:
        return without_nul(super().args)


def init_app(app: Flask) -> None:
    app.request_class = CleanRequest
    app.session_interface = FramableSessionInterface()

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        # A response with a policy of its own (course assets: sandboxed) keeps it, and stays unframable.
        present = {name.lower() for name, _value in response.headers}
        framed_by = g.get("frame_ancestors") if "content-security-policy" not in present else None
        if framed_by:
            response.headers["Content-Security-Policy"] = policy_for(framed_by, g.get("form_targets") or [])
            present.add("content-security-policy")
        response.headers.extend([(name, value) for lower, name, value in _SECURITY_HEADERS
                                 if lower not in present and not (framed_by and lower == "x-frame-options")])
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
