"""The OpenAPI 3.1 document is valid, and the API answers as it says (schemathesis against the app)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import (
    FailureGroup,
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lms.extensions import db
from lms.privacy import services as privacy
from tests.web.api.test_verification_api import issued  # noqa: F401
from tests.web.credentials.test_certificates import certificates, partner  # noqa: F401

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
OPERATION = ("/api/v1/certificates/{code}", "GET")


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on any error


def test_the_validator_would_catch_a_broken_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    document["paths"]["/api/v1/certificates/{code}"]["get"]["parameters"][0]["in"] = "body"
    with pytest.raises(Exception, match="body"):
        validate(document)


@pytest.mark.parametrize("label", ["GET /api/v1/certificates/{code}", "GET /credentials/{code}",
                                   "GET /issuers/{organisation}", "GET /issuers/{organisation}/status/{number}",
                                   "GET /.well-known/jwks.json"])
def test_generated_requests_get_answers_the_document_allows(app, tiny_course, label):
    """Schemathesis draws requests from the document (at most 50 per operation) and checks every answer."""
    app.config["VERIFY_LOOKUPS_PER_MINUTE"] = 100_000  # the generated cases are not an attack
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = {op.ok().label: op.ok() for op in schema.get_all_operations()}
    assert len(operations) == 5
    seen = set()

    @given(case=operations[label].as_strategy())
    @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def answers_conform(case):
        seen.add(case.call_and_validate(checks=CHECKS).status_code)

    answers_conform()
    assert seen <= {200, 404}


def test_every_status_conforms_to_the_document(app, client, issued, partner, login):  # noqa: F811
    """Generated codes only ever meet 404s; real certificates in each state are checked here."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[OPERATION[0]][OPERATION[1]]

    def conforms(code: str) -> dict:
        response = operation.Case(path_parameters={"code": code}).call_and_validate(checks=CHECKS)
        return response.json()

    assert conforms(issued.code)["status"] == "valid"
    others = {op.ok().label: op.ok() for op in schema.get_all_operations()}
    badge = others["GET /credentials/{code}"].Case(path_parameters={"code": issued.code}).call_and_validate(
        checks=CHECKS)
    assert badge.status_code == 200 and badge.text.count(".") == 2
    profile = others["GET /issuers/{organisation}"].Case(
        path_parameters={"organisation": "imperial-college-london"}).call_and_validate(checks=CHECKS)
    assert profile.json()["name"] == "Imperial College London"
    status_list = others["GET /issuers/{organisation}/status/{number}"].Case(
        path_parameters={"organisation": "imperial-college-london", "number": 0}).call_and_validate(checks=CHECKS)
    assert status_list.status_code == 200
    login(partner)
    client.post_form(f"/manage/certificates/{issued.code}/reissue")
    old, new = certificates()
    assert conforms(old.code)["status"] == "superseded"
    client.post_form(f"/manage/certificates/{new.code}/revoke", {"reason": "Issued in error", "confirm": "yes"})
    assert conforms(new.code)["status"] == "revoked"
    privacy.erase_user(new.user, actor_id=None, via="cli", reason="request")
    db.session.commit()
    assert conforms(new.code)["holder"]["record_removed"] is True
    assert conforms("NOT-A-CODE")["error"] == "not_found"
    app.config["VERIFY_LOOKUPS_PER_MINUTE"] = 1
    assert conforms(new.code)["error"] == "rate_limited"


def test_the_conformance_checks_would_catch_an_answer_outside_the_document(app, issued, monkeypatch):  # noqa: F811
    from lms.credentials import verification

    real = verification.public_record
    monkeypatch.setattr(verification, "public_record", lambda *a: {**real(*a), "status": "maybe"})
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[OPERATION[0]][OPERATION[1]]
    with pytest.raises(FailureGroup) as caught:
        operation.Case(path_parameters={"code": issued.code}).call_and_validate(checks=CHECKS)
    assert [type(e).__name__ for e in caught.value.exceptions] == ["JsonSchemaError"]
