"""GET /api/v1/certificates/<code> and its OpenAPI document; public data, open to any origin."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for

from lms import addresses
from lms.api import openapi
from lms.clock import utcnow
from lms.credentials import badges, verification

bp = Blueprint("api", __name__, url_prefix="/api/v1")

NOT_FOUND = {"error": "not_found", "message": "We have no certificate with that code."}
TOO_MANY = {"error": "rate_limited",
            "message": "Too many certificate checks from your network. Wait a minute and try again."}


@bp.after_request
def open_to_any_origin(response: Response) -> Response:
    """Public data: any site may read it with GET, but no other method is opened to other origins."""
    if request.method in ("GET", "HEAD"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.setdefault("Cache-Control", "no-store")  # a status can change at any moment
    return response


def _json(body: dict, status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


@bp.get("/certificates/<path:code>")
def certificate(code: str):
    """One certificate's public record; the same 404 for an unknown, malformed or made-up code."""
    if not verification.lookup_allowed():
        response = _json(TOO_MANY, 429)
        response.headers["Retry-After"] = "60"
        return response
    found = verification.find(code)
    if found is None:
        return _json(NOT_FOUND, 404)
    now = utcnow()
    record = verification.public_record(found, now)
    record["links"] = {"page": addresses.public_base_url() + url_for("credentials.verify_code", code=found.code)}
    if badges.may_have_credential(found, now):
        record["links"]["credential"] = badges.credential_url(found.code)
    return _json(record, 200)


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document(addresses.public_base_url()))
