"""A real SMTP server (aiosmtpd) on a free port, and the `smtp_server` fixture that points the app at it."""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Collect:
    def __init__(self, server: SMTPServer):
        self.server = server

    async def handle_DATA(self, _server, _session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.server.refuse:
            return self.server.refuse
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        self.server.messages.append(message)
        self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@dataclass
class SMTPServer:
    """What arrived: `messages` (parsed email.message.EmailMessage), `envelopes` (sender, recipients)."""

    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    #: An SMTP reply (e.g. "554 ...") to refuse every message with, as a strict server would.
    refuse: str | None = None
    _controller: Controller | None = None

    def start(self) -> None:
        # A generous start-up wait: the CI machine has two cores shared by everything.
        self._controller = Controller(_Collect(self), hostname=self.host, port=self.port, ready_timeout=30)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]


@pytest.fixture
def smtp_server(app):
    """A running SMTP server; the app sends to it (MAIL_SERVER/MAIL_PORT), not to files or nowhere."""
    server = SMTPServer()
    server.start()
    app.config.update(MAIL_SUPPRESS_SEND=False, MAIL_SERVER=server.host, MAIL_PORT=server.port,
                      MAIL_USE_TLS=False, MAIL_USE_SSL=False)
    try:
        yield server
    finally:
        server.stop()
