"""Reading the OpenID Connect providers from configuration and registering them with Authlib."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

from config import SettingError

SETTING = "OIDC_PROVIDERS"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
DOMAIN = re.compile(r"^[a-z0-9.-]+\.[a-z]{2,}$")
REQUIRED = ("name", "label", "issuer", "client_id", "client_secret", "allowed_domains")


class SSOConfigError(SettingError):
    """The SSO setting is wrong; the message is one line that names the setting."""


@dataclass(frozen=True)
class Provider:
    name: str  # in URLs: /sso/<name>/start
    label: str  # "Sign in with <label>"
    issuer: str
    client_id: str
    client_secret: str
    allowed_domains: tuple[str, ...]

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def allows(self, email: str) -> bool:
        domain = email.rpartition("@")[2].lower()
        return any(domain == d or domain.endswith("." + d) for d in self.allowed_domains)


def parse(raw) -> list[Provider]:
    """`raw` is the JSON text (or an already parsed list); raises SSOConfigError naming what is wrong."""
    if raw in (None, "", []):
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as error:
            raise SSOConfigError(f"{SETTING} is not valid JSON: {error}") from None
    if not isinstance(raw, list):
        raise SSOConfigError(f"{SETTING} must be a JSON list of providers")
    found: list[Provider] = []
    for n, entry in enumerate(raw, start=1):
        where = f"{SETTING} provider {n}"
        if not isinstance(entry, dict):
            raise SSOConfigError(f"{where} must be an object with {', '.join(REQUIRED)}")
        missing = [key for key in REQUIRED if not entry.get(key)]
        if missing:
            raise SSOConfigError(f"{where} is missing {', '.join(missing)}")
        unknown = sorted(set(entry) - set(REQUIRED))
        if unknown:
            raise SSOConfigError(f"{where} has unknown setting {', '.join(unknown)}")
        name = str(entry["name"])
        if not NAME.match(name):
            raise SSOConfigError(f"{where}: name {name!r} must be lower-case letters, digits and hyphens")
        if any(p.name == name for p in found):
            raise SSOConfigError(f"{where}: name {name!r} is used twice")
        issuer = str(entry["issuer"])
        if not re.match(r"^https://", issuer) and not re.match(r"^http://(127\.0\.0\.1|localhost)[:/]", issuer):
            raise SSOConfigError(f"{where}: issuer {issuer!r} must be an https:// URL")
        domains = entry["allowed_domains"]
        if isinstance(domains, str) or not isinstance(domains, list):
            raise SSOConfigError(f"{where}: allowed_domains must be a list, e.g. [\"nhs.net\"]")
        domains = tuple(str(d).strip().lower().lstrip("@") for d in domains)
        bad = [d for d in domains if not DOMAIN.match(d)]
        if bad:
            raise SSOConfigError(f"{where}: allowed_domains has {', '.join(bad)}, not a domain like nhs.net")
        found.append(Provider(name=name, label=str(entry["label"]), issuer=issuer,
                              client_id=str(entry["client_id"]), client_secret=str(entry["client_secret"]),
                              allowed_domains=domains))
    return found


def init_app(app: Flask) -> None:
    """Parse the providers and register each with Authlib; raise SSOConfigError on a wrong setting."""
    configure(app, parse(app.config.get(SETTING)))
    app.context_processor(lambda: {"sso_providers": providers})  # the list, read per page


def configure(app: Flask, found: list[Provider]) -> None:
    oauth = OAuth()
    oauth.init_app(app)
    for provider in found:
        oauth.register(
            provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.metadata_url,
            # PKCE on every provider, and "openid" in scope, which makes Authlib send a nonce.
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
        )
    app.extensions["lms_sso"] = {"providers": {p.name: p for p in found}, "oauth": oauth}


def providers() -> list[Provider]:
    return list(current_app.extensions["lms_sso"]["providers"].values())


def get(name: str) -> Provider | None:
    return current_app.extensions["lms_sso"]["providers"].get(name)


def client(name: str):
    return current_app.extensions["lms_sso"]["oauth"].create_client(name)
