"""Render, enqueue and deliver email. Every message goes out through a job (`mail.send`), never in a request.

Where a message goes is decided per send from the configuration:
- `MAIL_SUPPRESS_SEND` (tests): rendered and announced on Flask-Mail's `email_dispatched` signal, not sent;
- `MAIL_SERVER` set: SMTP with the MAIL_* settings (Flask-Mail); a refusal raises, so the job retries;
- otherwise (development): written as an `.eml` file under `MAIL_FILE_DIR`, with one log line giving its path.

Preferences: a message sent with `essential=False` is skipped when the account with that email address has
turned off optional emails (`User.email_reminders`). The lookup happens when the job runs, so a change of
mind between enqueue and delivery is respected; an address with no account always gets the message.
"""

from __future__ import annotations

import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import flask_mail
from flask import current_app
from jinja2 import StrictUndefined
from sqlalchemy import select

from lms import addresses, jobs
from lms.clock import utcnow

log = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")


def send(to: str, template: str, key: str, *, essential: bool = True, **context) -> None:
    """Enqueue one message in the current transaction (sent after it commits; same key -> sent once).

    `context` must be JSON-able (dates as ISO strings). `essential=False` messages are skipped for
    people who turned optional emails off.
    """
    jobs.enqueue("mail.send", key=f"mail:{key}", to=to, template=template, essential=essential,
                 context=context)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(template: str, context: dict) -> Rendered:
    """The message from `templates/mail/<template>.txt` (first line: the subject) and `.html`."""
    env = _mail_jinja()
    base = {"service_name": current_app.config["SERVICE_NAME"], "base_url": public_base_url(), **context}
    text = env.get_template(f"mail/{template}.txt").render(base).strip("\n")
    subject, _, body = text.partition("\n")
    subject = subject.strip()
    html = env.get_template(f"mail/{template}.html").render({**base, "subject": subject})
    return Rendered(subject=subject, text=body.strip("\n") + "\n", html=html)


def _mail_jinja():
    """The app's templates with strict variables: a message missing a fact fails (and retries), never says 'Dear ,'."""
    env = current_app.extensions.get("mail_jinja")
    if env is None:
        env = current_app.extensions["mail_jinja"] = current_app.jinja_env.overlay(undefined=StrictUndefined,
                                                                                   cache_size=100)
    return env


def public_base_url() -> str:
    return addresses.public_base_url()


def public_url(path: str) -> str:
    """An absolute link for an email: the service's public address and `path` (starting with /)."""
    return public_base_url() + path


def wants_optional_email(address: str) -> bool:
    """False only when the account with this address has turned optional emails off."""
    from lms.accounts.models import User  # mail sits below accounts' services, which enqueue mail
    from lms.extensions import db

    choice = db.session.scalar(select(User.email_reminders).where(User.email == address.strip().lower()))
    return choice is not False


def deliver(to: str, template: str, context: dict, attachments: list[tuple[str, str, bytes]] | None = None,
            *, essential: bool = True) -> bool:
    """Send one message now; attachments are (file name, MIME type, bytes).

    Returns False when it was skipped (an optional message to someone who turned them off), True when
    sent. Raises if it cannot be sent (SMTP refused or unreachable, file not writable), so a job retries.
    """
    if not essential and not wants_optional_email(to):
        log.info("email %s to user who turned optional emails off: skipped", template)
        return False
    rendered = render(template, context)
    config = current_app.config
    message = flask_mail.Message(subject=rendered.subject, recipients=[to], body=rendered.text,
                                 html=rendered.html, sender=config["MAIL_DEFAULT_SENDER"])
    for filename, mimetype, data in attachments or []:
        message.attach(filename, mimetype, data)
    if not config.get("MAIL_SUPPRESS_SEND") and not config.get("MAIL_SERVER"):
        path = _write_eml(message, template)
        log.info("email %r to %s written to %s", rendered.subject, to, path)
        return True
    # Read per send (cheap), so settings changed after start-up (tests' SMTP server) are used.
    state = current_app.extensions["mail"] = flask_mail.Mail().init_mail(config, current_app.debug,
                                                                          current_app.testing)
    connection = _Connection(state, timeout=config.get("MAIL_TIMEOUT", 30))
    try:
        with connection:
            connection.stage = "send"
            message.send(connection)
    except (smtplib.SMTPException, OSError) as error:
        raise MailDeliveryError(_explain(error, connection.stage, config)) from error
    log.info("email %s sent by SMTP", template)  # no address: logs carry no personal data
    return True


class MailDeliveryError(RuntimeError):
    """The mail server could not take a message; the text names the setting to check."""


#: What to check when the SMTP conversation fails at each stage.
_CHECK = {
    "connect": "cannot reach the mail server {where}: check MAIL_SERVER and MAIL_PORT",
    "ssl": "the mail server {where} did not start SSL: check MAIL_USE_SSL and MAIL_PORT",
    "starttls": "the mail server {where} did not start TLS: check MAIL_USE_TLS and MAIL_PORT",
    "login": "the mail server {where} refused the login: check MAIL_USERNAME and MAIL_PASSWORD",
}


def _explain(error: Exception, stage: str, config) -> str:
    """One line: what failed and which MAIL_* setting to check, with the server's own words."""
    where = f"{config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    if stage in _CHECK:
        return f"{_CHECK[stage].format(where=where)} ({error})"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return f"the mail server {where} refused the sender: check MAIL_DEFAULT_SENDER ({error})"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return f"the mail server {where} refused the recipient ({error})"
    return f"the mail server {where} refused the message ({error})"


class _Connection(flask_mail.Connection):
    """Flask-Mail's connection with a time limit (a silent server cannot hold a worker for ever) that
    remembers the stage it reached, so a failure names the setting to check."""

    def __init__(self, mail, timeout: float):
        super().__init__(mail)
        self.timeout = timeout
        self.stage = "connect"

    def configure_host(self):
        mail = self.mail
        self.stage = "ssl" if mail.use_ssl else "connect"
        smtp = _SMTPSSL if mail.use_ssl else smtplib.SMTP
        host = smtp(mail.server, mail.port, timeout=self.timeout)
        try:
            if mail.use_tls:
                self.stage = "starttls"
                host.starttls()
            if mail.username and mail.password:
                self.stage = "login"
                host.login(mail.username, mail.password)
        except BaseException:
            host.close()  # the connection is of no use; leave no socket open
            raise
        self.stage = "connected"
        return host


class _SMTPSSL(smtplib.SMTP_SSL):
    """SMTP over SSL that closes its socket when the SSL handshake fails (the standard library leaves it open)."""

    def _get_socket(self, host, port, timeout):
        raw = smtplib.SMTP._get_socket(self, host, port, timeout)
        try:
            return self.context.wrap_socket(raw, server_hostname=self._host)
        except BaseException:
            raw.close()
            raise


def _write_eml(message: flask_mail.Message, template: str) -> Path:
    folder = Path(current_app.config["MAIL_FILE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    safe = re.sub(r"[^a-z0-9]+", "-", message.recipients[0].lower()).strip("-")[:60]
    path = folder / f"{stamp}-{template}-{safe}.eml"
    message.date = message.date or utcnow().timestamp()
    path.write_bytes(message.as_bytes())
    return path


@jobs.task("mail.send")
def _send_job(to: str, template: str, context: dict, essential: bool = True) -> None:
    deliver(to, template, context, essential=essential)


def mail_date(value) -> str:
    """'12 March 2026' from a date, an ISO date string (a London date already) or a naive-UTC datetime (shown as
    its London date); text that is already a written date is kept as it is; '' for None."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value  # e.g. "12 March 2026", formatted by the sender
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC).astimezone(LONDON).date()
    return f"{value.day} {value:%B %Y}"


def init_app(app) -> None:
    """Check the MAIL_* settings (one clear error naming a malformed one) and add the email date filter."""
    from lms.mail.settings import check_mail_settings

    check_mail_settings(app.config)
    flask_mail.Mail().init_app(app)
    app.jinja_env.filters["mail_date"] = mail_date
