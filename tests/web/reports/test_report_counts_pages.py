"""Review: writes made through the real pages (enrol, read, mark complete, quiz, switch track, profile,
admin organisation, admin erasure) keep the report counts equal to the raw rows."""

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.learning import counts
from lms.learning.models import Enrolment
from lms.reports import scans
from tests.conftest import log_in
from tests.web.learning.helpers import RIGHT, WRONG, enrol, submit

pytestmark = pytest.mark.db
LESSON = "/courses/tiny-course/{}/"


def agree():
    db.session.expire_all()
    assert counts.differences() == []
    assert scans.figure_differences() == []


def test_page_writes_keep_the_counts(app, tiny_course, make_user):
    admin = app.test_client()
    assert log_in(admin, make_user(role="admin").email).status_code == 302
    people = []
    for track in ("junior", "postgraduate", "ahp"):
        client, user = app.test_client(), make_user(organisation_id="cnwl", professional_group="doctor")
        assert log_in(client, user.email).status_code == 302
        enrol(client, track)
        people.append((client, user))
    agree()
    ann, bob, cy = people
    for client, _user in (ann, bob):
        client.get(LESSON.format("m-one/l-read"))
        client.post_form(LESSON.format("m-one/l-read") + "complete")
        client.post_form(LESSON.format("m-one/l-more") + "complete")
    agree()
    submit(ann[0], WRONG)
    submit(bob[0], RIGHT)
    agree()
    bob[0].post_form("/courses/tiny-course/track", {"track": "junior"})
    cy[0].post_form("/courses/tiny-course/track", {"track": "junior"})
    agree()
    submit(ann[0], RIGHT)
    for client, _user in people:
        client.post_form(LESSON.format("m-two/l-last") + "complete")
    agree()
    ann[0].post_form("/profile", {"full_name": "Ann Other", "organisation_id": "clch", "professional_group": "nurse",
                                  "registration_body": "", "registration_number": ""})
    admin.post_form(f"/admin/users/{bob[1].id}/organisation", {"organisation_id": "imperial-college-healthcare"})
    agree()
    db.session.expire_all()
    assert (ann[1].organisation_id, ann[1].professional_group, bob[1].organisation_id) == (
        "clch", "nurse", "imperial-college-healthcare")
    completed = db.session.scalars(select(Enrolment.track).where(Enrolment.completed_at.is_not(None))).all()
    assert sorted(completed) == ["junior", "junior"]
    assert admin.post_form(f"/admin/users/{cy[1].id}/erase").status_code == 302
    agree()
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 2
