"""Deep linking, roster and grade passback against the test platform; keys, framing and admin pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from lms.accounts.models import User
from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.extensions import db
from lms.jobs.models import Job
from lms.learning.models import Enrolment
from lms.lti import keys
from lms.lti.models import LtiLink, LtiPlatform
from lms.security import CONTENT_SECURITY_POLICY
from tests.lti.conftest import LAUNCH_URL, give_tool_keys, launch
from tests.lti.platform import INSTRUCTOR, LEARNER, LaunchSpec
from tests.web.learning.helpers import RIGHT, WRONG, submit

pytestmark = pytest.mark.db

CHECK = "/courses/tiny-course/m-one/l-check/"


def instructor(**kwargs) -> LaunchSpec:
    return LaunchSpec(sub="teacher-1", email="teacher@example.ac.uk", roles=[INSTRUCTOR], **kwargs)


def member(sub, email, roles=(LEARNER,), status="Active"):
    return {"user_id": sub, "email": email, "name": f"Person {sub}", "roles": list(roles), "status": status}


# --- deep linking ------------------------------------------------------------------------------


def test_an_instructor_picks_a_module_and_the_platform_receives_a_signed_link_that_then_launches_it(
        client, platform, registered, tiny_course):
    picked = launch(client, platform, instructor(message_type="LtiDeepLinkingRequest"))
    assert picked.status_code == 302 and picked.headers["Location"].endswith("/lti/deep-link")
    page = client.get("/lti/deep-link").get_data(as_text=True)
    assert "Tiny course: Module two" in page
    response = client.post_form("/lti/deep-link", {"choice": "tiny-course/m-two"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f'action="{platform.base_url}/deep-link-return"' in body
    # Our page may post its form to the platform (and only there besides ourselves).
    assert f"form-action 'self' {platform.base_url}" in response.headers["Content-Security-Policy"]
    token = re.search(r'name="JWT" value="([^"]+)"', body).group(1)
    give_tool_keys(client, platform)
    returned = requests.post(platform.base_url + "/deep-link-return", data={"JWT": token}, timeout=10)
    assert returned.status_code == 200, returned.text  # the platform checked our signature with our JWKS
    item = platform.deep_links[0]["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"][0]
    assert item["url"] == LAUNCH_URL
    assert item["custom"] == {"course": "tiny-course", "module": "m-two"}
    assert item["lineItem"]["scoreMaximum"] == 100
    assert platform.deep_links[0]["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-platform-data"

    client.post_form("/logout")
    opened = launch(client, platform, LaunchSpec(sub="l-9", email="l9@example.ac.uk", custom=item["custom"]))
    assert opened.headers["Location"].endswith("/courses/tiny-course/#module-m-two")


def test_a_learner_cannot_use_deep_linking(client, platform, registered, tiny_course):
    response = launch(client, platform, LaunchSpec(sub="l-1", email="l1@example.ac.uk",
                                                   message_type="LtiDeepLinkingRequest"))
    assert response.status_code == 403
    assert client.get("/lti/deep-link").status_code == 403


def test_the_deep_link_choice_must_be_one_of_ours(client, platform, registered, tiny_course):
    launch(client, platform, instructor(message_type="LtiDeepLinkingRequest"))
    response = client.post_form("/lti/deep-link", {"choice": "someone-elses-course"})
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)


# --- roster ------------------------------------------------------------------------------------------


def test_an_instructor_launch_enrols_the_modules_active_learners_on_the_links_track(
        client, platform, registered, tiny_course, make_user):
    make_user("educator", email="staff@example.ac.uk")
    platform.members["module-101"] = [
        member("s1", "s1@example.ac.uk"), member("s2", "s2@example.ac.uk"),
        member("t1", "teacher@example.ac.uk", roles=(INSTRUCTOR,)),
        member("gone", "gone@example.ac.uk", status="Inactive"),
        member("staff", "staff@example.ac.uk"),  # a staff account is never touched by a roster
        member("s3", "s3@example.ac.uk"),
    ]
    give_tool_keys(client, platform)
    response = launch(client, platform, instructor(custom={"course": "tiny-course", "track": "junior"}))
    assert response.status_code == 200
    assert "Tiny course" in response.get_data(as_text=True)
    enrolled = {email: track for email, track in db.session.execute(
        select(User.email, Enrolment.track).join(Enrolment, Enrolment.user_id == User.id))}
    assert enrolled == {"s1@example.ac.uk": "junior", "s2@example.ac.uk": "junior", "s3@example.ac.uk": "junior"}
    # The instructor was not signed in.
    assert db.session.scalar(select(User).where(User.email == "teacher@example.ac.uk")) is None


# --- grade passback ---------------------------------------------------------------------------------


def test_the_final_assessments_best_score_and_completion_reach_the_platforms_grade_book(
        client, platform, registered, course_with_final):
    give_tool_keys(client, platform)
    spec = LaunchSpec(sub="ada-sub", email="ada@example.ac.uk", custom={"course": "tiny-course", "track": "junior"})
    assert launch(client, platform, spec).status_code == 302
    submit(client, WRONG, url=CHECK)
    first = platform.scores_for("ada-sub")
    assert len(first) == 1
    assert first[0]["lineitem"] == "module-101/rl-1"
    assert first[0]["score"]["scoreGiven"] == 0 and first[0]["score"]["scoreMaximum"] == 100
    assert first[0]["score"]["activityProgress"] == "Submitted"

    for lesson in ("m-one/l-read", "m-one/l-more", "m-two/l-last"):
        client.post_form(f"/courses/tiny-course/{lesson}/complete")
    submit(client, RIGHT, url=CHECK)
    latest = platform.scores_for("ada-sub")[-1]["score"]
    assert latest["scoreGiven"] == 100
    assert latest["activityProgress"] == "Completed" and latest["gradingProgress"] == "FullyGraded"
    # A worse attempt afterwards sends the best score still.
    submit(client, WRONG, url=CHECK)
    assert platform.scores_for("ada-sub")[-1]["score"]["scoreGiven"] == 100
    assert all(job.status == "done" for job in db.session.scalars(select(Job).where(Job.task == "lti.send_score")))


def test_a_platform_that_is_down_gets_the_score_when_the_job_is_retried(
        client, platform, registered, course_with_final, app):
    from lms.jobs.outbox import run_job

    give_tool_keys(client, platform)
    spec = LaunchSpec(sub="ada-sub", email="ada@example.ac.uk", custom={"course": "tiny-course"})
    launch(client, platform, spec)
    platform.down = True
    response = submit(client, RIGHT, url=CHECK)
    assert response.status_code == 302  # the learner's attempt stands whatever the platform does
    job = db.session.scalar(select(Job).where(Job.task == "lti.send_score"))
    assert job.status == "pending" and job.attempts == 1 and job.last_error
    assert platform.scores == []
    platform.down = False
    assert run_job(job.id) == "done"
    assert platform.scores_for("ada-sub")[0]["score"]["scoreGiven"] == 100


def test_no_score_is_sent_for_a_link_without_a_grade_book(client, platform, registered, course_with_final):
    give_tool_keys(client, platform)
    launch(client, platform, LaunchSpec(sub="a", email="a@example.ac.uk", custom={"course": "tiny-course"},
                                        lineitem=False))
    submit(client, RIGHT, url=CHECK)
    assert platform.scores == []
    assert db.session.scalar(select(Job).where(Job.task == "lti.send_score")) is None


# --- keys -------------------------------------------------------------------------------------------------


def test_the_key_set_serves_our_key_and_a_rotated_key_stays_for_the_grace_period(client, runner, app):
    first = client.get("/lti/jwks.json").get_json()["keys"]
    assert len(first) == 1 and first[0]["kty"] == "RSA" and first[0]["alg"] == "RS256" and "d" not in first[0]
    result = runner.invoke(args=["lti", "rotate-key"])
    assert result.exit_code == 0, result.output
    kids = [key["kid"] for key in client.get("/lti/jwks.json").get_json()["keys"]]
    assert len(kids) == 2 and kids[0] == first[0]["kid"]
    assert keys.current_key().kid == kids[1]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "lti.key_rotated")).after == {"kid": kids[1]}
    later = keys.public_jwks(utcnow() + timedelta(days=8))
    assert [key["kid"] for key in later["keys"]] == [kids[1]]


def test_the_lti_key_is_not_the_open_badges_key(client, app):
    from lms.credentials import signing

    lti_kids = {key["kid"] for key in client.get("/lti/jwks.json").get_json()["keys"]}
    badge_kids = {key["kid"] for key in signing.public_jwks()["keys"]}
    assert lti_kids.isdisjoint(badge_kids)


# --- framing ----------------------------------------------------------------------------------------------


def test_pages_of_a_launched_session_may_be_framed_by_that_platform_only(
        client, platform, registered, tiny_course, app):
    plain = app.test_client().get("/courses/tiny-course/")
    assert "frame-ancestors 'none'" in plain.headers["Content-Security-Policy"]
    assert plain.headers["X-Frame-Options"] == "DENY"
    launch(client, platform, LaunchSpec(sub="a", email="a@example.ac.uk", custom={"course": "tiny-course"}))
    framed = client.get("/courses/tiny-course/")
    assert framed.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", f"frame-ancestors {platform.base_url}")
    assert "X-Frame-Options" not in framed.headers
    # A course asset keeps its own sandboxed policy even in a framed session.
    asset = client.get("/courses/tiny-course/assets/01-one/images/diagram.svg")
    assert "frame-ancestors" not in asset.headers.get("Content-Security-Policy", "frame-ancestors")
    # Deactivating the registration stops the framing at once.
    db.session.get(LtiPlatform, registered.id).active = False
    db.session.commit()
    assert "frame-ancestors 'none'" in client.get("/courses/tiny-course/").headers["Content-Security-Policy"]


def test_a_launched_sessions_cookie_is_samesite_none_over_https(platform, registered, tiny_course, app):
    app.config["SESSION_COOKIE_SECURE"] = True
    platform.tool_launch_urls = ["https://localhost/lti/launch"]
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    hint = platform.prepare(LaunchSpec(sub="a", email="a@example.ac.uk", custom={"course": "tiny-course"}))
    started = client.post("/lti/login", data=platform.login_params(hint, "https://localhost/lti/launch"),
                          base_url="https://localhost")
    state_cookie = [c for c in started.headers.getlist("Set-Cookie") if c.startswith("lti1p3-state")][0]
    assert "Secure" in state_cookie and "SameSite=None" in state_cookie
    answer = requests.get(started.headers["Location"], timeout=10)
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]*)"', answer.text))
    response = client.post("/lti/launch", data=fields, base_url="https://localhost")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    session_cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")][0]
    assert "SameSite=None" in session_cookie and "Secure" in session_cookie
    plain = app.test_client().get("/login", base_url="https://localhost")
    assert "SameSite=Lax" in [c for c in plain.headers.getlist("Set-Cookie") if c.startswith("session=")][0]


# --- admin --------------------------------------------------------------------------------------------------


def test_an_admin_registers_a_vle_and_the_change_is_audited(client, make_user, login):
    admin = make_user("admin")
    login(admin)
    page = client.get("/admin/lti/").get_data(as_text=True)
    assert "http://localhost/lti/login" in page and "http://localhost/lti/jwks.json" in page
    form = {"name": "Imperial Blackboard", "issuer": "https://blackboard.example.ac.uk", "client_id": "abc",
            "deployment_ids": "d1\n d2 \n", "key_set_url": "https://blackboard.example.ac.uk/jwks",
            "auth_login_url": "https://blackboard.example.ac.uk/auth",
            "token_url": "https://blackboard.example.ac.uk/token", "default_track": "ahp",
            "organisation_id": "imperial-college-london", "active": "y"}
    response = client.post_form("/admin/lti/new", form)
    assert response.status_code == 302
    row = db.session.scalar(select(LtiPlatform))
    assert row.deployment_ids == ["d1", "d2"] and row.default_track == "ahp"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "lti.platform_created"))
    assert entry.actor_id == admin.id and entry.after["client_id"] == "abc"
    again = client.post_form("/admin/lti/new", {**form, "name": "Twin"})
    assert "Another registration has this issuer and client ID" in again.get_data(as_text=True)
    bad = client.post_form("/admin/lti/new", {**form, "client_id": "x", "key_set_url": "not a url"})
    assert "There is a problem" in bad.get_data(as_text=True)


@pytest.mark.parametrize("role", ["learner", "educator", "partner"])
def test_only_admins_see_the_vle_registrations(client, make_user, login, role, registered):
    login(make_user(role))
    assert client.get("/admin/lti/").status_code == 403
    assert client.get(f"/admin/lti/{registered.id}").status_code == 403
    assert client.post_form(f"/admin/lti/{registered.id}", {"name": "x"}).status_code == 403


def test_links_record_the_platforms_services(client, platform, registered, tiny_course):
    launch(client, platform, LaunchSpec(sub="a", email="a@example.ac.uk", custom={"course": "tiny-course"}))
    link = db.session.scalar(select(LtiLink))
    assert link.lineitem_url == platform.lineitem_url("module-101", "rl-1")
    assert link.memberships_url == f"{platform.base_url}/contexts/module-101/memberships"
    assert link.track == "postgraduate"  # the course's first track: the link and the platform named none


def test_a_refusal_after_the_checks_is_shown_inside_the_platforms_frame(client, platform, registered, tiny_course):
    response = launch(client, platform, LaunchSpec(sub="a", email=None, custom={"course": "tiny-course"}))
    assert response.status_code == 403
    assert f"frame-ancestors {platform.base_url}" in response.headers["Content-Security-Policy"]


def test_the_nightly_clean_up_forgets_only_expired_launch_state(app, client, platform, registered):
    from lms.jobs.outbox import nightly_tasks
    from lms.lti.models import LtiLaunchState
    from lms.lti.tool import forget_expired_state

    now = utcnow()
    db.session.add_all([LtiLaunchState(key="old", value=True, expires_at=now - timedelta(seconds=1)),
                        LtiLaunchState(key="live", value=True, expires_at=now + timedelta(minutes=5))])
    db.session.commit()
    assert forget_expired_state() == 1
    assert [row.key for row in db.session.scalars(select(LtiLaunchState))] == ["live"]
    assert "lti.forget_expired_state" in nightly_tasks()
