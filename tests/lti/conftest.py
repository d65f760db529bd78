"""Fixtures for the LTI tests: a running platform, its registration, and a course with a final."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import requests

from lms.catalog.queries import find_course
from lms.clock import utcnow
from lms.extensions import db
from lms.lti import services
from tests.lti.platform import LaunchSpec, Platform
from tests.web.conftest import imperial_signatory, publish, tiny_course  # noqa: F401 - shared fixtures
from tests.web.publishing.course_files import write_course

LAUNCH_URL = "http://localhost/lti/launch"


@pytest.fixture
def platform():
    running = Platform().start()
    running.tool_launch_urls = [LAUNCH_URL]
    yield running
    running.stop()


@pytest.fixture
def registered(app, platform, make_user):
    """The platform registered by an admin, with the tool's key set handed to the platform."""
    admin = make_user("admin")
    row = services.save_platform(None, {**platform.registration(), "name": "Test VLE", "default_track": None,
                                        "organisation_id": "imperial-college-london", "active": True},
                                 actor_id=admin.id, now=utcnow())
    db.session.commit()
    return row


@pytest.fixture
def course_with_final(runner, tmp_path):
    """The tiny course, its knowledge check made a final assessment (three attempts)."""
    folder = tmp_path / "content"
    course = write_course(folder)
    check = course / "01-one" / "03-check.md"
    check.write_text(check.read_text().replace("pass_mark: 50\n", "pass_mark: 50\nattempts: 3\n"))
    result = runner.invoke(args=["content", "build", str(folder)])
    assert result.exit_code == 0, result.output
    return find_course("tiny-course")


def give_tool_keys(client, platform) -> None:
    platform.tool_jwks = client.get("/lti/jwks.json").get_json()


def launch(client, platform, spec: LaunchSpec, *, state: str | None = None, post_twice: bool = False):
    """Login initiation, the platform's authentication endpoint over HTTP, then the launch form post."""
    hint = platform.prepare(spec)
    started = client.post("/lti/login", data=platform.login_params(hint, LAUNCH_URL))
    assert started.status_code == 302, started.get_data(as_text=True)[:500]
    answer = requests.get(started.headers["Location"], timeout=10)
    assert answer.status_code == 200, answer.text[:500]
    action = re.search(r'action="([^"]+)"', answer.text).group(1)
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]*)"', answer.text))
    if state is not None:
        fields["state"] = state
    path = urlsplit(action).path
    response = client.post(path, data=fields)
    if post_twice:
        response = client.post(path, data=fields)
    return response
