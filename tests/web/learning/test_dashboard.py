"""The dashboard drawn once and filled per learner (lms/learning/dashboard.py) is, byte for byte, the page
the template drew before (kept as dashboard_before.html with the view's old context), for learners in
every state."""

import re
from datetime import timedelta
from pathlib import Path

from flask import render_template_string
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import delete, select

from lms.catalog.models import Course
from lms.clock import utcnow
from lms.credentials import queries as credential_queries
from lms.credentials.models import Certificate
from lms.extensions import db, login_manager
from lms.learning import dashboard, pagecache, views
from lms.learning.models import Enrolment
from tests.conftest import log_in
from tests.web.credentials.test_certificates import LESSONS, complete_course
from tests.web.learning.helpers import enrol
from tests.web.learning.test_query_counts import add_my_courses

BEFORE = (Path(__file__).parent / "dashboard_before.html").read_text(encoding="utf-8")


class Macro:
    """One of the view's NHS fragments as it was, rendered in full each call."""

    def __init__(self, source: str):
        self.source = source

    def __call__(self, **values) -> Markup:
        return Markup(render_template_string(self.source, **values))  # noqa: S704 - the template's escaping


FRAGMENTS = {
    "hours": Macro(
        '{% from "nhsuk/components/summary-list/macro.jinja" import summaryList %}'
        '{% from "nhsuk/components/summary-list/row/macro.jinja" import summaryListRow %}'
        '{% call summaryList({}) %}\n'
        '  {{ summaryListRow({"key": {"text": "CPD hours earned"}, "value": {"text": earned}}) }}\n'
        '  {{ summaryListRow({"key": {"text": "CPD hours in progress"}, "value": {"text": in_progress}}) }}\n'
        '{% endcall %}'),
    "card": Macro(
        '{% from "nhsuk/components/card/macro.jinja" import card %}'
        '{% call card({"headingLevel": 2, "headingClasses": "nhsuk-heading-m", "heading": heading, "href": href}) %}'
        '{{ body }}{% endcall %}'),
    "button": Macro(
        '{% from "nhsuk/components/button/macro.jinja" import button %}{% call button({"href": href}) %}{{ body }}'
        '{% endcall %}'),
}


def page_before() -> str:
    """The dashboard as the view drew it before: ORM rows from `_my_courses`, the template doing the rest."""
    rows = views._my_courses()
    return render_template_string(
        BEFORE, rows=rows, earned=sum(r["earned"] for r in rows),
        in_progress=sum(r["hours"] for r in rows if not r["enrolment"].completed_at),
        fragments=FRAGMENTS, unverified_notice=pagecache.unverified_notice(),
        my_certificate_problems=lambda: credential_queries.my_certificate_problems(current_user))


def same_token(html: str) -> str:
    # Two requests may sign the session's one CSRF token at different seconds.
    return re.sub(r'(name="csrf_token" value=")[^"]+"', r'\1"', html)


def assert_same_as_before(client, monkeypatch, flash: str | None = None) -> str:
    client.get("/")  # any message still waiting from the steps before is shown there
    pages = []
    for draw in (dashboard.page, page_before):
        if flash:
            with client.session_transaction() as session:
                session["_flashes"] = [("success", flash)]
        with monkeypatch.context() as patch:
            patch.setattr(dashboard, "page", draw)
            response = client.get("/dashboard")
        assert response.status_code == 200
        pages.append(same_token(response.get_data(as_text=True)))
    new, before = pages
    assert new == before
    return new


def learner(app, make_user, **fields):
    user = make_user(**fields)
    client = app.test_client()
    assert log_in(client, user.email).status_code == 302
    return user, client


def enrolment_of(user) -> Enrolment:
    return db.session.scalar(select(Enrolment).join(Course, Course.id == Enrolment.course_id)
                             .where(Enrolment.user_id == user.id, Course.slug == "tiny-course"))


def certificate_of(user) -> Certificate:
    return db.session.scalar(select(Certificate).where(Certificate.user_id == user.id))


def test_the_dashboard_is_the_page_drawn_before_for_learners_in_every_state(
        app, tiny_course, imperial_signatory, make_user, monkeypatch):
    people = {}
    people["nothing yet"] = learner(app, make_user, full_name="Ann <O'Neil> & \"Co\"")

    user, client = people["not started"] = learner(app, make_user)
    enrol(client)
    add_my_courses(user, 2)  # two more courses, their one lesson complete

    user, client = people["in progress"] = learner(app, make_user)
    enrol(client)
    client.post_form(LESSONS[0] + "complete")

    user, client = people["switched track"] = learner(app, make_user)
    enrol(client)
    client.post_form(LESSONS[0] + "complete")
    assert client.post_form("/courses/tiny-course/track", {"track": "postgraduate"}).status_code == 302

    for state in ("valid", "valid until", "revoked", "expired", "hours in the snapshot", "awaited", "legacy"):
        user, client = people[state] = learner(app, make_user)
        complete_course(client)
    people["unverified email"] = learner(app, make_user, verified=False)
    complete_course(people["unverified email"][1])  # waits: its issue job says why

    now = utcnow()
    certificate_of(people["valid until"][0]).expires_at = now + timedelta(days=400)
    revoked = certificate_of(people["revoked"][0])
    revoked.status, revoked.revoked_at = "revoked", now
    revoked.revoked_reason = "Completed under <another> learner's account & \"more\""
    certificate_of(people["expired"][0]).expires_at = now - timedelta(days=1)
    enrolment = enrolment_of(people["hours in the snapshot"][0])
    enrolment.completion_snapshot = {**enrolment.completion_snapshot, "cpd_hours": 2.5}
    enrolment_of(people["legacy"][0]).completion_snapshot = None
    db.session.commit()
    for state in ("awaited", "legacy"):
        db.session.execute(delete(Certificate).where(Certificate.user_id == people[state][0].id))
    db.session.commit()

    pages = {state: assert_same_as_before(client, monkeypatch) for state, (_user, client) in people.items()}
    assert "You have not enrolled" in pages["nothing yet"] and "Ann &lt;O&#39;Neil&gt;" in pages["nothing yet"]
    assert pages["not started"].count('class="nhsuk-card') >= 3 and "Continue" in pages["not started"]
    assert "Download your certificate" in pages["valid"] and "valid until" in pages["valid until"]
    assert "Completed under &lt;another&gt; learner&#39;s account" in pages["revoked"]
    assert "It expired on" in pages["expired"] and "2.5 CPD hours" in pages["hours in the snapshot"]
    assert "being prepared" in pages["awaited"] and "waiting for the course team" in pages["unverified email"]
    assert "Confirm your email address" in pages["unverified email"] and "Postgraduate" in pages["switched track"]
    assert_same_as_before(people["valid"][1], monkeypatch, flash="Saved <your> note")

    # Courses that a partner approves: with the partner's name, then without a partner.
    course = db.session.get(Course, tiny_course.id)
    course.certificate_issue = "approval"
    db.session.commit()
    assert "waiting for approval by Imperial College London" in assert_same_as_before(people["awaited"][1], monkeypatch)
    course.partner_id = None
    db.session.commit()
    for _user, client in people.values():
        assert_same_as_before(client, monkeypatch)
    assert "waiting for approval by the course partner" in assert_same_as_before(people["legacy"][1], monkeypatch)
    course.title = "Tiny course <renamed>"
    db.session.commit()
    assert "Tiny course &lt;renamed&gt;" in assert_same_as_before(people["in progress"][1], monkeypatch)


def test_the_dashboard_under_a_script_root_is_the_page_drawn_before_there(
        app, tiny_course, make_user, monkeypatch):
    user, client = learner(app, make_user)
    enrol(client)
    client.post_form(LESSONS[0] + "complete")
    add_my_courses(user, 1)
    client.get("/dashboard")  # drawn at the site's root first
    pages = []
    for draw in (dashboard.page, page_before):
        with monkeypatch.context() as patch:
            patch.setattr(dashboard, "page", draw)
            pages.append(same_token(client.get("/dashboard", base_url="http://localhost/lms/").get_data(as_text=True)))
    assert 'href="/lms/courses/tiny-course/' in pages[1] and "Continue" in pages[1]
    assert pages[0] == pages[1]


def test_the_dashboard_is_one_statement_that_also_looks_the_session_up(app, tiny_course, make_user, count_queries):
    user, client = learner(app, make_user)
    enrol(client)
    add_my_courses(user, 2)
    client.get("/dashboard")  # structures read once per process
    counted = count_queries(lambda: client.get("/dashboard"))
    assert len(counted.statements) == 1, counted.statements
    assert "user_sessions" in counted.statements[0] and "enrolments" in counted.statements[0]
    _user, stranger = learner(app, make_user)  # no enrolments: one row, the session's
    stranger.get("/dashboard")
    counted = count_queries(lambda: stranger.get("/dashboard"))
    assert len(counted.statements) == 1 and "You have not enrolled" in stranger.get("/dashboard").get_data(as_text=True)


def test_the_dashboard_sends_whoever_is_not_signed_in_to_log_in_and_writes_nothing(
        app, tiny_course, make_user, count_queries):
    response = app.test_client().get("/dashboard")
    assert response.status_code == 302 and "/login?next=/dashboard" in response.location
    user, client = learner(app, make_user)
    enrol(client)
    user.deactivated_at = utcnow()
    db.session.commit()
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.location

    _user, ann = learner(app, make_user, full_name="Ann Example")
    enrol(ann)
    ann.get("/dashboard")
    counted = count_queries(lambda: ann.get("/dashboard"))  # seen within the minute: no write on a GET
    assert all(s.lstrip().upper().startswith("SELECT") for s in counted.statements), counted.statements
    ann.post_form("/logout")
    response = ann.get("/dashboard")
    assert response.status_code == 302 and "Ann Example" not in response.get_data(as_text=True)



def test_staff_see_the_dashboard_drawn_before_and_a_changed_browser_is_refused_under_strong_protection(
        app, tiny_course, make_user, monkeypatch):
    for role in ("educator", "admin"):  # their menus differ: pages are drawn per role
        _user, client = learner(app, make_user, role=role)
        enrol(client)
        assert_same_as_before(client, monkeypatch)
        assert client.head("/dashboard").status_code == 200
    _user, client = learner(app, make_user)
    monkeypatch.setattr(login_manager, "session_protection", "strong")
    assert client.get("/dashboard").status_code == 200
    response = client.get("/dashboard?page=2", headers={"User-Agent": "another browser"})
    assert response.status_code == 302 and response.location.endswith("/login?next=/dashboard?page%3D2")
    assert client.get("/dashboard").status_code == 302  # the session was emptied
