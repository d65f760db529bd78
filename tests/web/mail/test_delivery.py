"""Email through a real SMTP server: delivered by a job, retried when the server is down, files in development."""

from __future__ import annotations

import email
import email.policy
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms import create_app, jobs, mail
from lms.accounts.models import User
from lms.clock import utcnow
from lms.extensions import db
from lms.jobs.models import DONE, FAILED, PENDING, Job
from tests.smtp import SMTPServer, free_port

ISSUED = {"learner_name": "Una Example", "course_title": "Innovation in practice", "code": "7KQ2-M9XD-4TRA-8B",
          "verify_url": "http://127.0.0.1:5000/verify/7KQ2-M9XD-4TRA-8B", "valid_until": "2029-03-12"}


def mail_jobs() -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(select(Job).where(Job.task == "mail.send").order_by(Job.id)))


def parts(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.walk()
            if part.get_content_type() in ("text/plain", "text/html")}


def test_a_message_is_delivered_by_its_job_with_plain_text_and_html(app, smtp_server):
    mail.send("una@example.nhs.uk", "certificate_issued", "issued:1", **ISSUED)
    assert smtp_server.messages == []  # nothing leaves before the commit
    db.session.commit()

    [message] = smtp_server.messages
    assert message["To"] == "una@example.nhs.uk"
    assert message["Subject"] == "Your certificate for Innovation in practice"
    assert "no-reply@example.nhs.uk" in message["From"]
    body = parts(message)
    assert "Dear Una Example" in body["text/plain"] and "Valid until: 12 March 2029" in body["text/plain"]
    assert ISSUED["verify_url"] in body["text/plain"]
    assert "#005eb8" in body["text/html"] and "Innovation learning" in body["text/html"]
    assert f'href="{ISSUED["verify_url"]}"' in body["text/html"]
    assert [job.status for job in mail_jobs()] == [DONE]


def test_the_same_key_sends_once(app, smtp_server):
    for _ in range(2):
        mail.send("una@example.nhs.uk", "certificate_issued", "issued:1", **ISSUED)
        db.session.commit()
    assert len(smtp_server.messages) == 1


def test_an_attachment_arrives_as_a_pdf(app, smtp_server):
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 4
    mail.deliver("una@example.nhs.uk", "certificate_issued", ISSUED,
                 attachments=[("certificate-7KQ2.pdf", "application/pdf", pdf)])
    [message] = smtp_server.messages
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "certificate-7KQ2.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf
    assert set(parts(message)) == {"text/plain", "text/html"}


def test_registration_commits_while_the_mail_server_is_down_and_the_welcome_follows(app, client):
    down = SMTPServer(port=free_port())  # nothing listens there yet
    app.config.update(MAIL_SUPPRESS_SEND=False, MAIL_SERVER=down.host, MAIL_PORT=down.port)
    response = client.post_form("/register", {
        "full_name": "Rita Register", "email": "rita@example.nhs.uk", "password": "correct horse battery",
        "organisation_id": "cnwl", "professional_group": "nurse"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "rita@example.nhs.uk"))
    assert user is not None  # the account is kept although the email could not go

    [job] = [j for j in mail_jobs() if j.payload["template"] == "welcome"]  # the verification link waits too
    assert job.status == PENDING and job.attempts == 1
    assert "MAIL_SERVER and MAIL_PORT" in job.last_error and str(down.port) in job.last_error

    down.start()  # the server comes back; the retry delivers
    try:
        jobs.run_pending(now=utcnow() + timedelta(hours=2))
        [message] = [m for m in down.messages if m["Subject"].startswith("Welcome")]
    finally:
        down.stop()
    assert message["Subject"] == "Welcome to Innovation learning" and "Dear Rita Register" in message.get_body(
        ("plain",)).get_content()
    assert {j.status for j in mail_jobs()} == {DONE}


def test_a_message_the_server_keeps_refusing_ends_failed_with_the_reason(app, smtp_server):
    smtp_server.refuse = "554 5.7.1 Message rejected by policy"
    app.config["JOBS_MAX_ATTEMPTS"] = 2
    mail.send("una@example.nhs.uk", "certificate_issued", "issued:1", **ISSUED)
    db.session.commit()
    jobs.run_pending(now=utcnow() + timedelta(hours=2))
    [job] = mail_jobs()
    assert job.status == FAILED and job.attempts == 2
    assert "refused the message" in job.last_error and "Message rejected by policy" in job.last_error


def test_without_a_mail_server_each_message_is_an_eml_file_and_one_log_line(app, tmp_path, caplog):
    app.config.update(MAIL_SUPPRESS_SEND=False, MAIL_SERVER="", MAIL_FILE_DIR=str(tmp_path / "mail"))
    with caplog.at_level(logging.INFO, logger="lms.mail.services"):
        mail.send("una@example.nhs.uk", "certificate_issued", "issued:1", **ISSUED)
        db.session.commit()
    [path] = list((tmp_path / "mail").glob("*.eml"))
    lines = [r.getMessage() for r in caplog.records if r.name == "lms.mail.services"]
    assert len(lines) == 1 and str(path) in lines[0]
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Your certificate for Innovation in practice"
    assert "7KQ2-M9XD-4TRA-8B" in message.get_body(("plain",)).get_content()
    assert {j.status for j in mail_jobs()} == {DONE}


def test_optional_messages_respect_the_persons_choice_and_essential_ones_always_go(app, smtp_server, make_user):
    quiet = make_user(email="quiet@example.nhs.uk")
    quiet.email_reminders = False
    make_user(email="keen@example.nhs.uk")
    db.session.commit()
    for to in ("quiet@example.nhs.uk", "keen@example.nhs.uk", "no-account@example.nhs.uk"):
        mail.send(to, "certificate_issued", f"optional:{to}", essential=False, **ISSUED)
    mail.send("Quiet@example.nhs.uk", "certificate_issued", "essential:quiet", **ISSUED)
    db.session.commit()
    arrived = sorted(m["To"] for m in smtp_server.messages)
    assert arrived == ["Quiet@example.nhs.uk", "keen@example.nhs.uk", "no-account@example.nhs.uk"]
    assert {job.status for job in mail_jobs()} == {DONE}  # skipped counts as done: nothing to retry


@pytest.mark.parametrize(("settings", "named"), [
    ({"MAIL_PORT": "twenty-five"}, "MAIL_PORT"),
    ({"MAIL_PORT": "70000"}, "MAIL_PORT"),
    ({"MAIL_USE_TLS": "maybe"}, "MAIL_USE_TLS"),
    ({"MAIL_SERVER": "smtp.example.nhs.uk", "MAIL_USE_TLS": "true", "MAIL_USE_SSL": "1"}, "MAIL_USE_SSL"),
    ({"MAIL_SERVER": "smtp.example.nhs.uk", "MAIL_USERNAME": "lms"}, "MAIL_PASSWORD"),
    ({"MAIL_SERVER": "smtp.example.nhs.uk", "MAIL_DEFAULT_SENDER": "nobody"}, "MAIL_DEFAULT_SENDER"),
    ({"MAIL_SERVER": "smtp.example.nhs.uk", "MAIL_REQUIRE_REAL_SENDER": True}, "MAIL_DEFAULT_SENDER"),
])
def test_a_malformed_setting_stops_start_up_with_one_line_naming_it(settings, named):
    with pytest.raises(mail.MailSettingError) as raised:
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", **settings})
    message = str(raised.value)
    assert named in message and "\n" not in message


def test_well_formed_settings_from_the_environment_are_read_as_numbers_and_flags():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "MAIL_SERVER": "smtp.example.nhs.uk",
                      "MAIL_PORT": " 587 ", "MAIL_USE_TLS": "True", "MAIL_USE_SSL": "0",
                      "MAIL_USERNAME": "lms", "MAIL_PASSWORD": "secret"})
    assert (app.config["MAIL_PORT"], app.config["MAIL_USE_TLS"], app.config["MAIL_USE_SSL"]) == (587, True, False)


def test_the_server_refuses_to_start_with_one_line_naming_the_setting(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "MAIL_PORT": "twenty-five", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    result = subprocess.run([sys.executable, "-c", "import wsgi"], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Configuration error: MAIL_PORT must be a port number from 1 to 65535, not 'twenty-five'"]


@pytest.mark.parametrize(("settings", "named"), [
    ({"MAIL_USE_TLS": True}, "check MAIL_USE_TLS"),  # this server offers no STARTTLS
    ({"MAIL_USE_SSL": True}, "check MAIL_USE_SSL"),  # nor SSL on connect
    ({"MAIL_USERNAME": "lms", "MAIL_PASSWORD": "secret"}, "check MAIL_USERNAME and MAIL_PASSWORD"),  # nor AUTH
])
def test_a_setting_the_server_does_not_match_is_named_when_sending(app, smtp_server, settings, named):
    app.config.update(settings)
    with pytest.raises(mail.MailDeliveryError) as raised:
        mail.deliver("una@example.nhs.uk", "certificate_issued", ISSUED)
    assert named in str(raised.value) and f"127.0.0.1:{smtp_server.port}" in str(raised.value)
    assert smtp_server.messages == []
