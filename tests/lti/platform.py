"""A small LTI 1.3 platform (the VLE side) for tests, built on joserfc and served over real HTTP.

It signs ID tokens with its own RSA key and serves its key set, an OIDC authentication endpoint, an
OAuth 2 token endpoint (client credentials with a JWT assertion checked against the tool's published
keys), a Names and Role Provisioning roster (paged), an AGS score endpoint and a deep-linking return
endpoint. Nothing here imports the tool's code: it sees the tool only through HTTP and its JWKS.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask, abort, jsonify, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


@dataclass
class LaunchSpec:
    """What the next launch for a login hint says; the tampering fields make a bad launch on purpose."""

    sub: str
    email: str | None
    name: str = "Test Learner"
    roles: list[str] = field(default_factory=lambda: [LEARNER])
    message_type: str = "LtiResourceLinkRequest"
    resource_link_id: str = "rl-1"
    context_id: str = "module-101"
    custom: dict[str, str] = field(default_factory=dict)
    lineitem: bool = True
    deployment_id: str | None = None
    nonce: str | None = None
    exp_in: int = 300
    audience: str | list[str] | None = None
    sign_with: RSAKey | None = None


class Platform:
    def __init__(self, client_id: str = "nhs-lms-tool", deployment_id: str = "deployment-1"):
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.key = RSAKey.generate_key(2048, private=True, parameters={"kid": "platform-key-1"})
        self.tool_launch_urls: list[str] = []
        self.tool_jwks: dict | None = None
        self.tool_jwks_url: str | None = None
        self.tool_login_url: str | None = None
        self.pending: dict[str, LaunchSpec] = {}
        self.tokens: dict[str, list[str]] = {}
        self.members: dict[str, list[dict]] = {}
        self.scores: list[dict] = []
        self.deep_links: list[dict] = []
        self.token_requests = 0
        self.key_set_requests = 0
        self.down = False
        self.app = self._make_app()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- running ---------------------------------------------------------------------------------

    def start(self) -> Platform:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    @property
    def issuer(self) -> str:
        return self.base_url

    def registration(self) -> dict[str, Any]:
        """What an admin types into the tool's registration form."""
        return {"issuer": self.issuer, "client_id": self.client_id, "deployment_ids": [self.deployment_id],
                "key_set_url": self.base_url + "/jwks", "auth_login_url": self.base_url + "/auth",
                "token_url": self.base_url + "/token"}

    def prepare(self, spec: LaunchSpec) -> str:
        """Remember a launch; returns the lti_message_hint to send with the login initiation."""
        hint = secrets.token_urlsafe(8)
        self.pending[hint] = spec
        return hint

    def login_params(self, hint: str, target: str) -> dict[str, str]:
        return {"iss": self.issuer, "login_hint": self.pending[hint].sub, "target_link_uri": target,
                "lti_message_hint": hint, "client_id": self.client_id}

    def rotate_key(self) -> None:
        """Sign from now on with a new key under a new kid, publishing only that one (as a platform rotates)."""
        self.key = RSAKey.generate_key(2048, private=True, parameters={"kid": "platform-key-" + secrets.token_hex(4)})

    def lineitem_url(self, context_id: str, resource_link_id: str) -> str:
        return f"{self.base_url}/contexts/{context_id}/lineitems/{resource_link_id}"

    def scores_for(self, sub: str) -> list[dict]:
        return [s for s in self.scores if s["score"].get("userId") == sub]

    # --- the tool's keys --------------------------------------------------------------------------

    def _tool_keys(self) -> KeySet:
        jwks = self.tool_jwks
        if jwks is None and self.tool_jwks_url:
            jwks = requests.get(self.tool_jwks_url, timeout=10).json()
        if jwks is None:
            abort(500, "the test gave the platform no tool key set")
        return KeySet.import_key_set(jwks)

    def _check_tool_jwt(self, token: str, audience: str) -> dict:
        try:
            decoded = jwt.decode(token, self._tool_keys(), algorithms=["RS256"])
        except (JoseError, ValueError) as error:
            abort(401, f"bad tool signature: {error}")
        claims = decoded.claims
        aud = claims.get("aud")
        if audience not in (aud if isinstance(aud, list) else [aud]):
            abort(401, "wrong audience")
        if claims.get("exp", 0) < time.time():
            abort(401, "expired")
        return claims

    def _bearer_scopes(self) -> list[str]:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in self.tokens:
            abort(401)
        return self.tokens[header[7:]]

    # --- HTTP --------------------------------------------------------------------------------------

    def _make_app(self) -> Flask:
        app = Flask("test-lti-platform")
        platform = self

        @app.before_request
        def maybe_down():
            if platform.down and request.path != "/jwks":
                abort(503)

        @app.get("/modules/<context_id>/<hint>")
        def module_page(context_id, hint):
            """The VLE's module page, with the tool in an iframe (as Moodle and Canvas show it)."""
            return ('<!doctype html><html lang="en"><head><title>INN101 – Test VLE</title></head><body><main>'
                    f'<h1>INN101: Innovation in practice</h1><iframe title="Course" width="1000" height="800" '
                    f'src="/launch-frame/{html.escape(hint)}"></iframe></main></body></html>')

        @app.get("/launch-frame/<hint>")
        def launch_frame(hint):
            """Third-party login initiation: the frame's first page posts to the tool's login URL."""
            fields = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                             for k, v in platform.login_params(hint, platform.tool_launch_urls[0]).items())
            return (f'<!doctype html><html lang="en"><head><title>Opening the tool</title></head><body><main>'
                    f'<form id="start" method="post" action="{html.escape(platform.tool_login_url or "")}">{fields}'
                    f'<button type="submit">Open</button></form>'
                    f'<script>document.getElementById("start").submit()</script></main></body></html>')

        @app.get("/jwks")
        def jwks():
            platform.key_set_requests += 1
            return jsonify(KeySet([platform.key]).as_dict(private=False))

        @app.get("/auth")
        def auth():
            args = request.args
            if (args.get("scope") != "openid" or args.get("response_type") != "id_token"
                    or args.get("response_mode") != "form_post" or args.get("client_id") != platform.client_id
                    or args.get("redirect_uri") not in platform.tool_launch_urls or not args.get("nonce")):
                abort(400, "bad authentication request")
            spec = platform.pending.get(args.get("lti_message_hint", ""))
            if spec is None or args.get("login_hint") != spec.sub:
                abort(400, "unknown launch")
            token = platform.id_token(spec, args["nonce"], args["redirect_uri"])
            return (f'<!doctype html><html lang="en"><head><title>Launching</title></head><body>'
                    f'<form id="launch" method="post" action="{html.escape(args["redirect_uri"])}">'
                    f'<input type="hidden" name="id_token" value="{token}">'
                    f'<input type="hidden" name="state" value="{html.escape(args.get("state", ""))}">'
                    f'<button type="submit">Continue</button></form>'
                    f'<script>document.getElementById("launch").submit()</script></body></html>')

        @app.post("/token")
        def token():
            form = request.form
            if (form.get("grant_type") != "client_credentials"
                    or form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"):
                abort(400)
            claims = platform._check_tool_jwt(form.get("client_assertion", ""), platform.base_url + "/token")
            if claims.get("iss") != platform.client_id or claims.get("sub") != platform.client_id:
                abort(401)
            platform.token_requests += 1
            access = secrets.token_urlsafe(16)
            platform.tokens[access] = form.get("scope", "").split()
            return jsonify(access_token=access, token_type="bearer", expires_in=3600, scope=form.get("scope"))

        @app.get("/contexts/<context_id>/memberships")
        def memberships(context_id):
            if NRPS_SCOPE not in platform._bearer_scopes():
                abort(403)
            members = platform.members.get(context_id, [])
            page = int(request.args.get("page", "0"))
            body = {"id": request.url, "context": {"id": context_id}, "members": members[page * 2:page * 2 + 2]}
            response = jsonify(body)
            response.headers["Content-Type"] = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
            if (page + 1) * 2 < len(members):
                response.headers["Link"] = (f'<{platform.base_url}/contexts/{context_id}/memberships?page={page + 1}>;'
                                            ' rel="next"')
            return response

        @app.post("/contexts/<context_id>/lineitems/<item>/scores")
        def scores(context_id, item):
            if SCORE_SCOPE not in platform._bearer_scopes():
                abort(403)
            if request.content_type != "application/vnd.ims.lis.v1.score+json":
                abort(415)
            platform.scores.append({"lineitem": f"{context_id}/{item}", "score": request.get_json(force=True)})
            return "", 204

        @app.post("/deep-link-return")
        def deep_link_return():
            claims = platform._check_tool_jwt(request.form.get("JWT", ""), platform.issuer)
            if (claims.get("iss") != platform.client_id
                    or claims.get(LTI + "message_type") != "LtiDeepLinkingResponse"
                    or claims.get(LTI + "deployment_id") != platform.deployment_id):
                abort(400)
            platform.deep_links.append(claims)
            return "<!doctype html><title>Added</title><p>Link added.</p>"

        return app

    def id_token(self, spec: LaunchSpec, nonce: str, target: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": spec.audience or self.client_id, "sub": spec.sub, "iat": now,
            "exp": now + spec.exp_in,
            "nonce": spec.nonce or nonce, "name": spec.name,
            LTI + "deployment_id": spec.deployment_id or self.deployment_id,
            LTI + "message_type": spec.message_type, LTI + "version": "1.3.0", LTI + "roles": spec.roles,
            LTI + "target_link_uri": target,
            LTI + "context": {"id": spec.context_id, "label": "INN101", "title": "Innovation in practice"},
            NRPS: {"context_memberships_url": f"{self.base_url}/contexts/{spec.context_id}/memberships",
                   "service_versions": ["2.0"]},
        }
        if spec.email:
            claims["email"] = spec.email
        if spec.custom:
            claims[LTI + "custom"] = spec.custom
        if spec.message_type == "LtiResourceLinkRequest":
            claims[LTI + "resource_link"] = {"id": spec.resource_link_id, "title": "Course link"}
            if spec.lineitem:
                claims[AGS] = {"scope": [LINEITEM_SCOPE, SCORE_SCOPE],
                               "lineitems": f"{self.base_url}/contexts/{spec.context_id}/lineitems",
                               "lineitem": self.lineitem_url(spec.context_id, spec.resource_link_id)}
        else:
            claims[DL + "deep_linking_settings"] = {
                "deep_link_return_url": self.base_url + "/deep-link-return", "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"], "data": "opaque-platform-data"}
        key = spec.sign_with or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid or "platform-key-1"}, claims, key)
