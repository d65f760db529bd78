"""Placeholder of the email contract; the email work replaces the body of `deliver`."""

from __future__ import annotations

from lms import jobs


def send(to: str, template: str, key: str, *, essential: bool = True, **context) -> None:
    """Enqueue one message; `essential=False` messages are skipped for people who turned them off."""
    jobs.enqueue("mail.send", key=f"mail:{key}", to=to, template=template, essential=essential,
                 context=context)


def deliver(to: str, template: str, context: dict, attachments: list[tuple[str, str, bytes]] | None = None,
            *, essential: bool = True) -> None:
    """Send one message now; attachments are (file name, MIME type, bytes). Raises if it cannot be sent."""
    raise NotImplementedError("email is not built yet")


@jobs.task("mail.send")
def _send_job(to: str, template: str, context: dict, essential: bool = True) -> None:
    deliver(to, template, context, essential=essential)
