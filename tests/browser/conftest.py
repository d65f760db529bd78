"""Headless Chromium (Debian's) driven by Playwright, against the app served on localhost.

Every page a test visits is checked with axe; serious or critical violations fail the test.
Where no Chromium is found the tests are skipped with a message (a failure when LMS_REQUIRE_ALL=1).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from lms import create_app
from lms.extensions import db
from tests.conftest import skip_or_fail

try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # the browser tests skip without Playwright
    PlaywrightError = Exception

CHROMIUM = os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CONTENT_DIR = ROOT / "content"
BLOCKING_IMPACTS = {"serious", "critical"}


class ClosingRequestHandler(WSGIRequestHandler):
    """werkzeug's development server, closing every response however its request ends.

    When a browser drops a connection (leaving a page while its favicon.svg is still being sent),
    the server's clean-up raises on the dead socket before it closes the response, so the file
    stays open until garbage collection, whose ResourceWarning our settings make an error.
    """

    def run_wsgi(self) -> None:
        try:
            super().run_wsgi()
        finally:
            response = getattr(self, "environ", {}).get(RESPONSE_KEY)
            if response is not None and hasattr(response, "close"):
                response.close()  # closing twice is harmless: files and ClosingIterator allow it


RESPONSE_KEY = "tests.response"


def remember_response(wsgi_app):
    """Keep the response iterable in the WSGI environment, where the handler above finds it."""

    def app(environ, start_response):
        environ[RESPONSE_KEY] = response = wsgi_app(environ, start_response)
        return response

    return app


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app on a free localhost port, with a fresh SQLite database (browser tests stay on SQLite)."""
    from config import TestingConfig
    from lms.accounts.services import sync_organisations

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'browser.sqlite3'}"

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        CONTENT_CACHE_DIR = str(tmp_path_factory.mktemp("content-cache"))

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        sync_organisations()
        db.session.commit()
    # The shipped courses, published as `make run` publishes them.
    result = app.test_cli_runner().invoke(args=["content", "build", str(CONTENT_DIR)])
    assert result.exit_code == 0, result.output
    app.wsgi_app = remember_response(app.wsgi_app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=ClosingRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.app = app
    server.url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = server.url  # printed on certificates and in their QR codes
    yield server
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"No Chromium at {CHROMIUM}: install it with 'apt-get install chromium'")
    if not AXE_JS.exists():
        skip_or_fail(f"axe-core is missing at {AXE_JS}: run 'npm ci'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


class AxeChecker:
    """Runs axe on each page visited and remembers what it found."""

    def __init__(self):
        self.checked: list[str] = []
        self.missed: list[str] = []
        self.violations: list[str] = []

    def check_on_load(self, page) -> None:
        """Called on every page load; a page the test left before axe finished is checked again at the end."""
        url = page.url
        try:
            self.check(page)
        except PlaywrightError:
            self.missed.append(url)

    def check_missed(self, context) -> None:
        for url in self.missed:
            if url in self.checked:
                continue
            tab = context.new_page()
            tab.goto(url)
            self.check(tab)
            tab.close()

    def check(self, page) -> None:
        page.add_script_tag(path=str(AXE_JS))
        result = page.evaluate(
            "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"
        )
        self.checked.append(page.url)
        for violation in result["violations"]:
            if violation["impact"] in BLOCKING_IMPACTS:
                targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
                self.violations.append(
                    f"{page.url}: {violation['impact']} {violation['id']}: {violation['help']} at {targets}"
                )


@pytest.fixture
def axe():
    checker = AxeChecker()
    yield checker
    assert checker.checked, "the test visited no page that axe checked"
    assert checker.violations == [], "\n".join(checker.violations)


@pytest.fixture
def page(browser, live_server, axe):
    """A fresh browser tab; every page load (navigation or form submission) is checked by axe."""
    # bypass_csp lets the test inject axe; the app's own pages never need it.
    context = browser.new_context(bypass_csp=True, base_url=live_server.url, viewport={"width": 1024, "height": 900})
    tab = context.new_page()
    tab.on("load", axe.check_on_load)
    yield tab
    axe.check_missed(context)
    context.close()
