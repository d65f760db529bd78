"""Open Badges 3.0: a certificate as an OpenBadgeCredential signed as a VC-JWT, and the revocation list.

The credential's issuer is the university partner (a profile at /issuers/<organisation> on this
service); its status is a W3C Bitstring Status List entry, so any verifier learns of a revocation by
fetching our signed list. The certificate's row stays the one record: nothing here is stored.
"""

from __future__ import annotations

import base64
import gzip
import re
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy import select

from lms import addresses
from lms.accounts.models import Organisation
from lms.catalog.models import Course
from lms.credentials import signing
from lms.credentials.models import REVOKED, SUPERSEDED, Certificate
from lms.extensions import db

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#: Entries per status list: the Bitstring Status List minimum (16 KB), so a list says nothing of volume.
LIST_SIZE = 131_072
#: How long a fetched status list may be trusted before a verifier must fetch it again.
LIST_VALID_FOR = timedelta(days=1)
MEDIA_TYPE = "application/vc+jwt"
PROGRAMME_ISSUER = "programme"  # issuer id for a course that no partner certifies


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"  # stored times are naive UTC


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "track"


def issuer_id(organisation_id: str | None) -> str:
    return f"{addresses.public_base_url()}/issuers/{organisation_id or PROGRAMME_ISSUER}"


def credential_url(code: str) -> str:
    return f"{addresses.public_base_url()}/credentials/{code}"


def status_list_url(organisation_id: str | None, number: int) -> str:
    return f"{issuer_id(organisation_id)}/status/{number}"


def issuer_profile(organisation_id: str | None, name: str) -> dict[str, Any]:
    """The OB 3.0 Profile document served at the issuer's id."""
    return {"@context": [VC_CONTEXT, OB_CONTEXT], "id": issuer_id(organisation_id), "type": ["Profile"],
            "name": name, "url": addresses.public_base_url(),
            "description": f"{name}, certifying courses of the {current_app.config['SERVICE_NAME']}.",
            # Not an OB term (the VC context's @vocab covers it): where the signing keys are published.
            "jwks_uri": f"{addresses.public_base_url()}/.well-known/jwks.json"}


def issuer_name(organisation_id: str | None) -> str | None:
    """The partner's name, or the programme's for PROGRAMME_ISSUER; None when nobody issues under that id."""
    if organisation_id == PROGRAMME_ISSUER:
        return current_app.config["SERVICE_NAME"]
    certifies = db.session.scalar(select(Course.id).where(Course.partner_id == organisation_id).limit(1))
    organisation = db.session.get(Organisation, organisation_id) if certifies else None
    return organisation.name if organisation is not None else None


def may_have_credential(certificate: Certificate, now: datetime) -> bool:
    """Only a valid certificate of a holder whose record still exists is offered as a badge."""
    return certificate.status_at(now) == "valid" and certificate.user.erased_at is None


def credential(certificate: Certificate) -> dict[str, Any]:
    """The OpenBadgeCredential for a certificate, as JSON (unsigned)."""
    s = certificate.snapshot
    course = certificate.course
    base = addresses.public_base_url()
    achievement_id = f"{base}/courses/{course.slug}#{_slug(s['track'])}"
    hours = float(s.get("cpd_hours") or 0)
    partner_name = s.get("partner_name") or (course.partner.name if course.partner_id else None)
    issuer = {"id": issuer_id(course.partner_id), "type": ["Profile"],
              "name": partner_name or current_app.config["SERVICE_NAME"], "url": base}
    number, index = divmod(certificate.id, LIST_SIZE)
    list_url = status_list_url(course.partner_id, number)
    body: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": credential_url(certificate.code),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{s['course_title']} ({s['track']})",
        "issuer": issuer,
        "validFrom": _iso(certificate.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            # No account identifier: the holder is named as on the certificate they were given.
            "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                            "identityHash": s["learner_name"]}],
            "achievement": {
                "id": achievement_id,
                "type": ["Achievement"],
                "achievementType": "Course",
                "name": s["course_title"],
                "description": course.summary or s["course_title"],
                "criteria": {"narrative": (
                    f"Completed every required lesson of the {s['track']} track of {s['course_title']} and "
                    f"passed its final assessment, in the {current_app.config['SERVICE_NAME']}; "
                    f"certified by {issuer['name']}.")},
                "creditsAvailable": hours,
                "tag": [s["track"]],
                "resultDescription": [{"id": f"{achievement_id}-cpd-hours", "type": ["ResultDescription"],
                                       "name": "CPD hours", "resultType": "ext:CPDHours"}],
            },
            "creditsEarned": hours,
            "result": [{"type": ["Result"], "resultDescription": f"{achievement_id}-cpd-hours",
                        "value": f"{hours:g}"}],
        },
        "credentialStatus": {"id": f"{list_url}#{index}", "type": "BitstringStatusListEntry",
                             "statusPurpose": "revocation", "statusListIndex": str(index),
                             "statusListCredential": list_url},
    }
    if certificate.expires_at:
        body["validUntil"] = _iso(certificate.expires_at)
    return body


def _sign(body: dict[str, Any], *, subject: str | None = None) -> str:
    """VC-JWT (OB 3.0 section 8.2): the payload is the credential plus the registered claims."""
    key = signing.current_key()
    claims = {**body, "iss": body["issuer"]["id"] if isinstance(body["issuer"], dict) else body["issuer"],
              "jti": body["id"], "nbf": _epoch(body["validFrom"])}
    if "validUntil" in body:
        claims["exp"] = _epoch(body["validUntil"])
    if subject:
        claims["sub"] = subject
    return jwt.encode({"alg": signing.ALGORITHM, "typ": "JWT", "kid": key.kid}, claims, key)


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def signed_credential(certificate: Certificate) -> str:
    """The certificate's OpenBadgeCredential as a compact JWS (ES256)."""
    return _sign(credential(certificate))


def withdrawn_ids(organisation_id: str | None, number: int) -> list[int]:
    """Ids of this issuer's certificates in list `number` that no longer stand (revoked or superseded)."""
    partner = Course.partner_id == organisation_id if organisation_id else Course.partner_id.is_(None)
    return list(db.session.scalars(
        select(Certificate.id).join(Course, Course.id == Certificate.course_id).where(
            partner, Certificate.status.in_((REVOKED, SUPERSEDED)),
            Certificate.id >= number * LIST_SIZE, Certificate.id < (number + 1) * LIST_SIZE)))


def encoded_list(indices: list[int]) -> str:
    """Bitstring Status List encoding: GZIP of LIST_SIZE bits (first bit = index 0), multibase base64url."""
    bits = bytearray(LIST_SIZE // 8)
    for index in indices:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")


def signed_status_list(organisation_id: str | None, number: int, now: datetime) -> str:
    """The issuer's revocation list `number` as a signed BitstringStatusListCredential, read live."""
    url = status_list_url(organisation_id, number)
    name = issuer_name(organisation_id or PROGRAMME_ISSUER) or current_app.config["SERVICE_NAME"]
    body = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": issuer_id(organisation_id), "name": name},
        "validFrom": _iso(now),
        "validUntil": _iso(now + LIST_VALID_FOR),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encoded_list([i % LIST_SIZE for i in withdrawn_ids(organisation_id,
                                                                                                  number)])},
    }
    return _sign(body)


class NotOurCredential(ValueError):
    """The text is not a credential this service signed (or it was altered)."""


def certificate_of(token: str) -> Certificate | None:
    """The certificate a pasted VC-JWT stands for, after checking it was signed by one of our keys.

    Raises NotOurCredential when the signature, the key or the shape is wrong; returns None when it
    is ours but names no certificate we still have.
    """
    try:
        decoded = jwt.decode(token.strip(), signing.public_key_set(), algorithms=[signing.ALGORITHM])
    except (JoseError, ValueError, TypeError) as error:
        raise NotOurCredential(str(error)) from error
    claims = decoded.claims
    jti = claims.get("jti") if isinstance(claims.get("jti"), str) else ""
    if "OpenBadgeCredential" not in (claims.get("type") or []) or "/credentials/" not in jti:
        raise NotOurCredential("not an Open Badges credential of this service")
    # The signature is ours, so the id is too, even if the service has moved address since.
    return db.session.scalar(select(Certificate).where(Certificate.code == jti.rsplit("/credentials/", 1)[1]))
