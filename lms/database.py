"""Engine set-up that differs by database: SQLite waits for writers instead of failing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

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


def insert_or_ignore(model, values: dict) -> bool:
    """INSERT that does nothing when a unique key already holds a row (SQLite and PostgreSQL).

    For rows two requests may create at once, without a savepoint (pysqlite's are unreliable).
    Returns whether it inserted the row (False when one was there).
    """
    dialect = db.session.get_bind().dialect.name
    statement = _insert_or_ignore.get((dialect, model))
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        # RETURNING, because psycopg's rowcount for this statement is -1.
        table = model.__table__  # Core: the ORM's insert costs more Python and adds nothing here
        statement = _insert_or_ignore[dialect, model] = (
            insert(table).on_conflict_do_nothing().returning(*table.primary_key))
    return db.session.execute(statement, values).first() is not None


# Built once per database and table (the values are bound per call, so a call site's columns are its own).
_insert_or_ignore: dict[tuple[str, type], Any] = {}
