"""Register, log in, log out, profile and password, as people use them."""

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.extensions import db

GOOD = {
    "full_name": "Zoë Łukasiewicz-Nguyễn",
    "email": "Zoe.Nguyen@Example.NHS.uk",
    "password": "a long enough password",
    "organisation_id": "cnwl",
    "professional_group": "ahp",
    "registration_body": "HCPC",
    "registration_number": "PH123456",
}


def test_register_creates_a_learner_who_can_log_in_before_confirming(client):
    response = client.post_form("/register", GOOD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/register/check-your-email"
    assert "We have sent an email to <strong>zoe.nguyen@example.nhs.uk" in client.get(
        "/register/check-your-email").get_data(as_text=True)
    user = db.session.scalar(select(User))
    assert user.email == "zoe.nguyen@example.nhs.uk"
    assert user.role == "learner"
    assert user.full_name == "Zoë Łukasiewicz-Nguyễn"
    assert user.registration == "HCPC PH123456"
    assert user.password_hash.startswith("scrypt:")
    assert "a long enough password" not in user.password_hash
    assert user.email_verified_at is None
    assert client.get("/profile").status_code == 302  # not logged in by registering (same as a taken address)
    client.post_form("/login", {"email": GOOD["email"], "password": GOOD["password"]})
    assert "Confirm your email address to receive certificates" in client.get("/profile").get_data(as_text=True)


def test_register_rerenders_with_every_error_and_keeps_what_was_typed(client):
    response = client.post_form("/register", {**GOOD, "email": "not-an-email", "password": "short",
                                              "organisation_id": "", "registration_number": ""})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Enter an email address in the correct format" in html
    assert "Password must be 12 to 128 characters" in html
    assert "Select your organisation" in html
    assert "Enter your registration number, or choose None" in html
    assert 'value="Zoë Łukasiewicz-Nguyễn"' in html  # nothing typed is lost
    assert 'value="short"' not in html  # but passwords are never echoed back
    assert db.session.scalar(select(User)) is None


def test_email_is_unique_whatever_its_case(client, make_user):
    make_user(email="jo.bloggs@example.nhs.uk")
    response = client.post_form("/register", {**GOOD, "email": "JO.Bloggs@example.NHS.UK"})
    assert response.status_code == 302  # the same answer as a new address; the owner is emailed
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_password_length_limits(client):
    for password, ok in [("wx" * 5 + "q", False), ("pale blue kettle", True), ("ok sandwich " * 10 + "endings", True),
                         ("z" * 129, False)]:
        email = f"len{len(password)}@example.nhs.uk"
        response = client.post_form("/register", {**GOOD, "email": email, "password": password})
        assert (response.status_code == 302) is ok, password


def test_organisation_must_come_from_the_seeded_list(client):
    response = client.post_form("/register", {**GOOD, "organisation_id": "made-up-trust"})
    assert response.status_code == 200
    assert db.session.scalar(select(User)) is None


def test_login_and_logout(client, make_user):
    user = make_user(email="sam@example.nhs.uk")
    response = client.post_form("/login", {"email": "SAM@example.nhs.uk", "password": "correct horse battery"})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    response = client.post_form("/logout")
    assert response.status_code == 302
    assert client.get("/profile").status_code == 302
    assert user.email == "sam@example.nhs.uk"


def test_wrong_password_gives_one_clear_message(client, make_user):
    make_user(email="sam@example.nhs.uk")
    response = client.post_form("/login", {"email": "sam@example.nhs.uk", "password": "wrong password!"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Enter a correct email address and password" in html
    unknown = client.post_form("/login", {"email": "nobody@example.nhs.uk", "password": "wrong password!"})
    assert "Enter a correct email address and password" in unknown.get_data(as_text=True)


def test_login_renews_the_session(client, make_user):
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post_form("/login", {"email": user.email, "password": "correct horse battery"})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == user.get_id()


def test_login_only_redirects_to_this_site(client, make_user):
    user = make_user()
    token = client.csrf_token()
    response = client.post("/login?next=https://evil.example/", data={
        "csrf_token": token, "email": user.email, "password": "correct horse battery"})
    assert response.headers["Location"] == "/"
    client.post_form("/logout")
    token = client.csrf_token()
    response = client.post("/login?next=/profile", data={
        "csrf_token": token, "email": user.email, "password": "correct horse battery"})
    assert response.headers["Location"] == "/profile"


def test_edit_profile(client, make_user, login):
    user = make_user()
    login(user)
    response = client.post_form("/profile", {"full_name": "Siobhán Ó Briain", "organisation_id": "brent-council",
                                             "professional_group": "social-care", "registration_body": "SWE",
                                             "registration_number": "SW123"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.full_name, user.organisation_id, user.registration) == (
        "Siobhán Ó Briain", "brent-council", "SWE SW123")


def test_profile_errors_rerender(client, make_user, login):
    user = make_user()
    login(user)
    response = client.post_form("/profile", {"full_name": "", "organisation_id": "cnwl",
                                             "professional_group": "nurse"})
    assert response.status_code == 200
    assert "Enter your full name" in response.get_data(as_text=True)


def test_change_password_logs_out_other_sessions(app, client, make_user, login):
    user = make_user()
    login(user)
    other_device = app.test_client()
    other_device.post_form("/login", {"email": user.email, "password": "correct horse battery"})
    assert other_device.get("/profile").status_code == 200

    wrong = client.post_form("/profile/password", {"current_password": "not my password",
                                                   "new_password": "a brand new passphrase"})
    assert "Your current password is not correct" in wrong.get_data(as_text=True)

    response = client.post_form("/profile/password", {"current_password": "correct horse battery",
                                                      "new_password": "a brand new passphrase"})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200  # this device stays logged in
    assert other_device.get("/profile").status_code == 302  # the other one is logged out
    client.post_form("/logout")
    assert client.post_form("/login", {"email": user.email, "password": "a brand new passphrase"}).status_code == 302


def test_pages_that_need_login_send_people_to_log_in(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
