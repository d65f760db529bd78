"""Each message renders in plain text and in the NHS look, in British English, with the facts it must carry."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from lms import mail
from lms.accounts.models import User
from lms.extensions import db
from lms.jobs.models import Job

CERT = {"learner_name": "Una <b>Example</b>", "course_title": "Innovation in practice", "code": "7KQ2-M9XD-4TRA-8B",
        "verify_url": "https://learning.example.nhs.uk/verify/7KQ2-M9XD-4TRA-8B"}


def nhs_look(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en-GB">' in html
    assert "background-color:#005eb8" in html and "Innovation learning" in html  # NHS blue header, service name
    assert "<script" not in html


def test_certificate_issued_with_and_without_an_expiry(app):
    message = mail.render("certificate_issued", {**CERT, "valid_until": "2029-03-12"})
    assert message.subject == "Your certificate for Innovation in practice"
    assert "Dear Una <b>Example</b>," in message.text  # plain text is not HTML-escaped
    assert "Valid until: 12 March 2029" in message.text and CERT["verify_url"] in message.text
    assert "attached" in message.text
    nhs_look(message.html)
    assert "Una &lt;b&gt;Example&lt;/b&gt;" in message.html  # a name is text, never markup
    assert f'href="{CERT["verify_url"]}"' in message.html and "12 March 2029" in message.html

    unlimited = mail.render("certificate_issued", {**CERT, "valid_until": None})
    assert "Valid until" not in unlimited.text and "Valid until" not in unlimited.html


def test_certificate_revoked_gives_the_reason(app):
    message = mail.render("certificate_revoked", {**CERT, "reason": "Completed on another learner's account."})
    assert message.subject == "Your certificate for Innovation in practice has been revoked"
    assert "Completed on another learner's account." in message.text and CERT["code"] in message.text
    nhs_look(message.html)
    assert "Completed on another learner&#39;s account." in message.html


def test_certificate_reinstated_gives_the_reason_and_the_verify_link(app):
    message = mail.render("certificate_reinstated", {**CERT, "reason": "Revoked by mistake."})
    assert message.subject == "Your certificate for Innovation in practice has been reinstated"
    assert "Revoked by mistake." in message.text and CERT["verify_url"] in message.text
    nhs_look(message.html)
    assert f'href="{CERT["verify_url"]}"' in message.html


def test_welcome(app):
    message = mail.render("welcome", {"learner_name": "Rita Register"})
    assert message.subject == "Welcome to Innovation learning"
    assert "Dear Rita Register," in message.text and "http://127.0.0.1:5000/profile" in message.text
    nhs_look(message.html)


def test_every_template_has_both_parts_and_no_american_spelling(app):
    folder = Path(app.jinja_loader.searchpath[0]) / "mail"
    names = {p.stem for p in folder.iterdir() if not p.name.startswith("_")}
    assert {"certificate_issued", "certificate_revoked", "certificate_reinstated", "welcome", "partner_digest",
            "expiry_reminder"} <= names
    for name in names:
        for ext in ("txt", "html"):
            text = (folder / f"{name}.{ext}").read_text(encoding="utf-8").lower()
            assert not re.search(r"\b(color(?!:)|organization|enroll|center|license)\b", text), name


def test_registering_enqueues_one_welcome(client, smtp_server):
    response = client.post_form("/register", {
        "full_name": "Rita Register", "email": "Rita@Example.nhs.uk", "password": "correct horse battery",
        "organisation_id": "cnwl", "professional_group": "nurse"})
    assert response.status_code == 302
    jobs_sent = db.session.scalars(select(Job).where(Job.task == "mail.send")).all()
    assert sorted(j.payload["template"] for j in jobs_sent) == ["verify_email", "welcome"]  # welcome once
    [job] = [j for j in jobs_sent if j.payload["template"] == "welcome"]
    assert job.payload["essential"] is True
    [message] = [m for m in smtp_server.messages if m["Subject"].startswith("Welcome")]
    assert message["To"] == "rita@example.nhs.uk" and message["Subject"] == "Welcome to Innovation learning"


def test_people_created_by_admins_or_fixtures_get_no_welcome(make_user):
    make_user()
    assert db.session.scalar(select(Job).where(Job.task == "mail.send")) is None


def test_the_profile_turns_optional_emails_off_and_on(client, make_user, login):
    user = make_user()
    login(user)
    html = client.get("/profile").get_data(as_text=True)
    assert re.search(r'id="email_reminders"[^>]*checked', html) and "Certificate expiry reminders" in html
    fields = {"full_name": user.full_name, "organisation_id": "cnwl", "professional_group": "nurse"}
    assert client.post_form("/profile", fields).status_code == 302  # an unticked box is not sent at all
    assert db.session.get(User, user.id).email_reminders is False
    assert not re.search(r'id="email_reminders"[^>]*checked', client.get("/profile").get_data(as_text=True))
    client.post_form("/profile", {**fields, "email_reminders": "y"})
    db.session.expire_all()
    assert db.session.get(User, user.id).email_reminders is True


def test_a_message_missing_a_fact_fails_instead_of_sending_a_gap(app, smtp_server):
    mail.send("una@example.nhs.uk", "certificate_revoked", "revoked:1", learner_name="Una",
              course_title="Innovation in practice", code="7KQ2")  # no reason
    db.session.commit()
    job = db.session.scalar(select(Job).where(Job.task == "mail.send"))
    assert job.status == "pending" and "'reason' is undefined" in job.last_error
    assert smtp_server.messages == []


def test_valid_until_may_be_an_iso_date_a_written_date_or_a_utc_time(app):
    from datetime import datetime

    for given in ("2029-03-12", "12 March 2029"):
        assert "Valid until: 12 March 2029" in mail.render("certificate_issued", {**CERT, "valid_until": given}).text
    summer = mail.render("certificate_issued", {**CERT, "valid_until": datetime(2029, 6, 30, 23, 30)}).text
    assert "Valid until: 1 July 2029" in summer  # the London date of a stored UTC time
