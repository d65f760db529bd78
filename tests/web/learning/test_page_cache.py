"""Reading lessons drawn once per revision and track (lms/learning/pagecache.py) and filled per learner."""

import re
from collections import OrderedDict
from datetime import timedelta

import pytest
from flask import render_template_string
from markupsafe import Markup
from sqlalchemy import delete, func, select, update

from lms.accounts.models import UserSession
from lms.catalog.models import Course
from lms.clock import utcnow
from lms.extensions import db
from lms.learning import pagecache
from lms.learning.models import Enrolment
from tests.conftest import log_in
from tests.web.accounts.test_sessions import copy_cookies
from tests.web.publishing.course_files import write_course

READ = "/courses/tiny-course/m-one/l-read/"
REFLECTION = "\n/// reflection | r-read\nWhat will you try first?\n///\n"


@pytest.fixture
def publish_with_reflection(runner, tmp_path):
    """The tiny course with a reflection prompt in its first reading; publish(body=...) republishes it changed."""

    def publish(body="First lesson."):
        folder = tmp_path / "content"
        write_course(folder)
        lesson = folder / "tiny-course" / "01-one" / "01-read.md"
        lesson.write_text(lesson.read_text().replace("First lesson.", body) + REFLECTION)
        result = runner.invoke(args=["content", "build", str(folder)])
        assert result.exit_code == 0, result.output

    return publish


def full_path(client, monkeypatch, url: str) -> str:
    """The page as the full (uncached) path draws it."""
    with monkeypatch.context() as patch:
        patch.setattr(pagecache, "lesson_page", lambda *args: None)
        return client.get(url).get_data(as_text=True)


def same_token(html: str) -> str:
    # Two requests may sign the session's one CSRF token at different seconds.
    return re.sub(r'(name="[\w-]*csrf_token"[^>]*? value=")[^"]+"', r'\1"', html)


def test_learners_on_other_tracks_and_progress_get_their_own_page_and_a_republish_redraws_it(
        app, publish_with_reflection, make_user, monkeypatch):
    publish_with_reflection()
    pages = {}
    for name, track, note, message in (("junior", "junior", "Ask the ward <team>\nthen & the matron",
                                        "‘Reading one’ is complete."),
                                       ("postgraduate", "postgraduate", None, "You are enrolled on Tiny course")):
        client = app.test_client()
        assert log_in(client, make_user(full_name=f"Learner {name}").email).status_code == 302
        response = client.post_form("/courses/tiny-course/enrol", {"track": track})
        assert response.status_code == 302
        if note:
            client.post_form(READ + "reflections/r-read", {"r-read-text": note})
            client.post_form(READ + "complete", {"r-read-text": note})
        assert message in client.get(READ).get_data(as_text=True)  # the page with the message, then plain ones
        pages[name] = (client, client.get(READ).get_data(as_text=True))
        assert same_token(pages[name][1]) == same_token(full_path(client, monkeypatch, READ))
        assert same_token(pages[name][1]) == same_token(client.get(READ).get_data(as_text=True))  # kept, refilled

    junior, postgraduate = pages["junior"][1], pages["postgraduate"][1]
    assert "Ask the ward &lt;team&gt;\nthen &amp; the matron</textarea>" in junior and "Last saved" in junior
    assert "Ask the ward" not in postgraduate and "Last saved" not in postgraduate
    assert "Learner junior" in junior and "Learner junior" not in postgraduate
    assert "Mark as complete" in postgraduate and "Mark as complete" not in junior
    assert "(complete)</span> ✓" in junior and "(complete)</span>" not in postgraduate
    assert len(pagecache._CACHE) == 2

    publish_with_reflection(body="A lesson rewritten.")
    for client, _before in pages.values():
        html = client.get(READ).get_data(as_text=True)
        assert "A lesson rewritten." in html and "First lesson." not in html
        assert same_token(html) == same_token(full_path(client, monkeypatch, READ))


def test_the_dashboard_email_callout_drawn_once_is_the_one_the_include_draws(app, make_user, monkeypatch):
    def drawn_each_time():  # what the template's include drew before
        return Markup(render_template_string('{% include "accounts/_unverified_notice.html" %}'))  # noqa: S704

    for verified in (False, True):
        client = app.test_client()
        assert log_in(client, make_user(verified=verified).email).status_code == 302
        cached = [client.get("/dashboard").get_data(as_text=True) for _ in range(2)]
        with monkeypatch.context() as patch:
            patch.setattr(pagecache, "unverified_notice", drawn_each_time)
            full = client.get("/dashboard").get_data(as_text=True)
        assert ("Confirm your email address" in full) is not verified
        assert same_token(cached[0]) == same_token(cached[1]) == same_token(full)


# --- review: inputs that try to make the cache serve one person's page to another, or a page the full path
# would not serve

TOKEN = re.compile(r'name="[\w-]*csrf_token"[^>]*? value="([^"]+)"')
NASTY_NAME = 'Ann <script>alert(1)</script> & \x00name:x\x00 \x00csrf:\x00'
NASTY_NOTE = 'Note <script>x()</script> & \x00text:r-read\x00 \x00name:\x00 \x00lesson:1\x00 end'


def signed_in(app, make_user, track, **fields):
    client = app.test_client()
    user = make_user(**fields)
    assert log_in(client, user.email).status_code == 302
    assert client.post_form("/courses/tiny-course/enrol", {"track": track}).status_code == 302
    client.get(READ)  # the enrolment message, shown once
    return client, user


def test_a_learner_on_the_same_track_never_gets_the_drawers_name_note_or_token(
        app, publish_with_reflection, make_user, monkeypatch):
    publish_with_reflection()
    ann, ann_user = signed_in(app, make_user, "junior", full_name="Ann")
    # Past the name rule (NUL is refused there), as if in the row already; PostgreSQL cannot hold a NUL at all.
    ann_user.full_name = NASTY_NAME if db.engine.dialect.name == "sqlite" else NASTY_NAME.replace("\x00", "|")
    db.session.commit()
    ann.post_form(READ + "reflections/r-read", {"r-read-text": NASTY_NOTE})
    ann.get(READ)  # the "saved" message
    drawn = ann.get(READ).get_data(as_text=True)  # Ann's request draws the skeleton
    assert len(pagecache._CACHE) == 1
    assert same_token(drawn) == same_token(full_path(ann, monkeypatch, READ))
    ann_tokens = set(TOKEN.findall(drawn))

    bob, _ = signed_in(app, make_user, "junior", full_name="Bob Smith")
    page = bob.get(READ).get_data(as_text=True)
    assert len(pagecache._CACHE) == 1  # served from Ann's drawing
    assert same_token(page) == same_token(full_path(bob, monkeypatch, READ))
    assert "Ann" not in page and "Note" not in page and "\x00" not in page and "Last saved" not in page
    assert not ann_tokens & set(TOKEN.findall(page))
    # The token filled into Bob's page is good for Bob's session (and Ann's is not).
    assert bob.post(READ + "complete", data={"csrf_token": sorted(ann_tokens)[0]}).status_code == 400
    assert bob.post(READ + "complete", data={"csrf_token": TOKEN.findall(page)[-1]}).status_code == 302
    # Ann's own page again, filled from the cache, still hers and escaped as the full path escapes it.
    again = ann.get(READ).get_data(as_text=True)
    assert same_token(again) == same_token(full_path(ann, monkeypatch, READ))
    assert "<script>" not in again and "Bob" not in again and "Note &lt;script&gt;" in again


def test_a_staff_member_enrolled_as_a_learner_does_not_share_a_page_with_learners(
        app, publish_with_reflection, make_user, monkeypatch):
    publish_with_reflection()
    staff, _ = signed_in(app, make_user, "junior", role="admin", full_name="Ada Admin")
    staff_page = staff.get(READ).get_data(as_text=True)
    learner, _ = signed_in(app, make_user, "junior", full_name="Lee Learner")
    page = learner.get(READ).get_data(as_text=True)
    assert same_token(page) == same_token(full_path(learner, monkeypatch, READ))
    assert same_token(staff_page) == same_token(full_path(staff, monkeypatch, READ))
    assert page != staff_page


def test_withdrawn_enrolment_unpublished_course_and_strangers_get_what_the_full_path_gives(
        app, publish_with_reflection, make_user, monkeypatch):
    publish_with_reflection()
    ann, ann_user = signed_in(app, make_user, "junior")
    assert ann.get(READ).status_code == 200  # drawn and cached
    stranger = app.test_client()
    assert log_in(stranger, make_user().email).status_code == 302
    assert stranger.get(READ).status_code == 403

    db.session.execute(update(Course).values(status="draft"))
    db.session.commit()
    with monkeypatch.context() as patch:
        patch.setattr(pagecache, "lesson_page", lambda *args: None)
        want = ann.get(READ).status_code
    assert ann.get(READ).status_code == want

    db.session.execute(update(Course).values(status="published"))
    db.session.execute(delete(Enrolment).where(Enrolment.user_id == ann_user.id))
    db.session.commit()
    assert ann.get(READ).status_code == 403


class EvictedMeanwhile(OrderedDict):
    """A shared cache whose key another thread pushes out (the cache being full) right after it is found."""

    def __contains__(self, key):
        found = super().__contains__(key)
        self.pop(key, None)
        return found

    def get(self, key, default=None):
        found = super().get(key, default)
        self.pop(key, None)
        return found


def test_a_page_or_structure_evicted_by_another_thread_meanwhile_is_not_a_server_error(
        app, publish_with_reflection, make_user, monkeypatch):
    """gunicorn runs 4 threads a process: between this request's look-up and its read of a cache another
    request may push the key out. Simulated: the key goes right after it is found."""
    from lms.learning import progress

    publish_with_reflection()
    ann, _ = signed_in(app, make_user, "junior")
    assert ann.get(READ).status_code == 200
    monkeypatch.setattr(pagecache, "_CACHE", EvictedMeanwhile(pagecache._CACHE))
    assert ann.get(READ).status_code == 200
    monkeypatch.setattr(progress, "_STRUCTURE_CACHE", EvictedMeanwhile(progress._STRUCTURE_CACHE))
    assert ann.get(READ).status_code == 200
    assert ann.get("/dashboard").status_code == 200


# --- the session looked up in the page's own statement (sessions.signed_in_with)


def test_a_cached_lesson_is_one_statement_that_also_looks_the_session_up(
        app, publish_with_reflection, make_user, count_queries):
    publish_with_reflection()
    ann, _ = signed_in(app, make_user, "junior")
    ann.get(READ)  # drawn, and "Continue" moved here
    counted = count_queries(lambda: ann.get(READ))
    assert len(counted.statements) == 1, counted.statements
    assert "user_sessions" in counted.statements[0] and "reflection_notes" in counted.statements[0]
    # The full path (a query string) looks the session up once too, before anything else.
    counted = count_queries(lambda: ann.get(READ + "?x=1"))
    assert len([s for s in counted.statements if "user_sessions" in s]) == 1
    assert "user_sessions" in counted.statements[0]


def test_a_copied_cookie_stops_opening_a_cached_lesson_at_logout_and_an_idle_session_ends(
        app, publish_with_reflection, make_user):
    publish_with_reflection()
    ann, _ = signed_in(app, make_user, "junior", full_name="Ann Example")
    thief = copy_cookies(app, ann)
    assert "Ann Example" in thief.get(READ).get_data(as_text=True)
    ann.post_form("/logout")
    response = thief.get(READ)
    assert response.status_code == 302 and "/login" in response.location

    bob, _ = signed_in(app, make_user, "junior")
    assert bob.get(READ).status_code == 200
    with db.engine.begin() as conn:
        conn.execute(update(UserSession).where(UserSession.ended_at.is_(None))
                     .values(last_seen_at=utcnow() - timedelta(minutes=31)))
    response = bob.get(READ)
    assert response.status_code == 302 and "/login" in response.location
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.ended_at.is_(None))) == 0


def test_a_deactivated_learner_cannot_open_a_cached_lesson(app, publish_with_reflection, make_user):
    publish_with_reflection()
    ann, user = signed_in(app, make_user, "junior")
    assert ann.get(READ).status_code == 200
    user.deactivated_at = utcnow()
    db.session.commit()
    assert ann.get(READ).status_code == 302


def test_a_page_drawn_under_one_script_root_is_not_served_under_another(
        app, publish_with_reflection, make_user, monkeypatch):
    publish_with_reflection()
    ann, _ = signed_in(app, make_user, "junior", full_name="Ann")
    ann.get(READ)  # drawn at the site's root
    under_prefix = "http://localhost/lms/"
    page = ann.get(READ, base_url=under_prefix).get_data(as_text=True)
    with monkeypatch.context() as patch:
        patch.setattr(pagecache, "lesson_page", lambda *args: None)
        full = ann.get(READ, base_url=under_prefix).get_data(as_text=True)
    assert 'href="/lms/courses/tiny-course/' in full
    assert same_token(page) == same_token(full)
