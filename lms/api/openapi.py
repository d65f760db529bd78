"""The OpenAPI 3.1 document of /api/v1, written by hand so it says what we promise, not what the code happens to do."""

from __future__ import annotations

from typing import Any

ISO_DATE = {"type": "string", "format": "date", "description": "A Europe/London calendar date, YYYY-MM-DD."}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "type": [schema["type"], "null"]}


CERTIFICATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code", "status", "revoked", "replaced_by", "holder", "course", "track", "cpd_hours",
                 "completed", "issued", "expires", "issuer", "links"],
    "properties": {
        "code": {"type": "string", "examples": ["7KQ2-M9XD-4TRA-8B"]},
        "status": {"type": "string", "enum": ["valid", "revoked", "superseded", "expired"],
                   "description": "valid; revoked by the university partner; superseded by a reissue "
                                  "(see replaced_by); or expired (its expires date has passed)."},
        "revoked": {"type": ["object", "null"], "additionalProperties": False, "required": ["on", "reason"],
                    "description": "When and why it was revoked; null unless status is revoked.",
                    "properties": {"on": ISO_DATE, "reason": {"type": "string"}}},
        "replaced_by": {"type": ["string", "null"],
                        "description": "The code of the certificate that replaced it; null unless superseded."},
        "holder": {"type": "object", "additionalProperties": False, "required": ["name", "record_removed"],
                   "properties": {
                       "name": {"type": ["string", "null"],
                                "description": "The holder's name as printed; null when the record is removed."},
                       "record_removed": {"type": "boolean",
                                          "description": "The holder's record was erased at their request; "
                                                         "the course, dates and status stay as issued."}}},
        "course": {"type": "object", "additionalProperties": False, "required": ["title", "slug"],
                   "properties": {"title": {"type": "string"}, "slug": {"type": "string"}}},
        "track": {"type": "string", "examples": ["Allied health professionals"]},
        "cpd_hours": {"type": "number", "minimum": 0},
        "completed": _nullable(ISO_DATE),
        "issued": ISO_DATE,
        "expires": {**_nullable(ISO_DATE), "description": "Last London date it is valid; null if it never expires."},
        "issuer": {"type": "object", "additionalProperties": False, "required": ["id", "name"],
                   "description": "The university partner that certifies the course.",
                   "properties": {"id": {"type": ["string", "null"]}, "name": {"type": ["string", "null"]}}},
        "links": {"type": "object", "required": ["page"],
                  "properties": {"page": {"type": "string", "format": "uri",
                                          "description": "The human verification page."},
                                 "credential": {"type": "string", "format": "uri",
                                                "description": "The Open Badges 3.0 credential (a VC-JWT)."}}},
    },
}

ERROR = {
    "type": "object",
    "additionalProperties": False,
    "required": ["error", "message"],
    "properties": {"error": {"type": "string", "enum": ["not_found", "rate_limited", "not_valid"]},
                   "message": {"type": "string"},
                   "status": {"type": "string", "enum": ["revoked", "superseded", "expired"]}},
}

VC_JWT = {"type": "string", "pattern": "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$",
          "description": "A compact JWS signed with ES256; its key is in /.well-known/jwks.json by its kid."}

CORS_HEADER = {"Access-Control-Allow-Origin": {"schema": {"type": "string", "const": "*"}, "required": True}}


def _json_answer(description: str, schema: dict) -> dict:
    return {"description": description, "headers": CORS_HEADER, "content": {"application/json": {"schema": schema}}}


ERROR_REF = {"$ref": "#/components/schemas/Error"}
CODE = {"name": "code", "in": "path", "required": True, "description": "The code on the certificate.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9-]+$"}}
ORGANISATION = {"name": "organisation", "in": "path", "required": True,
                "description": "The issuer's id: a university partner's organisation id, or 'programme'.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[a-z0-9-]+$"}}

#: Open Badges 3.0: documented here so a machine finds every public endpoint in one document.
BADGE_PATHS = {
    "/credentials/{code}": {"get": {
        "operationId": "getOpenBadgeCredential",
        "summary": "The certificate as an Open Badges 3.0 OpenBadgeCredential (VC-JWT)",
        "description": "Counts against the same lookup limit. ?download=1 sends it as a file.",
        "parameters": [CODE],
        "responses": {
            "200": {"description": "The signed credential.", "headers": CORS_HEADER,
                    "content": {"application/vc+jwt": {"schema": VC_JWT}}},
            "404": _json_answer("No certificate has that code, or its holder's record was removed.", ERROR_REF),
            "410": _json_answer("The certificate no longer stands (see status).", ERROR_REF),
            "429": {**_json_answer("Too many lookups from this network address.", ERROR_REF),
                    "headers": {**CORS_HEADER, "Retry-After": {"schema": {"type": "string"}, "required": True}}},
        }}},
    "/issuers/{organisation}": {"get": {
        "operationId": "getIssuerProfile",
        "summary": "An issuer's Open Badges 3.0 Profile (the id of the credentials' issuer)",
        "parameters": [ORGANISATION],
        "responses": {
            "200": _json_answer("The Profile.", {"type": "object", "required": ["id", "type", "name"]}),
            "404": _json_answer("No issuer has that id.", ERROR_REF),
        }}},
    "/issuers/{organisation}/status/{number}": {"get": {
        "operationId": "getStatusList",
        "summary": "The issuer's revocation list: a signed BitstringStatusListCredential (VC-JWT)",
        "parameters": [ORGANISATION, {"name": "number", "in": "path", "required": True,
                                      "schema": {"type": "integer", "minimum": 0, "maximum": 10_000}}],
        "responses": {
            "200": {"description": "The signed list, read live.", "headers": CORS_HEADER,
                    "content": {"application/vc+jwt": {"schema": VC_JWT}}},
            "404": _json_answer("No issuer has that id.", ERROR_REF),
        }}},
    "/.well-known/jwks.json": {"get": {
        "operationId": "getSigningKeys",
        "summary": "The public keys that sign credentials and status lists (JWKS)",
        "responses": {"200": _json_answer("The key set.", {
            "type": "object", "required": ["keys"],
            "properties": {"keys": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["kty", "kid"], "not": {"required": ["d"]}}}}})},
    }},
}


def document(server_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document, with `server_url` (the public address) as its one server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "NWL clinical innovation learning: certificate verification",
            "version": "1.0.0",
            "description": (
                "Check a certificate by the code printed on it. Lookups share one limit per network address "
                "with the /verify page. An unknown code and a malformed one get the same 404 answer."),
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/api/v1/certificates/{code}": {
                "get": {
                    "operationId": "getCertificate",
                    "summary": "A certificate's status and what was certified",
                    "parameters": [{
                        "name": "code", "in": "path", "required": True,
                        "description": "The code on the certificate, in any case, with or without dashes.",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 64,
                                   "pattern": "^[A-Za-z0-9-]+$"},
                        "example": "7KQ2-M9XD-4TRA-8B",
                    }],
                    "responses": {
                        "200": {"description": "The certificate's public record.", "headers": CORS_HEADER,
                                "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/Certificate"}}}},
                        "404": {"description": "No certificate has that code (or it is not a code).",
                                "headers": CORS_HEADER,
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "429": {"description": "Too many lookups from this network address in the last minute.",
                                "headers": {**CORS_HEADER,
                                            "Retry-After": {"schema": {"type": "string"}, "required": True}},
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    },
                },
            },
            **BADGE_PATHS,
        },
        "components": {"schemas": {"Certificate": CERTIFICATE, "Error": ERROR}},
    }
