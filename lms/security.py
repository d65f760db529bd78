"""Response headers that every page carries."""

from __future__ import annotations

from flask import Flask, Request, Response, g
from flask.sessions import SecureCookieSessionInterface
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


class FramableSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, SameSite=None on responses `allow_framing` marked."""

    def get_cookie_samesite(self, app: Flask) -> str | None:
        if app.config.get("SESSION_COOKIE_SECURE") and g.get("frame_ancestors"):
            return "None"
        return super().get_cookie_samesite(app)


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
        framed_by = g.get("frame_ancestors") if response.headers.get("Content-Security-Policy") is None else None
        if framed_by:
            response.headers["Content-Security-Policy"] = policy_for(framed_by, g.get("form_targets") or [])
        for name, value in SECURITY_HEADERS.items():
            if not (framed_by and name == "X-Frame-Options"):
                response.headers.setdefault(name, value)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
