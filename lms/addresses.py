"""The service's public address, decided in one place (certificates, QR codes, emails).

PUBLIC_BASE_URL when set (production must set it). Otherwise, in development: the address the current
request came to (so `PORT=5101 make run` prints port 5101); in a job, the address captured when the job
was enqueued; with neither, http://127.0.0.1:$PORT (the Makefile's default port 5000).
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_request_context, request

_captured: contextvars.ContextVar[str | None] = contextvars.ContextVar("public_base_url", default=None)


def public_base_url() -> str:
    """e.g. "https://learning.example.nhs.uk" (no trailing slash)."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if _captured.get():
        return _captured.get()
    if has_request_context():
        return request.host_url.rstrip("/")
    return f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"


def for_job() -> str | None:
    """The address to store in a job's payload when it is only known from the request (else None)."""
    return None if current_app.config.get("PUBLIC_BASE_URL") else public_base_url()


@contextmanager
def serving(base_url: str | None) -> Iterator[None]:
    """Inside a job: use the address captured when it was enqueued (when there is one)."""
    token = _captured.set(base_url.rstrip("/") if base_url else None)
    try:
        yield
    finally:
        _captured.reset(token)
