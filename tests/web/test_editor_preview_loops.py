"""The editor's live preview of Markdown that once made the compiler loop for ever: it answers with the
lesson and its findings, and a loop the renderer cannot untangle is an error for the author, not a stuck
request holding the renderer's lock."""

from __future__ import annotations

import html

import pytest

from courses.render import TOO_COMPLEX
from lms.catalog.models import Course
from lms.catalog.services import add_course_staff
from lms.extensions import db
from tests.unit.courses.course_helpers import time_limit

pytestmark = pytest.mark.db

PREVIEW = "/manage/courses/tiny-course/source/preview/01-one/01-read.md"
LESSON = "---\nid: read\ntitle: Read\n---\n\n"


@pytest.fixture
def educator(tiny_course, make_user, login):
    user = make_user("educator")
    add_course_staff(db.session.get(Course, tiny_course.id), user, "educator")
    db.session.commit()
    login(user)
    return user


def preview(client, body: str) -> str:
    with time_limit(20):
        response = client.post_form(PREVIEW, {"text": LESSON + body + "\n", "track": "ahp"})
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("body", ["m\n: ///details\n///\n///details", "m\n: /// note\n///\n/// note"])
def test_preview_of_a_block_opened_in_a_definition_shows_the_lesson_and_its_stray_lines(client, educator, body):
    page = preview(client, body)
    assert "<dt>m</dt>" in page
    assert ":8: error E054" in page and ":9: error E050" in page


def test_preview_of_a_loop_the_renderer_cannot_untangle_shows_the_error(client, educator, monkeypatch):
    monkeypatch.setattr("courses.mdguard._guard_blocks", lambda processor: None)
    monkeypatch.setattr("courses.render._renderer", None)
    page = preview(client, "Not cached.\n\nm\n: ///details\n///\n///details")  # not the text above
    assert f":5: error E070: {TOO_COMPLEX}" in page
