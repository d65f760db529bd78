"""Forgotten passwords, email verification and changing the address; no page or email tells a
stranger whether an address has an account."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from lms.accounts import recovery, services, throttle
from lms.accounts.models import User, UserSession
from lms.audit import AuditEntry
from lms.clock import utcnow
from lms.extensions import db
from tests.web.accounts.helpers import link_path, mails

RIGHT = "correct horse battery"
NEW = "lighthouse pebble orchard"
REGISTRATION = {"full_name": "Ada Okafor", "password": "moss kettle harbour lantern", "organisation_id": "cnwl",
                "professional_group": "nurse", "registration_body": "", "registration_number": ""}
TOKEN = re.compile(r'name="csrf_token"[^>]*value="[^"]+"|csrf_token" type="hidden" value="[^"]+"')


def without_tokens(html: str) -> str:
    return TOKEN.sub("", html)


def ask_for_reset(client, email):
    response = client.post_form("/forgot-password", {"email": email})
    assert response.status_code == 302 and response.headers["Location"] == "/forgot-password/sent"
    return client.get("/forgot-password/sent")


# --- registration without enumeration -----------------------------------------------------------


def test_registering_a_taken_address_looks_exactly_like_a_new_one(app, make_user):
    owner = make_user(email="taken@example.nhs.uk", full_name="Tom Owner")
    answers = []
    for email in ("taken@example.nhs.uk", "Fresh@example.nhs.uk"):
        browser = app.test_client()
        posted = browser.post_form("/register", {**REGISTRATION, "email": email.replace("Fresh", "fresh")})
        page = browser.get(posted.headers["Location"])
        answers.append((posted.status_code, posted.headers["Location"], page.status_code,
                        without_tokens(page.get_data(as_text=True)).replace(email.lower(), "EMAIL")))
    assert answers[0] == answers[1]
    # Only the owner of the taken address learns about it, by email; their account is untouched.
    told = mails("account_exists")
    assert [m["to"] for m in told] == ["taken@example.nhs.uk"]
    assert "/forgot-password" in told[0]["context"]["reset_url"]
    assert db.session.get(User, owner.id).full_name == "Tom Owner"
    assert [m["to"] for m in mails("verify_email")] == ["fresh@example.nhs.uk"]
    assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_a_guessable_password_is_refused_with_the_reason_and_a_suggestion(client):
    for password in ("aaaaaaaaaaaa", "password1234", "adaokafor123"):
        response = client.post_form("/register", {**REGISTRATION, "email": "ada@example.nhs.uk", "password": password})
        html = response.get_data(as_text=True)
        assert response.status_code == 200, password
        assert "Choose a password that is harder to guess" in html
        assert "passphrase" in html
    assert "This is a very common password" in client.post_form(
        "/register", {**REGISTRATION, "email": "ada@example.nhs.uk", "password": "password1234"}).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_the_persons_own_email_and_name_count_as_guessable(app):
    services.check_password("moss kettle harbour lantern", "ada@example.nhs.uk", "Ada Okafor")
    for weak in ("ada.okafor.2024", "adaokafor@nhs"):
        try:
            services.check_password(weak, "ada.okafor@example.nhs.uk", "Ada Okafor")
        except services.WeakPassword:
            continue
        raise AssertionError(f"{weak} was accepted")


# --- verification --------------------------------------------------------------------------------


def test_the_verification_link_confirms_the_address_and_certificates_may_then_be_issued(app, client):
    client.post_form("/register", {**REGISTRATION, "email": "ada@example.nhs.uk"})
    user = db.session.scalar(select(User))
    assert not services.may_receive_certificates(user)
    client.post_form("/login", {"email": "ada@example.nhs.uk", "password": REGISTRATION["password"]})
    assert services.UNVERIFIED_MESSAGE in client.get("/profile").get_data(as_text=True)

    url = mails("verify_email")[0]["context"]["url"]
    assert url.startswith("http://localhost/")  # the address the registration came to
    page = client.get(link_path(url))
    assert page.status_code == 200 and "Email address confirmed" in page.get_data(as_text=True)
    db.session.refresh(user)
    assert services.may_receive_certificates(user)
    assert services.UNVERIFIED_MESSAGE not in client.get("/profile").get_data(as_text=True)


def test_a_new_verification_link_from_the_profile(app, client):
    client.post_form("/register", {**REGISTRATION, "email": "ada@example.nhs.uk"})
    client.post_form("/login", {"email": "ada@example.nhs.uk", "password": REGISTRATION["password"]})
    client.post_form("/profile/verify-email")
    assert len(mails("verify_email", to="ada@example.nhs.uk")) == 2


def test_an_expired_or_tampered_verification_link_gets_a_clear_page(app, client, make_user):
    user = make_user(verified=False)
    old = recovery.verify_url(user, utcnow() - timedelta(hours=73))
    page = client.get(link_path(old))
    assert page.status_code == 400 and "This link has expired" in page.get_data(as_text=True)
    assert "Send a new link" in page.get_data(as_text=True)
    good = link_path(recovery.verify_url(user, utcnow()))
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    assert "This link does not work" in client.get(tampered).get_data(as_text=True)
    db.session.refresh(user)
    assert user.email_verified_at is None


# --- forgotten password ------------------------------------------------------------------------


def test_forgotten_password_gives_no_hint_whether_the_address_exists(app, make_user):
    make_user(email="known@example.nhs.uk")
    pages = []
    for email in ("known@example.nhs.uk", "unknown@example.nhs.uk"):
        page = ask_for_reset(app.test_client(), email)
        pages.append(without_tokens(page.get_data(as_text=True)).replace(email, "EMAIL"))
    assert pages[0] == pages[1]
    assert [m["to"] for m in mails("password_reset")] == ["known@example.nhs.uk"]


def test_the_login_page_links_to_forgotten_password(client):
    assert 'href="/forgot-password">Forgotten your password?' in client.get("/login").get_data(as_text=True)


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(app, client, make_user, login):
    user = make_user()
    login(user)
    other = app.test_client()
    ask_for_reset(other, user.email)
    url = link_path(mails("password_reset")[0]["context"]["url"])
    assert other.get(url).status_code == 200
    response = other.post_form(url, {"new_password": NEW})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/profile").status_code == 302  # the session elsewhere has ended
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.ended_at.is_(None))) == 0
    assert other.post_form("/login", {"email": user.email, "password": RIGHT}).status_code == 200
    assert other.post_form("/login", {"email": user.email, "password": NEW}).status_code == 302
    other.post_form("/logout")
    again = other.get(url)
    assert again.status_code == 400 and "This link has already been used" in again.get_data(as_text=True)
    assert 'href="/forgot-password"' in again.get_data(as_text=True)
    assert "This link has already been used" in other.post_form(url, {"new_password": "another fine phrase here"}
                                                                ).get_data(as_text=True)


def test_a_newer_link_replaces_the_older_one(app, client, make_user):
    user = make_user()
    ask_for_reset(client, user.email)
    ask_for_reset(client, user.email)
    first, second = (link_path(m["context"]["url"]) for m in mails("password_reset"))
    assert "This link has already been used" in client.get(first).get_data(as_text=True)
    assert client.post_form(second, {"new_password": NEW}).status_code == 302


def test_a_reset_link_expires_after_an_hour(app, client, make_user):
    user = make_user()
    expired = recovery.reset_url(user, utcnow() - timedelta(minutes=61))
    db.session.commit()
    page = client.get(link_path(expired))
    assert page.status_code == 400 and "This link has expired" in page.get_data(as_text=True)
    fresh = recovery.reset_url(user, utcnow() - timedelta(minutes=59))
    db.session.commit()
    assert client.get(link_path(fresh)).status_code == 200


def test_a_tampered_reset_link_is_refused(app, client, make_user):
    user = make_user()
    url = link_path(recovery.reset_url(user, utcnow()))
    db.session.commit()
    token = url.rsplit("/", 1)[1]
    payload, signature = token.split(".")
    forged_id = url.replace(payload, payload[:-2] + ("xy" if not payload.endswith("xy") else "zz"))
    assert "This link does not work" in client.get(forged_id).get_data(as_text=True)
    assert client.get("/reset-password/nonsense").status_code == 400


def test_an_invitation_link_lasts_a_week(app, make_user):
    user = make_user()
    url = recovery.reset_url(user, utcnow() - timedelta(hours=167), hours=168)
    token = url.rsplit("/", 1)[1]
    assert recovery.check_reset(token, utcnow()) == user


def test_the_new_password_is_checked_and_the_form_rerenders(app, client, make_user):
    user = make_user()
    ask_for_reset(client, user.email)
    url = link_path(mails("password_reset")[0]["context"]["url"])
    response = client.post_form(url, {"new_password": "password1234"})
    assert response.status_code == 200 and "harder to guess" in response.get_data(as_text=True)
    assert client.post_form(url, {"new_password": NEW}).status_code == 302  # the link still works


def test_a_reset_clears_a_lockout(app, client, make_user):
    user = make_user()
    start = utcnow() - timedelta(minutes=12)
    for n in range(10):
        services.attempt_login(user.email, "wrong", "10.0.0.1", start + timedelta(minutes=n))
    db.session.commit()
    assert throttle.is_locked(user.email, utcnow())
    ask_for_reset(client, user.email)
    client.post_form(link_path(mails("password_reset")[0]["context"]["url"]), {"new_password": NEW})
    assert not throttle.is_locked(user.email, utcnow())
    assert client.post_form("/login", {"email": user.email, "password": NEW}).status_code == 302


def test_reset_requests_for_one_address_are_limited(app, client, make_user):
    user = make_user()
    for _ in range(7):
        ask_for_reset(client, user.email)
    assert len(mails("password_reset")) == 5


def test_the_admin_command_prints_a_one_time_link_and_is_audited(app, runner, client, make_user):
    user = make_user(email="jo@example.nhs.uk")
    result = runner.invoke(args=["users", "reset-password", "JO@example.nhs.uk"])
    assert result.exit_code == 0, result.output
    url = re.search(r"https?://\S+", result.output).group(0)
    assert client.post_form(link_path(url), {"new_password": NEW}).status_code == 302
    assert "already been used" in client.get(link_path(url)).get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.reset_link_created"))
    assert (entry.target_id, entry.via) == (str(user.id), "cli")
    assert runner.invoke(args=["users", "reset-password", "nobody@example.nhs.uk"]).exit_code != 0


# --- changing the email address ---------------------------------------------------------------


def test_changing_the_address_confirms_the_new_one_and_tells_the_old_one(app, client, make_user, login):
    user = make_user(email="old@example.nhs.uk")
    login(user)
    response = client.post_form("/profile/email", {"new_email": "New@example.nhs.uk", "current_password": RIGHT})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == "old@example.nhs.uk"  # nothing changes until the new address answers
    sent = mails("verify_email", to="new@example.nhs.uk")
    assert len(sent) == 1 and sent[0]["context"]["change"] is True
    url = link_path(sent[0]["context"]["url"])
    assert "Confirm your new email address" in client.get(url).get_data(as_text=True)
    db.session.refresh(user)
    assert user.email == "old@example.nhs.uk"  # opening the link (a mail scanner) changes nothing
    assert client.post_form(url).status_code == 302
    db.session.refresh(user)
    assert user.email == "new@example.nhs.uk" and user.email_verified_at is not None
    told = mails("email_changed")
    assert [m["to"] for m in told] == ["old@example.nhs.uk"] and told[0]["context"]["new_email"] == "new@example.nhs.uk"
    assert "already been used" in client.get(url).get_data(as_text=True)


def test_changing_to_a_taken_address_looks_the_same_and_tells_its_owner(app, client, make_user, login):
    make_user(email="taken@example.nhs.uk")
    login(make_user(email="me@example.nhs.uk"))
    response = client.post_form("/profile/email", {"new_email": "taken@example.nhs.uk", "current_password": RIGHT})
    assert response.status_code == 302
    assert [m["to"] for m in mails("account_exists")] == ["taken@example.nhs.uk"]
    assert mails("verify_email") == []


def test_changing_the_address_needs_the_current_password(app, client, make_user, login):
    login(make_user())
    response = client.post_form("/profile/email", {"new_email": "new@example.nhs.uk", "current_password": "nope"})
    assert response.status_code == 200 and "Your current password is not correct" in response.get_data(as_text=True)
    assert mails("verify_email") == []


def test_my_learning_says_why_certificates_wait(app, client, make_user, login):
    login(make_user(verified=False))
    assert services.UNVERIFIED_MESSAGE in client.get("/dashboard").get_data(as_text=True)
    client.post_form("/logout")
    login(make_user())
    assert services.UNVERIFIED_MESSAGE not in client.get("/dashboard").get_data(as_text=True)


def test_nobody_can_flood_a_colleagues_inbox_by_registering_their_address(app, make_user):
    make_user(email="taken@example.nhs.uk")
    for _ in range(8):
        app.test_client().post_form("/register", {**REGISTRATION, "email": "taken@example.nhs.uk"})
    assert len(mails("account_exists")) == 5


def test_changing_the_password_spends_a_pending_reset_link(app, client, make_user, login):
    user = make_user()
    ask_for_reset(app.test_client(), user.email)
    url = link_path(mails("password_reset")[0]["context"]["url"])
    login(user)
    client.post_form("/profile/password", {"current_password": RIGHT, "new_password": NEW})
    assert "This link has already been used" in client.get(url).get_data(as_text=True)


def test_pages_opened_from_a_link_are_not_cached_and_do_not_pass_the_link_on(app, client, make_user):
    user = make_user()
    url = link_path(recovery.reset_url(user, utcnow()))
    db.session.commit()
    for path in (url, "/reset-password/tampered", link_path(recovery.verify_url(user, utcnow()))):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path
