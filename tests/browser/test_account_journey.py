"""A new member of staff registers, confirms their address, logs out and back in; someone who forgot
their password sets a new one from the emailed link. In a real browser, with axe on every page."""

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select, update

from lms.accounts.models import UserSession
from lms.accounts.services import create_user
from lms.clock import utcnow
from lms.extensions import db
from lms.jobs.models import Job


def emailed_link(app, template: str, to: str) -> str:
    """The link in the newest email of `template` to `to`, read from its outbox row."""
    with app.app_context():
        jobs = db.session.scalars(select(Job).where(Job.task == "mail.send").order_by(Job.id.desc()))
        payload = next(j.payload for j in jobs if j.payload["template"] == template and j.payload["to"] == to)
        return payload["context"]["url"]


def test_register_log_out_and_log_in(page, live_server):
    page.goto("/register")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()

    # A mistake first: the error summary lists it and what was typed survives.
    page.get_by_label("Full name").fill("Siobhán Ó Briain")
    page.get_by_label("Email address").fill("siobhan.obriain@example.nhs.uk")
    page.get_by_label("Create a password").fill("too short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Siobhán Ó Briain")

    page.get_by_label("Create a password").fill("three unrelated words here")
    page.get_by_label("Organisation").select_option(label="Central and North West London NHS Foundation Trust")
    page.get_by_label("Professional group").select_option(label="Allied health professional")
    page.get_by_label("Professional registration body (optional)").select_option(value="HCPC")
    page.get_by_label("Registration number (optional)").fill("OT12345")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Email address").fill("siobhan.obriain@example.nhs.uk")
    page.get_by_label("Password", exact=True).fill("three unrelated words here")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Siobhán Ó Briain").click()
    expect(page.get_by_text("Confirm your email address to receive certificates.")).to_be_visible()

    page.goto(emailed_link(live_server.app, "verify_email", "siobhan.obriain@example.nhs.uk"))
    expect(page.get_by_role("heading", name="Email address confirmed")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("You have logged out.")).to_be_visible()

    page.get_by_label("Email address").fill("Siobhan.OBriain@example.nhs.uk")
    page.get_by_label("Password", exact=True).fill("three unrelated words here")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Siobhán Ó Briain")).to_be_visible()

    page.get_by_role("link", name="Siobhán Ó Briain").click()
    expect(page.get_by_label("Registration number (optional)")).to_have_value("OT12345")


def test_forgotten_password_email_link_new_password_and_log_in(page, live_server):
    with live_server.app.app_context():
        create_user(email="forgetful@example.nhs.uk", full_name="Kwame Mensah", password="first winter lantern",
                    organisation_id="cnwl", professional_group="nurse", verified=True)
        db.session.commit()

    page.goto("/login")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", name="Forgotten your password")).to_be_visible()
    page.get_by_label("Email address").fill("Forgetful@example.nhs.uk")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.goto(emailed_link(live_server.app, "password_reset", "forgetful@example.nhs.uk"))
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    page.get_by_label("New password").fill("password1234")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_text("This is a very common password").first).to_be_visible()
    page.get_by_label("New password").fill("second spring meadow")
    page.get_by_role("button", name="Set password").click()

    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("Your new password is set")).to_be_visible()
    page.get_by_label("Email address").fill("forgetful@example.nhs.uk")
    page.get_by_label("Password", exact=True).fill("second spring meadow")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Kwame Mensah")).to_be_visible()

    # The link is spent: opening it again explains why and offers a new one.
    page.goto(emailed_link(live_server.app, "password_reset", "forgetful@example.nhs.uk"))
    expect(page.get_by_role("heading", name="This link has already been used")).to_be_visible()
    expect(page.get_by_role("link", name="Ask for a new link to set your password")).to_be_visible()


def test_change_email_and_log_out_of_all_devices(page, live_server):
    with live_server.app.app_context():
        create_user(email="mover@example.nhs.uk", full_name="Lena Moreau", password="quiet harbour bicycle",
                    organisation_id="cnwl", professional_group="ahp", verified=True)
        db.session.commit()
    page.goto("/login")
    page.get_by_label("Email address").fill("mover@example.nhs.uk")
    page.get_by_label("Password", exact=True).fill("quiet harbour bicycle")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Lena Moreau").click()
    page.get_by_role("link", name="Change email address").click()

    page.get_by_label("New email address").fill("lena.moreau@example.nhs.uk")
    page.get_by_label("Current password").fill("not the password")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    page.get_by_label("Current password").fill("quiet harbour bicycle")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("We have sent a link to lena.moreau@example.nhs.uk")).to_be_visible()

    page.goto(emailed_link(live_server.app, "verify_email", "lena.moreau@example.nhs.uk"))
    page.get_by_role("button", name="Use this email address").click()
    expect(page.get_by_text("Your email address is now lena.moreau@example.nhs.uk")).to_be_visible()

    page.goto("/profile/kept-text")
    expect(page.get_by_text("There is nothing kept.")).to_be_visible()
    page.goto("/profile")
    page.get_by_role("button", name="Log out of all devices").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/verify-email/not-a-real-link")
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()


def test_a_reflection_typed_as_the_session_ends_survives_logging_in_again(page, live_server):
    app = live_server.app
    with app.app_context():
        create_user(email="slow.typist@example.nhs.uk", full_name="Ngozi Adeyemi", password="kettle on the ward",
                    organisation_id="cnwl", professional_group="doctor", verified=True)
        db.session.commit()
    page.goto("/login")
    page.get_by_label("Email address").fill("slow.typist@example.nhs.uk")
    page.get_by_label("Password", exact=True).fill("kettle on the ward")
    page.get_by_role("button", name="Log in").click()
    page.goto("/courses/innovation-in-practice/")
    page.get_by_role("button", name="Enrol on this course").click()
    lesson = "/courses/innovation-in-practice/understanding-problems/first-ward-improvement-project/"
    page.goto(lesson)
    text = "Falls at night on bay 3: involve the night sister and physio; test a bedside checklist for a week."
    page.get_by_label("Your reflection").fill(text)

    with app.app_context():  # a long think: 31 minutes pass
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
        db.session.commit()
    page.get_by_role("button", name="Save reflection").click()
    expect(page.get_by_text("What you typed has been kept")).to_be_visible()
    page.get_by_label("Email address").fill("slow.typist@example.nhs.uk")
    page.get_by_label("Password", exact=True).fill("kettle on the ward")
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(re.escape(lesson) + "$"))
    expect(page.get_by_text("What you typed is back in the form")).to_be_visible()
    expect(page.get_by_label("Your reflection")).to_have_value(text)
    page.get_by_role("button", name="Save reflection").click()
    expect(page.get_by_text("Your reflection is saved.")).to_be_visible()
    expect(page.get_by_label("Your reflection")).to_have_value(text)
