"""Open Badges 3.0 on the web: the credential, the issuers' profiles and revocation lists, our public keys."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from lms.clock import utcnow
from lms.credentials import badges, signing, verification

bp = Blueprint("badges", __name__)

NOT_FOUND = {"error": "not_found", "message": "We have no certificate with that code."}
NO_ISSUER = {"error": "not_found", "message": "No issuer has that id."}


def _not_found(body: dict) -> Response:
    response = jsonify(body)
    response.status_code = 404
    return response


@bp.after_request
def open_to_any_origin(response: Response) -> Response:
    """Wallets and verifiers fetch these from other sites; reading them is all they may do."""
    if request.method in ("GET", "HEAD"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _jwt(token: str, max_age: int = 0) -> Response:
    response = Response(token, mimetype=badges.MEDIA_TYPE)
    response.headers["Cache-Control"] = f"public, max-age={max_age}" if max_age else "no-store"
    return response


@bp.get("/credentials/<path:code>")
def credential(code: str):
    """The certificate's OpenBadgeCredential (VC-JWT); ?download=1 saves it as a file.

    Counts as a lookup (it names the holder, as the verification page does); a code that is unknown,
    malformed or whose holder's record was erased gets the same 404; a certificate that no longer
    stands (revoked, superseded, expired) gets 410 with its status.
    """
    if not verification.lookup_allowed():
        response = jsonify(error="rate_limited", message="Too many certificate checks. Wait a minute and try again.")
        response.status_code, response.headers["Retry-After"] = 429, "60"
        return response
    certificate = verification.find(code)
    if certificate is None or certificate.user.erased_at is not None:
        return _not_found(NOT_FOUND)
    now = utcnow()
    if not badges.may_have_credential(certificate, now):
        response = jsonify(error="not_valid", status=certificate.status_at(now),
                           message="This certificate no longer stands, so it has no credential.")
        response.status_code = 410
        return response
    response = _jwt(badges.signed_credential(certificate))
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="open-badge-{certificate.code}.jwt"'
    return response


@bp.get("/issuers/<organisation_id>")
def issuer(organisation_id: str):
    name = badges.issuer_name(organisation_id)
    if name is None:
        return _not_found(NO_ISSUER)
    return jsonify(badges.issuer_profile(None if organisation_id == badges.PROGRAMME_ISSUER else organisation_id,
                                         name))


@bp.get("/issuers/<organisation_id>/status/<int:number>")
def status_list(organisation_id: str, number: int):
    """The issuer's revocation list, signed and read live; verifiers may keep it five minutes."""
    if badges.issuer_name(organisation_id) is None:
        return _not_found(NO_ISSUER)
    owner = None if organisation_id == badges.PROGRAMME_ISSUER else organisation_id
    return _jwt(badges.signed_status_list(owner, number, utcnow()), max_age=300)


@bp.get("/.well-known/jwks.json")
def jwks():
    response = jsonify(signing.public_jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
