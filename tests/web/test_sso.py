"""Single sign-on against a real OpenID Connect provider (npm oidc-provider, started by the tests)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from sqlalchemy import select

from lms.accounts.models import User
from lms.audit.models import AuditEntry
from lms.extensions import db
from lms.sso import providers, services
from lms.sso.models import SsoIdentity
from tests.oidc import SECRET, oidc_server_factory, provider_config, sign_in_at_provider  # noqa: F401

CALLBACK = "http://localhost/sso/local/callback"
OTHER_CALLBACK = "http://localhost/other/callback"


@pytest.fixture(scope="module")
def oidc(oidc_server_factory):  # noqa: F811
    return oidc_server_factory([
        {"client_id": "lms", "client_secret": SECRET, "redirect_uris": [CALLBACK]},
        # Another application at the same provider: its tokens must not sign anyone in to the LMS.
        {"client_id": "other-app", "client_secret": SECRET, "redirect_uris": [OTHER_CALLBACK]},
    ])


@pytest.fixture
def sso(app, oidc):
    app.config["PUBLIC_BASE_URL"] = "http://localhost"
    providers.configure(app, providers.parse([provider_config(oidc.issuer)]))
    return oidc


def start(client) -> str:
    response = client.get("/sso/local/start")
    assert response.status_code == 302
    return response.headers["Location"]


def finish(client, callback_url: str):
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client, email="amira.khan@nhs.net", name="Amira Khan"):
    return finish(client, sign_in_at_provider(start(client), email, name, CALLBACK))


def verified_user(make_user, monkeypatch, **fields):
    """An account whose email is verified: the column if the accounts work has added it."""
    user = make_user(**fields)
    if hasattr(User, "email_verified_at"):
        from lms.clock import utcnow

        user.email_verified_at = utcnow()
        db.session.commit()
    else:
        monkeypatch.setattr(services, "email_is_verified", lambda u: u.id == user.id)
    return user


def logged_in_as(client) -> str | None:
    response = client.get("/profile")
    if response.status_code != 200:
        return None
    return response.get_data(as_text=True)


def test_login_page_offers_each_provider_as_a_link(client, sso):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/sso/local/start' in html
    assert "Sign in with Test NHSmail" in html
    assert 'name="password"' in html  # password sign-in stays


def test_authorisation_request_uses_pkce_nonce_and_state(client, sso):
    query = parse_qs(urlsplit(start(client)).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["nonce"][0] and query["state"][0]
    assert query["response_type"] == ["code"]
    assert "openid" in query["scope"][0].split()


def test_first_sign_in_creates_an_account_after_asking_organisation_and_group(client, sso):
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/sso/complete")
    assert db.session.scalar(select(User)) is None  # nothing written before the person answers
    page = client.get("/sso/complete").get_data(as_text=True)
    assert "amira.khan@nhs.net" in page and 'value="Amira Khan"' in page
    response = client.post_form("/sso/complete", {"full_name": "Amira Khan", "organisation_id": "",
                                                 "professional_group": ""})
    assert "Select your organisation" in response.get_data(as_text=True)
    response = client.post_form("/sso/complete", {"full_name": "Amira Khan", "organisation_id": "cnwl",
                                                 "professional_group": "nurse"})
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert (user.email, user.organisation_id, user.professional_group) == ("amira.khan@nhs.net", "cnwl", "nurse")
    identity = db.session.scalar(select(SsoIdentity))
    assert identity.user_id == user.id and identity.provider == "local"
    assert "amira.khan@nhs.net" in logged_in_as(client)
    # The next sign-in goes straight in, through the link, with no questions.
    client.post_form("/logout")
    assert logged_in_as(client) is None
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "amira.khan@nhs.net" in logged_in_as(client)
    assert db.session.scalar(select(db.func.count(User.id))) == 1


def test_first_sign_in_links_an_existing_verified_account(client, sso, make_user, monkeypatch):
    user = verified_user(make_user, monkeypatch, email="amira.khan@nhs.net")
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "amira.khan@nhs.net" in logged_in_as(client)
    assert db.session.scalar(select(SsoIdentity.user_id)) == user.id
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_id == str(user.id))) == "user.sso_linked"


def test_an_unverified_account_with_the_same_email_is_not_taken_over(client, sso, make_user):
    make_user(email="amira.khan@nhs.net", verified=False)
    response = sign_in(client)
    assert response.status_code == 403
    assert "has not been verified" in response.get_data(as_text=True)
    assert logged_in_as(client) is None
    assert db.session.scalar(select(SsoIdentity)) is None


def test_an_email_domain_the_provider_does_not_allow_is_refused(client, sso):
    response = sign_in(client, email="someone@gmail.com")
    assert response.status_code == 403
    assert "ending @gmail.com" in response.get_data(as_text=True)
    assert logged_in_as(client) is None
    assert db.session.scalar(select(User)) is None


def test_a_callback_with_another_state_is_refused(client, sso):
    callback = sign_in_at_provider(start(client), "amira.khan@nhs.net", "Amira Khan", CALLBACK)
    tampered = callback.replace("state=", "state=x")
    response = finish(client, tampered)
    assert response.status_code == 400
    assert "not started from this browser" in response.get_data(as_text=True)
    assert logged_in_as(client) is None


def test_a_callback_in_a_browser_that_did_not_start_the_sign_in_is_refused(app, client, sso):
    callback = sign_in_at_provider(start(client), "amira.khan@nhs.net", "Amira Khan", CALLBACK)
    other_browser = app.test_client()
    assert finish(other_browser, callback).status_code == 400
    assert logged_in_as(other_browser) is None


def test_a_nonce_that_does_not_match_is_refused(client, sso):
    authorize = start(client)
    with client.session_transaction() as session:
        key = next(k for k in session if k.startswith("_state_local_"))
        kept = session[key]
        assert kept["data"]["nonce"]
        kept["data"]["nonce"] = "not-the-nonce-sent"
        session[key] = kept
    response = finish(client, sign_in_at_provider(authorize, "amira.khan@nhs.net", "Amira Khan", CALLBACK))
    assert response.status_code == 403
    assert "could not be checked" in response.get_data(as_text=True)
    assert logged_in_as(client) is None


def test_an_expired_id_token_is_refused(client, sso, monkeypatch):
    authorize = start(client)
    callback = sign_in_at_provider(authorize, "amira.khan@nhs.net", "Amira Khan", CALLBACK)
    # The provider's ID tokens last an hour; arrive as if two hours had passed (beyond the leeway).
    monkeypatch.setattr(services, "now", lambda: time.time() + 2 * 3600)
    response = finish(client, callback)
    assert response.status_code == 403
    assert logged_in_as(client) is None


def other_app_token(issuer: str, email: str) -> dict:
    """A genuine ID token the provider issued to another application (audience "other-app")."""
    metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    session = OAuth2Session("other-app", SECRET, scope="openid email profile", redirect_uri=OTHER_CALLBACK,
                            code_challenge_method="S256")
    verifier = "v" * 64
    url, _state = session.create_authorization_url(metadata["authorization_endpoint"], nonce="n-1",
                                                   code_verifier=verifier)
    callback = sign_in_at_provider(url, email, "Amira Khan", OTHER_CALLBACK)
    return session.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)


def test_an_id_token_for_another_audience_is_refused(app, sso):
    token = other_app_token(sso.issuer, "amira.khan@nhs.net")
    provider = providers.get("local")
    client = providers.client("local")
    with pytest.raises(services.SSOError):
        services.verify_id_token(client, provider, token, "n-1")
    # The same token is accepted for the application it was issued to, so the refusal is the audience.
    other = providers.parse([provider_config(sso.issuer, name="other", client_id="other-app")])[0]
    claims = services.verify_id_token(client, other, token, "n-1")
    assert claims["email"] == "amira.khan@nhs.net" and claims["aud"] == "other-app"


@pytest.mark.parametrize(("setting", "message"), [
    ("not json", "OIDC_PROVIDERS is not valid JSON"),
    ('{"name": "x"}', "OIDC_PROVIDERS must be a JSON list"),
    ('[{"name": "nhsmail"}]', "OIDC_PROVIDERS provider 1 is missing label, issuer, client_id"),
    ('[{"name": "nhsmail", "label": "NHSmail", "issuer": "http://login.example.com", "client_id": "a", '
     '"client_secret": "b", "allowed_domains": ["nhs.net"]}]', "must be an https:// URL"),
    ('[{"name": "nhsmail", "label": "NHSmail", "issuer": "https://login.example.com", "client_id": "a", '
     '"client_secret": "b", "allowed_domains": "nhs.net"}]', "allowed_domains must be a list"),
    ('[{"name": "nhsmail", "label": "NHSmail", "issuer": "https://login.example.com", "client_id": "a", '
     '"client_secret": "b", "allowed_domains": ["nhs.net"], "tenant": "x"}]', "unknown setting tenant"),
])
def test_a_wrong_sso_setting_stops_start_up_with_one_line_naming_it(setting, message):
    env = {**os.environ, "OIDC_PROVIDERS": setting, "DATABASE_URL": "sqlite://"}
    result = subprocess.run([sys.executable, "-c", "import wsgi"], env=env, capture_output=True, text=True,
                            timeout=60, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0] and lines[0].startswith("Configuration error: OIDC_PROVIDERS")


def test_cancelling_at_the_provider_shows_why_and_signs_nobody_in(client, sso):
    query = parse_qs(urlsplit(start(client)).query)
    response = client.get(f"/sso/local/callback?error=access_denied&error_description=End-User+aborted"
                          f"&state={query['state'][0]}")
    assert response.status_code == 403
    assert "did not sign you in (End-User aborted)" in response.get_data(as_text=True)
    assert logged_in_as(client) is None


def test_an_unknown_provider_is_not_found(client, sso):
    assert client.get("/sso/nope/start").status_code == 404
    assert client.get("/sso/nope/callback?code=x&state=y").status_code == 404


def test_the_next_page_survives_the_round_trip_but_only_on_this_site(client, sso, make_user, monkeypatch):
    verified_user(make_user, monkeypatch, email="amira.khan@nhs.net")
    authorize = client.get("/sso/local/start?next=/profile").headers["Location"]
    response = finish(client, sign_in_at_provider(authorize, "amira.khan@nhs.net", "Amira Khan", CALLBACK))
    assert response.headers["Location"] == "/profile"
    client.post_form("/logout")
    authorize = client.get("/sso/local/start?next=https://evil.example/").headers["Location"]
    response = finish(client, sign_in_at_provider(authorize, "amira.khan@nhs.net", "Amira Khan", CALLBACK))
    assert response.headers["Location"] == "/"
