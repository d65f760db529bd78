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
    "properties": {"error": {"type": "string", "enum": ["not_found", "rate_limited"]},
                   "message": {"type": "string"}},
}

CORS_HEADER = {"Access-Control-Allow-Origin": {"schema": {"type": "string", "const": "*"}, "required": True}}


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
        },
        "components": {"schemas": {"Certificate": CERTIFICATE, "Error": ERROR}},
    }
