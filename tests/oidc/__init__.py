"""A real OpenID Connect provider (npm oidc-provider) for the tests, run by Node on a free port."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("provider.mjs")
SECRET = "test-client-secret-of-at-least-32-characters"


class OIDCServer:
    def __init__(self, clients: list[dict]):
        node = shutil.which("node")
        if node is None:
            skip_or_fail("Node.js is not installed: the OpenID Connect provider tests need it")
        if not (ROOT / "node_modules" / "oidc-provider").exists():
            skip_or_fail("node_modules/oidc-provider is missing: run 'npm ci'")
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - open while it runs; closed in stop()
        self.process = subprocess.Popen(
            [node, str(SCRIPT), json.dumps({"clients": clients})], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()  # it prints one line, once it listens
        if not line:
            self.process.wait(timeout=10)
            self.log.seek(0)
            output = self.log.read()
            self.stop()
            raise RuntimeError(f"the OpenID Connect provider did not start: {output}")
        self.issuer = json.loads(line)["issuer"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.log.close()


def provider_config(issuer: str, name: str = "local", client_id: str = "lms",
                    domains: tuple[str, ...] = ("nhs.net", "example.ac.uk")) -> dict:
    return {"name": name, "label": "Test NHSmail", "issuer": issuer, "client_id": client_id,
            "client_secret": SECRET, "allowed_domains": list(domains)}


def sign_in_at_provider(authorize_url: str, email: str, name: str, stop_at: str) -> str:
    """Act as the person's browser at the provider: follow its redirects, fill in its sign-in form.

    Returns the URL the provider finally sends the browser to (the one starting with `stop_at`).
    """
    browser = requests.Session()
    url, method, data = authorize_url, "GET", None
    for _ in range(20):
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url, method, data = urljoin(url, response.headers["Location"]), "GET", None
            if url.startswith(stop_at):
                return url
            continue
        assert response.status_code == 200, response.text[:500]
        assert 'name="email"' in response.text, response.text[:500]
        method, data = "POST", {"email": email, "name": name}
    raise AssertionError("the provider never sent the browser back")


@pytest.fixture(scope="session")
def oidc_server_factory():
    """oidc_server_factory(clients) starts a provider; every one started is stopped at the end."""
    started: list[OIDCServer] = []

    def start(clients: list[dict]) -> OIDCServer:
        server = OIDCServer(clients)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
