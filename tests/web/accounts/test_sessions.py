"""Server-side sessions: logging out ends the session for real, and sessions expire."""

from datetime import timedelta

from sqlalchemy import func, select, update

from lms.accounts.models import UserSession
from lms.clock import utcnow
from lms.extensions import db
from tests.conftest import LMSClient

RIGHT = "correct horse battery"


def copy_cookies(app, client) -> LMSClient:
    """Another browser holding copies of this one's cookies (as a thief would)."""
    thief = app.test_client()
    for cookie in client._cookies.values():
        thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return thief


def test_a_cookie_copied_before_logout_is_refused_after_it(app, client, make_user, login):
    login(make_user())
    stolen = client.get_cookie("session").value
    assert client.get("/profile").status_code == 200
    client.post_form("/logout")
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_copied_cookie_works_only_while_the_session_lives(app, client, make_user, login):
    login(make_user())
    thief = copy_cookies(app, client)
    assert thief.get("/profile").status_code == 200  # the same session, until it ends
    client.post_form("/logout")
    assert thief.get("/profile").status_code == 302


def test_thirty_minutes_idle_ends_the_session(app, client, make_user, login):
    user = make_user()
    login(user)
    with db.engine.begin() as conn:
        conn.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=29)))
    assert client.get("/profile").status_code == 200  # and that counts as activity
    with db.engine.begin() as conn:
        conn.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    response = client.get("/profile")
    assert response.status_code == 302
    assert "Your session has ended" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(UserSession.ended_at)) is not None


def test_twelve_hours_after_login_the_session_ends_even_when_busy(app, client, make_user, login):
    login(make_user())
    with db.engine.begin() as conn:
        conn.execute(update(UserSession).values(created_at=utcnow() - timedelta(hours=12, minutes=1)))
    assert client.get("/profile").status_code == 302


def test_the_limits_come_from_configuration(app, client, make_user, login):
    app.config["SESSION_IDLE_MINUTES"] = 5
    login(make_user())
    with db.engine.begin() as conn:
        conn.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=6)))
    assert client.get("/profile").status_code == 302


def test_last_seen_is_written_at_most_once_a_minute(app, client, make_user, login, count_queries):
    login(make_user())
    first = db.session.scalar(select(UserSession.last_seen_at))
    counted = count_queries(lambda: [client.get("/profile") for _ in range(3)])
    assert not [s for s in counted.statements if s.lstrip().upper().startswith("UPDATE USER_SESSIONS")]
    db.session.expire_all()
    assert db.session.scalar(select(UserSession.last_seen_at)) == first
    with db.engine.begin() as conn:
        conn.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(seconds=61)))
    client.get("/profile")
    db.session.expire_all()
    assert db.session.scalar(select(UserSession.last_seen_at)) > utcnow() - timedelta(seconds=5)


def test_each_request_looks_the_session_up_once(app, client, make_user, login, count_queries):
    login(make_user())
    client.get("/profile")
    counted = count_queries(lambda: client.get("/accessibility"))
    lookups = [s for s in counted.statements if "user_sessions" in s]
    assert len(lookups) == 1
    assert "JOIN users" in lookups[0]


def test_log_out_of_all_devices(app, client, make_user, login):
    user = make_user()
    login(user)
    phone = app.test_client()
    phone.post_form("/login", {"email": user.email, "password": RIGHT})
    assert phone.get("/profile").status_code == 200
    assert "You are logged in on 2 devices" in client.get("/profile").get_data(as_text=True)
    response = client.post_form("/profile/sign-out-everywhere")
    assert response.headers["Location"] == "/login"
    assert client.get("/profile").status_code == 302
    assert phone.get("/profile").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.ended_at.is_(None))) == 0


def test_logging_in_again_starts_a_new_session(app, client, make_user, login):
    user = make_user()
    login(user)
    client.post_form("/logout")
    login(user)
    assert client.get("/profile").status_code == 200
    rows = list(db.session.scalars(select(UserSession).order_by(UserSession.created_at)))
    assert len(rows) == 2 and rows[0].ended_at is not None and rows[1].ended_at is None


def test_the_cookie_holds_a_random_id_the_table_only_its_hash(app, client, make_user, login):
    login(make_user())
    with client.session_transaction() as session:
        raw = session["sid"]
    assert db.session.scalar(select(UserSession.id)) != raw
    assert len(raw) >= 40
