"""Database connections: one the server closed is replaced before a request uses it, without a ping each time."""

import time

import pytest
import sqlalchemy as sa

from lms import database
from lms.extensions import db


def end_every_other_connection() -> int:
    """What a PostgreSQL restart does to the app's pooled connections: each backend says goodbye and closes."""
    admin = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        others = ("FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        ended = conn.execute(sa.text(f"SELECT count(pg_terminate_backend(pid)) {others}")).scalar_one()
        for _ in range(100):  # until they are gone (pg_terminate_backend only signals)
            if not conn.execute(sa.text(f"SELECT count(*) {others}")).scalar_one():
                break
            time.sleep(0.05)
    admin.dispose()
    return ended


def test_the_first_requests_after_postgresql_closed_every_connection_succeed(app, make_user, login, client):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (SQLite files are not disconnected)")
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False  # no round trip per checkout
    login(make_user())
    assert client.get("/dashboard").status_code == 200
    db.session.remove()  # the test's own connection goes back to the pool too
    assert end_every_other_connection() >= 1
    for path in ("/dashboard", "/profile", "/"):  # each checks out pooled connections the server closed
        assert client.get(path).status_code == 200


def test_a_connection_unused_for_a_while_is_pinged_and_a_busy_one_is_not(app, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    pings = []
    real_ping = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    with db.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    with db.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    assert pings == []
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    with db.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    assert pings == [1]


def test_a_closed_connection_is_seen_without_a_round_trip(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert not database.server_spoke(raw)
        db.session.remove()
        end_every_other_connection()
        assert database.server_spoke(raw)
        conn.invalidate()
