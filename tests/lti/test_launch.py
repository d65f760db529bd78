"""Launches from a real LTI 1.3 platform (tests/lti/platform.py) over HTTP: who is signed in, and what is refused."""

from __future__ import annotations

import pytest
from joserfc.jwk import RSAKey
from sqlalchemy import select

from lms.accounts.models import User
from lms.extensions import db
from lms.learning.models import Enrolment
from lms.lti.models import LtiIdentity, LtiLaunchState, LtiLink
from tests.lti.conftest import launch
from tests.lti.platform import LaunchSpec

pytestmark = pytest.mark.db


def learner(sub="learner-1", email="ada@example.ac.uk", **kwargs) -> LaunchSpec:
    return LaunchSpec(sub=sub, email=email, custom={"course": "tiny-course", "track": "ahp"}, **kwargs)


def test_a_learner_launch_creates_the_account_signs_in_and_enrols_on_the_links_track(
        client, platform, registered, tiny_course):
    response = launch(client, platform, learner())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/courses/tiny-course/")
    user = db.session.scalar(select(User).where(User.email == "ada@example.ac.uk"))
    assert user.organisation_id == "imperial-college-london"
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id))
    assert enrolment.track == "ahp"
    page = client.get("/courses/tiny-course/")
    assert "Log out" in page.get_data(as_text=True) or "Sign out" in page.get_data(as_text=True)
    # The account has no password anyone knows: the launch is the way in.
    assert client.post_form("/logout").status_code in (302, 303)


def test_a_second_launch_signs_in_to_the_same_account_through_the_platform_user_id(
        client, platform, registered, tiny_course):
    launch(client, platform, learner())
    client.post_form("/logout")
    response = launch(client, platform, learner(email="ada.changed@example.ac.uk"))
    assert response.status_code == 302
    assert db.session.scalar(select(db.func.count(User.id)).where(User.email.like("ada%"))) == 1
    assert db.session.scalar(select(db.func.count(LtiIdentity.id))) == 1


def test_an_existing_verified_learner_is_linked_by_email(client, platform, registered, tiny_course, make_user):
    existing = make_user(email="grace@example.ac.uk")
    response = launch(client, platform, learner(sub="grace-sub", email="grace@example.ac.uk"))
    assert response.status_code == 302
    assert db.session.scalar(select(LtiIdentity.user_id).where(LtiIdentity.subject == "grace-sub")) == existing.id


@pytest.mark.parametrize("role", ["educator", "admin"])
def test_a_launch_never_signs_in_to_a_staff_account(client, platform, registered, tiny_course, make_user, role):
    make_user(role, email="boss@example.ac.uk")
    response = launch(client, platform, learner(sub="boss", email="boss@example.ac.uk"))
    assert response.status_code == 403
    assert "Staff accounts cannot be signed in" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # still not logged in


def test_an_unverified_account_is_not_taken_over_by_a_launch(client, platform, registered, tiny_course, make_user):
    make_user(email="squat@example.ac.uk", verified=False)
    response = launch(client, platform, learner(sub="real-owner", email="squat@example.ac.uk"))
    assert response.status_code == 403
    assert db.session.scalar(select(LtiIdentity)) is None


def test_a_launch_with_a_wrong_nonce_is_refused(client, platform, registered, tiny_course, caplog):
    response = launch(client, platform, learner(nonce="a-nonce-we-never-issued"))
    assert response.status_code == 403
    assert "Invalid Nonce" in caplog.text
    assert db.session.scalar(select(User).where(User.email == "ada@example.ac.uk")) is None


def test_an_expired_launch_is_refused(client, platform, registered, tiny_course, caplog):
    response = launch(client, platform, learner(exp_in=-120))
    assert response.status_code == 403
    assert "expired" in caplog.text
    assert db.session.scalar(select(User).where(User.email == "ada@example.ac.uk")) is None


def test_a_launch_from_an_unknown_deployment_is_refused(client, platform, registered, tiny_course, caplog):
    response = launch(client, platform, learner(deployment_id="deployment-nobody-registered"))
    assert response.status_code == 403
    assert "Unable to find deployment" in caplog.text
    assert db.session.scalar(select(LtiLink)) is None


def test_a_launch_signed_with_a_key_the_platform_does_not_publish_is_refused(
        client, platform, registered, tiny_course, caplog):
    impostor = RSAKey.generate_key(2048, private=True, parameters={"kid": "platform-key-1"})
    assert launch(client, platform, learner(sign_with=impostor)).status_code == 403
    assert "Signature verification failed" in caplog.text


def test_a_launch_with_a_state_the_browser_was_not_given_is_refused(
        client, platform, registered, tiny_course, caplog):
    assert launch(client, platform, learner(), state="state-made-up").status_code == 403
    assert "State not found" in caplog.text


def test_the_same_id_token_cannot_launch_twice(client, platform, registered, tiny_course):
    response = launch(client, platform, learner(), post_twice=True)
    assert response.status_code == 403
    # The first launch worked and used its nonce up.
    assert db.session.scalar(select(User).where(User.email == "ada@example.ac.uk")) is not None
    assert all("nonce" not in row.key for row in db.session.scalars(select(LtiLaunchState)))


def test_a_launch_from_an_inactive_registration_is_refused(client, platform, registered, tiny_course):
    registered.active = False
    db.session.commit()
    started = client.post("/lti/login", data=platform.login_params(platform.prepare(learner()),
                                                                   "http://localhost/lti/launch"))
    assert started.status_code == 400


def test_a_link_naming_a_track_the_course_lacks_is_refused_with_a_reason(client, platform, registered, tiny_course):
    spec = learner()
    spec.custom = {"course": "tiny-course", "track": "astronaut"}
    response = launch(client, platform, spec)
    assert response.status_code == 403
    assert "astronaut" in response.get_data(as_text=True)


def test_a_launch_without_an_email_is_refused_with_a_reason(client, platform, registered, tiny_course):
    response = launch(client, platform, learner(email=None))
    assert response.status_code == 403
    assert "email address" in response.get_data(as_text=True)


def test_launch_state_is_kept_minutes_not_a_day(client, platform, registered, tiny_course):
    from datetime import timedelta

    from lms.clock import utcnow

    launch(client, platform, learner())
    rows = db.session.scalars(select(LtiLaunchState)).all()
    state = [row for row in rows if "key-set-url-" not in row.key]
    assert state and all(row.expires_at <= utcnow() + timedelta(minutes=10, seconds=5) for row in state)
    # The one longer-lived row is the platform's public key set: public keys only, nothing of the learner.
    (key_set,) = [row for row in rows if "key-set-url-" in row.key]
    assert [sorted(key) for key in key_set.value["keys"]] == [["e", "kid", "kty", "n"]]


def test_the_platforms_key_set_is_fetched_once_for_many_launches_and_again_when_it_rotates(
        client, platform, registered, tiny_course):
    assert launch(client, platform, learner()).status_code == 302
    client.post_form("/logout")
    assert launch(client, platform, learner()).status_code == 302
    assert platform.key_set_requests == 1
    client.post_form("/logout")
    platform.rotate_key()
    # The kept set lacks the new kid: fetched again at once, and the launch still works.
    assert launch(client, platform, learner()).status_code == 302
    assert platform.key_set_requests == 2


# The last: we are in the audience, but with another and no "azp" naming us as the party it is for.
@pytest.mark.parametrize("audience", ["some-other-tool", ["some-other-tool", "nhs-lms-tool"],
                                      ["nhs-lms-tool", "some-other-tool"]])
def test_a_launch_meant_for_another_tool_is_refused(client, platform, registered, tiny_course, audience):
    assert launch(client, platform, learner(audience=audience)).status_code == 403
    assert db.session.scalar(select(User).where(User.email == "ada@example.ac.uk")) is None


def test_a_launch_from_an_unregistered_issuer_is_refused_at_login(client, platform, tiny_course):
    started = client.post("/lti/login", data=platform.login_params(platform.prepare(learner()),
                                                                   "http://localhost/lti/launch"))
    assert started.status_code == 400
