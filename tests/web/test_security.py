"""Headers on every page, CSRF on every form, error pages in the NHS design."""

import re
import time
from datetime import timedelta

import flask
import pytest
from flask import abort

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/no-such-page"])
def test_every_page_carries_the_security_headers(client, path):
    response = client.get(path)
    for name, value in HEADERS.items():
        assert response.headers[name] == value
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'self'" in script_src


def test_pages_have_no_inline_scripts_or_styles(client):
    html = client.get("/register").get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html and "<style" not in html


def test_a_post_without_a_csrf_token_gets_the_400_page(client):
    response = client.post("/login", data={"email": "a@example.nhs.uk", "password": "x" * 12})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "nhsuk-header" in html and "Nothing was saved" in html


def test_a_post_with_a_forged_csrf_token_gets_400(client):
    response = client.post("/login", data={"csrf_token": "forged", "email": "a@b.nhs.uk", "password": "x"})
    assert response.status_code == 400


def test_logout_needs_a_csrf_token(client, make_user, login):
    user = make_user()
    login(user)
    assert client.post("/logout").status_code == 400
    assert client.get("/profile").status_code == 200  # still logged in


def test_not_found_page_uses_the_nhs_design(client):
    response = client.get("/courses-that-do-not-exist")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html and "nhsuk-footer" in html


def test_server_error_page_uses_the_nhs_design(app, client):
    @app.get("/boom-forbidden")
    def forbidden():
        abort(403)

    @app.get("/boom")
    def boom():
        raise RuntimeError("deliberate")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)
    response = client.get("/boom-forbidden")
    assert response.status_code == 403
    assert "You do not have access" in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_samesite(client):
    response = client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


#: POST routes a third party's page posts to, checked by a signed token instead of our CSRF token.
CSRF_EXEMPT = {
    "lti.login": "a VLE's login initiation; only redirects back to a registered VLE with a state and nonce",
    "lti.launch": "a VLE's signed launch: checked by its signature, nonce (used once) and state cookie",
}


def test_every_post_route_refuses_a_request_without_a_csrf_token(app, client, make_user, login):
    login(make_user(role="admin"))
    sample = {"slug": "tiny-course", "module_key": "m-one", "lesson_key": "l-read", "prompt_key": "r-think",
              "code": "AAAA-BBBB-CCCC-DD", "attempt_id": 1, "enrolment_id": 1,
              "user_id": 1, "org_id": "cnwl", "upload_id": "x", "token": "x", "job_id": 1,
              "path": "01-one/01-read.md", "number": 1, "platform_id": 1, "submission_id": 1}
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    assert len(posts) >= 10
    for rule in posts:
        url = rule.build({name: sample[name] for name in rule.arguments}, append_unknown=False)[1]
        response = client.post(url, data={"anything": "x"})
        if rule.endpoint in CSRF_EXEMPT:  # refused all the same: nothing signed came with it
            assert response.status_code in (400, 403), f"{rule.rule} answered {response.status_code}"
            continue
        assert response.status_code == 400, f"{rule.rule} answered {response.status_code} without a CSRF token"


# --- the session cookie checked once per process, the CSRF token signed once per session (lms/security.py)


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_remembered_session_cookie_still_expires_and_a_changed_one_is_refused(app, client, make_user, login,
                                                                              monkeypatch):
    login(make_user())
    cookie = session_cookie(client)
    assert client.get("/profile").status_code == 200  # checked once, remembered
    assert client.get("/profile").status_code == 200  # from memory
    forged = app.test_client()
    forged.set_cookie("session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert forged.get("/profile").status_code == 302
    app.permanent_session_lifetime = timedelta(minutes=5)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 301)  # five minutes and a second later
    assert client.get("/profile").status_code == 302


def test_a_request_that_changes_its_session_does_not_change_the_remembered_one(app, client):
    client.get("/login")  # a session with a CSRF token: plain values, remembered
    cookie = session_cookie(client)
    other = app.test_client()
    other.set_cookie("session", cookie)
    with app.test_request_context("/", headers={"Cookie": f"session={cookie}"}):
        opened = app.session_interface.open_session(app, flask.request)
        opened["csrf_token"] = "changed"
        opened["extra"] = 1
        again = app.session_interface.open_session(app, flask.request)
    assert again["csrf_token"] != "changed" and "extra" not in again


def test_the_csrf_token_signed_once_for_a_session_is_what_its_forms_accept(app, client, make_user, login):
    from flask_wtf.csrf import ValidationError, validate_csrf

    from lms import security

    login(make_user())
    client.get("/profile")  # a page with a form puts the session's token in the cookie
    cookie = session_cookie(client)
    other = app.test_client()
    other.get("/login")

    def in_request(session_cookie_value, call):
        with app.test_request_context("/", headers={"Cookie": f"session={session_cookie_value}"}):
            return call()

    first = in_request(cookie, security.csrf_token)
    assert in_request(cookie, security.csrf_token) == first  # signed once for this session
    in_request(cookie, lambda: validate_csrf(first))  # accepted as flask_wtf's own
    with pytest.raises(ValidationError):
        in_request(session_cookie(other), lambda: validate_csrf(first))  # another session's token
    assert client.post("/logout", data={"csrf_token": first}).status_code == 302


def test_a_remembered_session_cookie_follows_secret_key_rotation(app, client, make_user, login):
    login(make_user())
    assert client.get("/profile").status_code == 200  # checked once, remembered under the old key
    old = app.secret_key
    app.secret_key = app.config["SECRET_KEY"] = "a-new-testing-secret-of-some-length"
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    assert client.get("/profile").status_code == 200  # the old key still accepted as a fallback
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/profile").status_code == 302  # signed with a key no longer trusted: refused
