"""Failed logins are counted in the database, so the limit holds across workers."""

from datetime import timedelta

import pytest

from lms import create_app
from lms.accounts import services
from lms.clock import utcnow
from lms.extensions import db
from tests.conftest import LMSClient

LOCKED = "too many failed attempts"


@pytest.fixture
def second_instance(app):
    """Another app process sharing the same database, like a second gunicorn worker."""
    other = create_app({**app.config})
    other.test_client_class = LMSClient
    yield other
    with other.app_context():
        db.engine.dispose()


def test_ten_failures_lock_the_account_across_two_app_instances(client, second_instance, make_user):
    user = make_user(email="locked@example.nhs.uk")
    other_client = second_instance.test_client()
    for n in range(10):
        c = client if n % 2 else other_client
        response = c.post_form("/login", {"email": user.email, "password": f"wrong password {n}"})
        assert LOCKED not in response.get_data(as_text=True)
    for c in (client, other_client):
        response = c.post_form("/login", {"email": user.email, "password": "correct horse battery"})
        assert response.status_code == 200
        assert LOCKED in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 302


def test_the_lock_lifts_after_fifteen_minutes(app, make_user):
    user = make_user()
    start = utcnow()
    for n in range(10):
        services.attempt_login(user.email, "wrong", "10.0.0.1", start + timedelta(seconds=n))
    db.session.commit()
    during = services.attempt_login(user.email, "correct horse battery", "10.0.0.1", start + timedelta(minutes=14))
    assert during.user is None and LOCKED in during.error
    after = services.attempt_login(user.email, "correct horse battery", "10.0.0.1", start + timedelta(minutes=16))
    assert after.user is not None


def test_nine_failures_do_not_lock(app, make_user):
    user = make_user()
    now = utcnow()
    for _ in range(9):
        services.attempt_login(user.email, "wrong", "10.0.0.1", now)
    assert services.attempt_login(user.email, "correct horse battery", "10.0.0.1", now).user is not None


def test_failures_spread_over_more_than_the_window_do_not_lock(app, make_user):
    user = make_user()
    start = utcnow()
    for n in range(10):
        services.attempt_login(user.email, "wrong", "10.0.0.1", start + timedelta(minutes=2 * n))
    assert services.attempt_login(user.email, "correct horse battery", "10.0.0.1",
                                  start + timedelta(minutes=19)).user is not None


def test_many_failures_from_one_address_are_throttled(app, make_user):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 5
    victim = make_user()
    now = utcnow()
    for n in range(5):
        services.attempt_login(f"guess{n}@example.nhs.uk", "wrong", "203.0.113.9", now)
    assert services.attempt_login(victim.email, "correct horse battery", "203.0.113.9", now).user is None
    assert services.attempt_login(victim.email, "correct horse battery", "198.51.100.7", now).user is not None
