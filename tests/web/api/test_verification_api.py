"""Issue 17 part 4: GET /api/v1/certificates/<code>, the machine-readable twin of /verify."""

from datetime import datetime, timedelta

import pytest

from lms.clock import utcnow
from lms.credentials.models import Certificate
from lms.dates import iso_date
from lms.extensions import db
from lms.privacy import services as privacy
from tests.web.credentials.test_certificates import certificates, complete_course, partner  # noqa: F401

API = "/api/v1/certificates/"


@pytest.fixture
def issued(client, tiny_course, make_user, login) -> Certificate:
    login(make_user(full_name="Siobhán Ó Briain"))
    complete_course(client)
    [certificate] = certificates()
    client.post_form("/logout")
    return certificate


def test_a_valid_certificate_in_json_with_london_dates(client, issued):
    # Issued at 23:30 UTC on 30 June: in London it is already 1 July.
    issued.issued_at = datetime(2026, 6, 30, 23, 30)
    issued.snapshot = {**issued.snapshot, "issued_on": "2026-07-01"}
    issued.expires_at = datetime(2031, 1, 15, 12, 0)
    db.session.commit()
    response = client.get(API + issued.code.lower().replace("-", ""))
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["code"] == issued.code and body["status"] == "valid"
    assert body["holder"] == {"name": "Siobhán Ó Briain", "record_removed": False}
    assert body["course"] == {"title": "Tiny course", "slug": "tiny-course"}
    assert body["track"] == issued.snapshot["track"] and body["cpd_hours"] == float(issued.snapshot["cpd_hours"])
    assert body["issuer"] == {"id": "imperial-college-london", "name": "Imperial College London"}
    assert body["issued"] == "2026-07-01"
    assert body["expires"] == "2031-01-15" and body["completed"] == issued.snapshot["completed_on"]
    assert body["revoked"] is None and body["replaced_by"] is None
    assert body["links"]["page"].endswith(f"/verify/{issued.code}")


def test_expiry_is_the_london_date(client, issued):
    issued.expires_at = datetime(2030, 3, 31, 23, 30)  # 00:30 on 1 April 2030 in London (BST)
    db.session.commit()
    assert client.get(API + issued.code).get_json()["expires"] == "2030-04-01"


def test_revoked_says_when_and_why(client, issued, partner, login):  # noqa: F811
    login(partner)
    assert client.post_form(f"/manage/certificates/{issued.code}/revoke",
                            {"reason": "Issued in error", "confirm": "yes"}).status_code == 302
    db.session.refresh(issued)
    body = client.get(API + issued.code).get_json()
    assert body["status"] == "revoked"
    assert body["revoked"] == {"on": iso_date(issued.revoked_at), "reason": "Issued in error"}


def test_superseded_names_the_replacement(client, issued, partner, login):  # noqa: F811
    login(partner)
    assert client.post_form(f"/manage/certificates/{issued.code}/reissue").status_code == 302
    old, new = certificates()
    body = client.get(API + old.code).get_json()
    assert body["status"] == "superseded" and body["replaced_by"] == new.code
    assert client.get(API + new.code).get_json()["status"] == "valid"


def test_expired(client, issued):
    issued.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    body = client.get(API + issued.code).get_json()
    assert body["status"] == "expired" and body["expires"] is not None


def test_after_erasure_the_holder_is_removed_and_the_rest_stays(client, issued):
    privacy.erase_user(issued.user, actor_id=None, via="cli", reason="request")
    db.session.commit()
    body = client.get(API + issued.code).get_json()
    assert body["status"] == "valid"
    assert body["holder"] == {"name": None, "record_removed": True}
    assert body["course"]["title"] == "Tiny course" and body["issued"]


@pytest.mark.parametrize("code", ["9ZZ2-M9XD-4TRA-8C", "not-a-code", "0000000000000", "' OR 1=1 --",
                                  "a/b/c", "x" * 300])
def test_unknown_and_malformed_codes_get_one_answer(client, tiny_course, code):
    response = client.get(API + code)
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.get_json() == {"error": "not_found", "message": "We have no certificate with that code."}
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_api_and_the_page_share_one_limit(app, client, issued):
    app.config["VERIFY_LOOKUPS_PER_MINUTE"] = 4
    assert client.get(API + issued.code).status_code == 200
    assert client.get(f"/verify/{issued.code}").status_code == 200
    assert client.get(API + "AAAA-BBBB-CCCC-DD").status_code == 404
    assert client.get(f"/verify/{issued.code}").status_code == 200
    limited = client.get(API + issued.code)
    assert limited.status_code == 429 and limited.get_json()["error"] == "rate_limited"
    assert limited.headers["Retry-After"] == "60"
    assert client.get(f"/verify/{issued.code}").status_code == 429


def test_other_origins_may_only_read(client, issued):
    preflight = client.options(API + issued.code, headers={"Origin": "https://employer.example",
                                                           "Access-Control-Request-Method": "DELETE"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert client.delete(API + issued.code).status_code == 405
