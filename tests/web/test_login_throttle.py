"""Failed logins are counted in the database and slow guessing down, without letting anyone lock out others.

The scheme is described in lms/accounts/throttle.py.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms import create_app
from lms.accounts import services, throttle
from lms.audit import AuditEntry
from lms.clock import utcnow
from lms.extensions import db
from tests.conftest import LMSClient
from tests.web.markup import squash

RESET_REQUIRED = "use the link under &#39;Forgotten your password?&#39;"
WAIT = "wait"
RIGHT = "correct horse battery"


@pytest.fixture
def second_instance(app):
    """Another app process sharing the same database, like a second gunicorn worker."""
    other = create_app({**app.config})
    other.test_client_class = LMSClient
    yield other
    with other.app_context():
        db.engine.dispose()


def fail(email, times, start, address="10.0.0.1", device_cookie=None, step=timedelta(minutes=1)):
    """`times` wrong passwords, each late enough not to be turned away by the growing delay."""
    for n in range(times):
        outcome = services.attempt_login(email, f"wrong {n}", address, start + n * step, device_cookie)
        assert outcome.user is None and "Enter a correct email" in outcome.error, outcome.error
    db.session.commit()
    return start + (times - 1) * step


def test_ten_failures_across_two_app_instances_require_the_reset_link(app, client, second_instance, make_user):
    user = make_user(email="locked@example.nhs.uk")
    start = utcnow() - timedelta(minutes=12)
    fail(user.email, 9, start)  # nine of them earlier, spaced out beyond the growing delay
    other_client = second_instance.test_client()
    response = other_client.post_form("/login", {"email": user.email, "password": "wrong password 10"})
    assert "Enter a correct email address and password" in response.get_data(as_text=True)
    for c in (client, other_client):
        response = c.post_form("/login", {"email": user.email, "password": RIGHT})
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert RESET_REQUIRED in html
        assert 'href="/forgot-password">Set a new password by email' in squash(html)
    assert client.get("/profile").status_code == 302


def test_an_unknown_address_gets_exactly_the_same_answers(app, make_user):
    user = make_user()
    start = utcnow()
    fail(user.email, 10, start)
    fail("nobody@example.nhs.uk", 10, start)
    later = start + timedelta(minutes=10)
    known = services.attempt_login(user.email, "wrong again", "10.0.0.1", later)
    unknown = services.attempt_login("nobody@example.nhs.uk", "wrong again", "10.0.0.1", later)
    assert known.error == unknown.error == throttle.RESET_REQUIRED


def test_each_attempt_after_three_failures_must_wait_longer(app, make_user):
    user = make_user()
    start = utcnow()
    for _ in range(3):
        assert services.attempt_login(user.email, "wrong", "10.0.0.1", start).user is None
    # The fourth failure needs 2 s after the third: sooner, the password is not even checked.
    too_soon = services.attempt_login(user.email, RIGHT, "10.0.0.1", start + timedelta(seconds=1))
    assert too_soon.user is None and too_soon.error == throttle.wait_message(1)
    assert services.attempt_login(user.email, "wrong", "10.0.0.1", start + timedelta(seconds=2)).user is None
    # Four failures: the next attempt waits 2 ** 2 = 4 s.
    assert services.attempt_login(user.email, RIGHT, "10.0.0.1",
                                  start + timedelta(seconds=4)).error == throttle.wait_message(2)
    assert services.attempt_login(user.email, RIGHT, "10.0.0.1", start + timedelta(seconds=6)).user == user


def test_the_delay_stops_growing_at_a_minute(app, make_user):
    user = make_user()
    last = fail(user.email, 9, utcnow(), step=timedelta(seconds=61))
    assert services.attempt_login(user.email, RIGHT, "10.0.0.1",
                                  last + timedelta(seconds=30)).error == throttle.wait_message(30)
    assert services.attempt_login(user.email, RIGHT, "10.0.0.1", last + timedelta(seconds=60)).user == user


def test_the_reset_requirement_lifts_fifteen_minutes_after_the_last_failure(app, make_user):
    user = make_user()
    last = fail(user.email, 10, utcnow())
    during = services.attempt_login(user.email, RIGHT, "10.0.0.1", last + timedelta(minutes=14))
    assert during.user is None and during.reset_required
    after = services.attempt_login(user.email, RIGHT, "10.0.0.1", last + timedelta(minutes=15, seconds=1))
    assert after.user is not None


def test_failures_spread_over_more_than_the_window_do_not_lock(app, make_user):
    user = make_user()
    last = fail(user.email, 10, utcnow(), step=timedelta(minutes=2))
    assert services.attempt_login(user.email, RIGHT, "10.0.0.1", last + timedelta(minutes=1)).user is not None


def test_a_stranger_cannot_lock_the_owner_out_of_a_browser_they_used_before(app, client, make_user):
    owner = make_user(email="owner@example.nhs.uk")
    assert client.post_form("/login", {"email": owner.email, "password": RIGHT}).status_code == 302
    client.post_form("/logout")
    assert throttle.DEVICE_COOKIE in {c.key for c in client._cookies.values()}

    fail(owner.email, 10, utcnow() - timedelta(minutes=11), address="203.0.113.66")  # a stranger, elsewhere
    stranger = services.attempt_login(owner.email, RIGHT, "203.0.113.66", utcnow())
    assert stranger.reset_required  # a new browser needs the emailed link, even with the right password

    response = client.post_form("/login", {"email": owner.email, "password": RIGHT})
    assert response.status_code == 302  # the owner's usual browser is not affected
    assert client.get("/profile").status_code == 200


def test_guesses_on_a_shared_computer_are_counted_for_that_computer(app, client, make_user):
    owner = make_user()
    client.post_form("/login", {"email": owner.email, "password": RIGHT})
    client.post_form("/logout")
    cookie = client.get_cookie(throttle.DEVICE_COOKIE).value
    fail(owner.email, 10, utcnow() - timedelta(minutes=11), device_cookie=cookie)
    assert services.attempt_login(owner.email, RIGHT, "10.0.0.1", utcnow(), cookie).reset_required
    # From any other browser the owner is not affected by what happened on that computer.
    assert services.attempt_login(owner.email, RIGHT, "10.0.0.1", utcnow()).user == owner


def test_a_forged_device_cookie_counts_as_a_new_browser(app, make_user):
    owner = make_user()
    fail(owner.email, 10, utcnow() - timedelta(minutes=11))
    assert services.attempt_login(owner.email, RIGHT, "10.0.0.1", utcnow(), "forged.cookie").reset_required


def test_many_failures_from_one_address_slow_it_down_but_never_refuse(app, make_user):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 5
    victim = make_user()
    start = utcnow()
    for n in range(5):
        services.attempt_login(f"guess{n}@example.nhs.uk", "wrong", "203.0.113.9", start)
    slowed = services.attempt_login(victim.email, RIGHT, "203.0.113.9", start)
    assert slowed.user is None and slowed.error.startswith("There have been several failed attempts")
    assert not slowed.reset_required
    assert services.attempt_login(victim.email, RIGHT, "198.51.100.7", start).user is not None
    # A few seconds later the same address gets in: slowed, never locked.
    assert services.attempt_login(victim.email, RIGHT, "203.0.113.9",
                                  start + timedelta(seconds=throttle.ADDRESS_DELAY)).user is not None
    for n in range(50):
        services.attempt_login(f"more{n}@example.nhs.uk", "wrong", "203.0.113.9",
                               start + timedelta(seconds=10 * (n + 1)))
    later = start + timedelta(seconds=10 * 51)
    assert services.attempt_login(victim.email, RIGHT, "203.0.113.9", later).user is not None


def test_an_admin_clears_a_lockout_from_the_command_line_and_it_is_audited(app, runner, make_user):
    user = make_user(email="jo@example.nhs.uk")
    fail(user.email, 10, utcnow() - timedelta(minutes=10))
    assert throttle.is_locked(user.email, utcnow())
    result = runner.invoke(args=["users", "clear-lockout", "JO@example.nhs.uk"])
    assert result.exit_code == 0, result.output
    assert "jo@example.nhs.uk can log in with their password again" in result.output
    assert not throttle.is_locked(user.email, utcnow())
    assert services.attempt_login(user.email, RIGHT, "10.0.0.1", utcnow()).user is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.lockout_cleared"))
    assert (entry.target_type, entry.target_id, entry.via, entry.actor_id) == ("user", str(user.id), "cli", None)


def test_clear_lockout_for_an_unknown_email_fails_clearly(runner):
    result = runner.invoke(args=["users", "clear-lockout", "nobody@example.nhs.uk"])
    assert result.exit_code != 0 and "No account with the email nobody@example.nhs.uk" in result.output


def test_the_current_password_check_on_the_change_page_is_throttled(app, client, make_user, login):
    user = make_user()
    login(user)
    for n in range(4):
        if n == 3:
            # A fourth wrong guess straight away is turned away without checking.
            with db.engine.begin() as conn:  # pretend the earlier failures were a while ago
                conn.execute(db.text("UPDATE rate_events SET at = :at"), {"at": utcnow() - timedelta(minutes=1)})
        response = client.post_form("/profile/password", {"current_password": f"wrong {n}",
                                                          "new_password": "a brand new passphrase"})
        assert "Your current password is not correct" in response.get_data(as_text=True)
    response = client.post_form("/profile/password", {"current_password": RIGHT,
                                                      "new_password": "a brand new passphrase"})
    assert "wait" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert services.check_password_hash(user.password_hash, RIGHT)  # not changed

    with db.engine.begin() as conn:
        conn.execute(db.text("UPDATE rate_events SET at = :at"), {"at": utcnow() - timedelta(minutes=2)})
    for n in range(6):
        with db.engine.begin() as conn:
            conn.execute(db.text("UPDATE rate_events SET at = :at"), {"at": utcnow() - timedelta(minutes=2)})
        client.post_form("/profile/password", {"current_password": f"again {n}",
                                               "new_password": "a brand new passphrase"})
    response = client.post_form("/profile/password", {"current_password": RIGHT,
                                                      "new_password": "a brand new passphrase"})
    assert RESET_REQUIRED in response.get_data(as_text=True)
