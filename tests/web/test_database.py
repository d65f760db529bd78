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


def test_read_gives_the_values_and_types_sqlalchemy_gives(app, make_user):
    """`database.read` runs a prebuilt select on the driver's cursor: same rows, values and types (dates
    are datetimes on SQLite too, booleans bools), bound values by name; with a listener on (a statement
    counter, a tracer wanting its execution context), SQLAlchemy's own execute runs and the listener sees it."""
    from datetime import datetime, timedelta

    from lms.accounts.models import User

    user = make_user(email="reader@example.nhs.uk")
    db.session.execute(sa.update(User).where(User.id == user.id).values(
        last_seen_at=datetime(2026, 1, 2, 3, 4, 5), email_reminders=True))
    db.session.commit()
    users = User.__table__
    statement = (sa.select(users.c.id, users.c.email, users.c.created_at, users.c.last_seen_at,
                           users.c.deactivated_at, users.c.email_reminders, sa.literal(7).label("seven"))
                 .where(users.c.email == sa.bindparam("email"), users.c.created_at > sa.bindparam("since")))
    params = {"email": "reader@example.nhs.uk", "since": datetime(2000, 1, 1)}
    with app.app_context(), app.test_request_context():  # its own app context: the reader is closed on leaving
        expected = database.reader().execute(statement, params).all()
        got = database.read(statement, params)
        calls = []

        def count(_conn, _cursor, sql, _params, context, _many):
            calls.append((sql, context.statement))  # as Flask-SQLAlchemy's query recording reads it

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            listened = database.read(statement, params)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert database.read(statement, {**params, "since": datetime.now() + timedelta(days=1)}) == []
    assert len(expected) == 1 and got == [tuple(expected[0])] == [tuple(row) for row in listened]
    assert [type(value) for value in got[0]] == [type(value) for value in expected[0]]
    assert type(got[0].last_seen_at) is datetime and got[0].email_reminders is True and got[0].seven == 7
    assert got[0].deactivated_at is None and got[0].email == "reader@example.nhs.uk"
    assert len(calls) == 1 and "users" in calls[0][0] and calls[0][0] == calls[0][1]


def test_read_on_a_connection_the_server_closed_fails_and_the_pool_forgets_it(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    from lms.accounts.models import User

    statement = sa.select(User.__table__.c.id).where(User.__table__.c.email == sa.bindparam("email"))
    with app.app_context(), app.test_request_context():
        conn = database.reader()
        assert database.read(statement, {"email": "nobody@example.nhs.uk"}) == []
        db.session.remove()
        end_every_other_connection()
        with pytest.raises(db.engine.dialect.loaded_dbapi.OperationalError):
            database.read(statement, {"email": "nobody@example.nhs.uk"})
        assert conn.invalidated


def test_read_gives_numbers_as_sqlalchemy_does(app):
    """Some result processors need the driver's column type (psycopg's numerics): `read` makes them from the
    first run's column descriptions."""
    users = sa.table("users", sa.column("id", sa.Integer))
    statement = (sa.select(sa.cast(sa.literal(1.5), sa.Float).label("ratio"),
                           sa.cast(sa.literal(2.5), sa.Numeric(5, 2)).label("hours"), sa.func.count().label("n"))
                 .select_from(users).where(users.c.id != sa.bindparam("id")))
    with app.app_context(), app.test_request_context():
        expected = database.reader().execute(statement, {"id": -1}).all()
        got = [database.read(statement, {"id": -1}) for _ in range(2)]  # the plan made, then the plan kept
    assert got[0] == got[1] == [tuple(expected[0])]
    assert [type(value) for value in got[1][0]] == [type(value) for value in expected[0]]
