"""Issue 17 part 2: each valid certificate is an Open Badges 3.0 credential that an independent
implementation (openbadgeslib, which verifies with PyJWT and cryptography, not joserfc) accepts, and
whose revocation it learns from our status list."""

import json

import jwt as pyjwt
import pytest
from openbadgeslib.ob3 import OB3Verifier
from openbadgeslib.ob3.verifier import OB3VerificationError

from lms.credentials.signing import SigningKey
from lms.extensions import db
from lms.privacy import services as privacy
from tests.web.api.test_verification_api import issued  # noqa: F401
from tests.web.credentials.test_certificates import certificates, partner  # noqa: F401

BASE = "http://localhost"


def fetcher(client):
    """openbadgeslib's download hook, answered by the app itself (no network)."""
    def download(url: str) -> bytes:
        assert url.startswith(BASE), url
        response = client.get(url.removeprefix(BASE))
        assert response.status_code == 200, (url, response.status_code)
        return response.data
    return download


def independent_verifier(client) -> OB3Verifier:
    """Built from our published JWKS by PyJWT: nothing of ours decodes the key."""
    jwks = client.get("/.well-known/jwks.json").get_json()
    [jwk] = jwks["keys"]
    return OB3Verifier(pubkey_pem=pyjwt.algorithms.ECAlgorithm.from_jwk(json.dumps(jwk)))


def test_a_real_completion_verifies_with_openbadgeslib(client, issued):  # noqa: F811
    response = client.get(f"/credentials/{issued.code}")
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    token = response.get_data(as_text=True)
    assert pyjwt.get_unverified_header(token)["alg"] == "ES256"

    badge = independent_verifier(client).verify(token, check_status=True, verify_status_list=True,
                                                 download=fetcher(client))
    assert badge.issuer.id == f"{BASE}/issuers/imperial-college-london"
    assert badge.issuer.name == "Imperial College London"
    assert badge.achievement.name == "Tiny course"
    assert issued.snapshot["track"] in badge.achievement.criteria_narrative
    claims = pyjwt.decode(token, options={"verify_signature": False})
    subject = claims["credentialSubject"]
    assert subject["achievement"]["tag"] == [issued.snapshot["track"]]
    assert subject["result"][0]["value"] == f"{float(issued.snapshot['cpd_hours']):g}"
    assert subject["identifier"][0]["identityHash"] == "Siobhán Ó Briain"
    assert claims["@context"][:2] == ["https://www.w3.org/ns/credentials/v2",
                                      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert claims["credentialStatus"]["statusListCredential"].startswith(BASE + "/issuers/imperial-college-london/")
    assert "validUntil" not in claims  # this course's certificates do not expire

    profile = client.get("/issuers/imperial-college-london").get_json()
    assert profile["id"] == badge.issuer.id and profile["type"] == ["Profile"]
    assert client.get(profile["jwks_uri"].removeprefix(BASE)).status_code == 200


def test_an_altered_credential_fails_independent_verification(client, issued):  # noqa: F811
    token = client.get(f"/credentials/{issued.code}").get_data(as_text=True)
    header, payload, signature = token.split(".")
    claims = pyjwt.decode(token, options={"verify_signature": False})
    claims["credentialSubject"]["creditsEarned"] = 100
    forged_payload = pyjwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(OB3VerificationError, match="signature"):
        independent_verifier(client).verify(f"{header}.{forged_payload}.{signature}")


def test_a_revoked_credential_reports_revoked_through_the_status_list(client, issued, partner, login):  # noqa: F811
    token = client.get(f"/credentials/{issued.code}").get_data(as_text=True)
    verifier = independent_verifier(client)
    verifier.verify(token, check_status=True, download=fetcher(client))
    login(partner)
    client.post_form(f"/manage/certificates/{issued.code}/revoke", {"reason": "Issued in error", "confirm": "yes"})
    with pytest.raises(OB3VerificationError, match="revocation"):
        verifier.verify(token, check_status=True, download=fetcher(client))
    assert client.get(f"/credentials/{issued.code}").status_code == 410
    # Reinstated: the same credential is good again, as the status list is read live.
    client.post_form(f"/manage/certificates/{issued.code}/reinstate", {"reason": "Revoked by mistake"})
    verifier.verify(token, check_status=True, download=fetcher(client))


def test_a_superseded_credential_reports_revoked(client, issued, partner, login):  # noqa: F811
    token = client.get(f"/credentials/{issued.code}").get_data(as_text=True)
    login(partner)
    client.post_form(f"/manage/certificates/{issued.code}/reissue")
    with pytest.raises(OB3VerificationError, match="revocation"):
        independent_verifier(client).verify(token, check_status=True, download=fetcher(client))
    _, new = certificates()
    fresh = client.get(f"/credentials/{new.code}").get_data(as_text=True)
    independent_verifier(client).verify(fresh, check_status=True, download=fetcher(client))


def test_an_expiring_certificate_carries_valid_until(client, issued):  # noqa: F811
    from datetime import datetime

    issued.expires_at = datetime(2099, 1, 1)
    db.session.commit()
    token = client.get(f"/credentials/{issued.code}").get_data(as_text=True)
    claims = pyjwt.decode(token, options={"verify_signature": False})
    assert claims["validUntil"] == "2099-01-01T00:00:00Z" and claims["exp"] == 4070908800
    independent_verifier(client).verify(token)


def test_one_signing_key_is_made_and_kept(client, issued):  # noqa: F811
    first = client.get("/.well-known/jwks.json").get_json()
    client.get(f"/credentials/{issued.code}")
    assert client.get("/.well-known/jwks.json").get_json() == first
    assert db.session.query(SigningKey).count() == 1
    assert "d" not in first["keys"][0]  # never the private part


def test_erased_and_unknown_codes_have_no_credential(client, issued):  # noqa: F811
    unknown = client.get("/credentials/AAAA-BBBB-CCCC-DD")
    privacy.erase_user(issued.user, actor_id=None, via="cli", reason="request")
    db.session.commit()
    erased = client.get(f"/credentials/{issued.code}")
    assert unknown.status_code == erased.status_code == 404 and unknown.get_json() == erased.get_json()


def test_the_verify_page_accepts_a_pasted_credential(client, issued, partner, login):  # noqa: F811
    token = client.get(f"/credentials/{issued.code}").get_data(as_text=True)
    page = client.post_form("/verify", {"credential-token": token}).get_data(as_text=True)
    assert "This certificate is valid" in page and "signed by this service" in page and issued.code in page

    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    page = client.post_form("/verify", {"credential-token": tampered}).get_data(as_text=True)
    assert "was not signed by this service" in page
    assert "was not signed by this service" in client.post_form(
        "/verify", {"credential-token": "not a token"}).get_data(as_text=True)

    login(partner)
    client.post_form(f"/manage/certificates/{issued.code}/revoke", {"reason": "Issued in error", "confirm": "yes"})
    page = client.post_form("/verify", {"credential-token": token}).get_data(as_text=True)
    assert "This certificate has been revoked" in page


def test_learners_find_the_badge_on_their_dashboard(client, tiny_course, make_user, login):
    from tests.web.credentials.test_certificates import complete_course

    login(make_user())
    complete_course(client)
    [certificate] = certificates()
    page = client.get("/dashboard").get_data(as_text=True)
    assert f"/credentials/{certificate.code}?download=1" in page and "Download it as an Open Badge" in page
    download = client.get(f"/credentials/{certificate.code}?download=1")
    assert download.headers["Content-Disposition"] == f'attachment; filename="open-badge-{certificate.code}.jwt"'
    api = client.get(f"/api/v1/certificates/{certificate.code}").get_json()
    assert api["links"]["credential"] == f"{BASE}/credentials/{certificate.code}"


def test_fetching_credentials_counts_against_the_shared_lookup_limit(app, client, issued):  # noqa: F811
    app.config["VERIFY_LOOKUPS_PER_MINUTE"] = 2
    assert client.get(f"/credentials/{issued.code}").status_code == 200
    assert client.get(f"/api/v1/certificates/{issued.code}").status_code == 200
    limited = client.get(f"/credentials/{issued.code}")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    assert client.get(f"/verify/{issued.code}").status_code == 429
