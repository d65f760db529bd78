"""Engine set-up that differs by database: SQLite waits for writers instead of failing; each request's
connection for plain reads (`reader`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flask import Flask, g
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from lms.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 15_000


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    # WAL lets readers carry on while one writer writes; the timeout makes writers queue.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; the bare scheme would ask for psycopg2.
        app.config["SQLALCHEMY_DATABASE_URI"] = uri.replace("postgresql://", "postgresql+psycopg://", 1)
    if uri.startswith("sqlite"):
        # A local file cannot drop the connection, so the ping before each request is wasted.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    app.teardown_appcontext(_close_reader)


def reader() -> Connection:
    """This request's connection for statements that need no transaction (Core reads, a lone UPDATE),
    apart from the ORM session's: checked out once, closed when the request ends.

    On PostgreSQL it runs in AUTOCOMMIT: each statement is its own transaction, so a request that only
    reads never pays the BEGIN and ROLLBACK round trips (at READ COMMITTED each statement sees the latest
    commits either way). SQLite starts no transaction for a read anyway.
    """
    conn = g.get("_reader")
    if conn is None:
        conn = db.engine.connect()
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        g._reader = conn
    return conn


def _close_reader(_error) -> None:
    conn = g.pop("_reader", None)
    if conn is not None:
        conn.close()


def insert_or_ignore(model, values: dict) -> bool:
    """INSERT that does nothing when a unique key already holds a row (SQLite and PostgreSQL).

    For rows two requests may create at once, without a savepoint (pysqlite's are unreliable).
    Returns whether it inserted the row (False when one was there).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # RETURNING, because psycopg's rowcount for this statement is -1.
    table = model.__table__  # Core: the ORM's insert costs more Python and adds nothing here
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(*table.primary_key)
    return db.session.execute(statement).first() is not None
