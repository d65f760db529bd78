"""Engine set-up that differs by database: SQLite waits for writers instead of failing, PostgreSQL
connections the server closed are replaced before use; each request's connection for plain reads (`reader`)."""

from __future__ import annotations

import select
import sqlite3
import time
from collections import namedtuple
from pathlib import Path
from typing import Any, NamedTuple

from flask import Flask, g
from sqlalchemy import Select, event, exc
from sqlalchemy.engine import Connection, Dialect, Engine

from lms.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 15_000
#: A pooled PostgreSQL connection unused this long is pinged before use (its host may have gone without a word).
PING_AFTER_IDLE_SECONDS = 10.0


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
    if uri.startswith(("sqlite", "postgresql")):
        # A local file cannot drop the connection; PostgreSQL's are checked by `_replace_closed` instead of a
        # ping before each checkout (a round trip on every request).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    app.teardown_appcontext(_close_reader)
    if uri.startswith("postgresql"):
        with app.app_context():
            _replace_closed(db.engine)


def _replace_closed(engine: Engine) -> None:
    """Before a pooled PostgreSQL connection is used, replace it if the server closed it (a restart, an
    administrator, an idle timeout): the server then said so on the socket, which a poll sees without a
    round trip. One unused for `PING_AFTER_IDLE_SECONDS` is pinged as well (a host gone without a word)."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, record, _proxy) -> None:
        idle = time.monotonic() - record.info.get("idle_since", time.monotonic())
        if server_spoke(dbapi_connection) or (idle > PING_AFTER_IDLE_SECONDS
                                              and not _answers(engine, dbapi_connection)):
            raise exc.DisconnectionError("PostgreSQL closed this connection")  # the pool connects anew


def server_spoke(dbapi_connection) -> bool:
    """Whether an idle psycopg connection is closed or has something to read: between queries PostgreSQL
    writes only when it ends the connection (or a rare notice, where a new connection costs little)."""
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def _answers(engine: Engine, dbapi_connection) -> bool:
    try:
        engine.dialect.do_ping(dbapi_connection)
    except engine.dialect.loaded_dbapi.Error:
        return False
    return True


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


def read(statement: Select, params: dict) -> list[NamedTuple]:
    """The rows of `statement` (a Core select built once, its bound values named in `params`) on this
    request's reading connection (`reader`), as named tuples of the values SQLAlchemy would give.

    Its SQL is compiled once per database and run on the driver's cursor: for a statement run on every
    request, SQLAlchemy's own execute (cache look-up, result metadata from the driver's column
    descriptions) costs more than the round trip. Driver errors are not wrapped in SQLAlchemy's.
    With execute listeners on (query counters, tracing), SQLAlchemy's own execute runs, so they get the
    execution context they expect.
    """
    conn = reader()
    if conn._has_events or conn.engine._has_events:  # noqa: SLF001
        return list(conn.execute(statement, params))
    dialect = conn.dialect
    key = (dialect.name, dialect.driver, statement)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _Plan.of(statement, dialect)
    cursor = conn.connection.dbapi_connection.cursor()
    values = plan.parameters(params)
    try:
        cursor.execute(plan.sql, values)
        found = cursor.fetchall()
        if plan.convert is None:  # the first run: the driver's column types, which PostgreSQL's numerics need
            plan = _plans[key] = plan.typed(statement, dialect, cursor.description)
    except dialect.loaded_dbapi.Error as error:
        if dialect.is_disconnect(error, conn.connection.dbapi_connection, cursor):
            conn.invalidate()  # as SQLAlchemy's execute would: the pool forgets this connection
        raise
    finally:
        cursor.close()
    make, convert = plan.row._make, plan.convert
    if not convert:
        return [make(row) for row in found]
    return [make([value if f is None or value is None else f(value) for f, value in zip(convert, row, strict=True)])
            for row in found]


class _Plan(NamedTuple):
    """A select compiled for one database: its SQL, how its values are passed and how its rows are read."""

    sql: str
    names: tuple[str, ...] | None  # the bound values in order (positional drivers: SQLite), else None
    defaults: dict
    bind: dict  # what SQLAlchemy's type does to a bound value before the driver gets it (SQLite's dates)
    row: type
    # per column, what SQLAlchemy's type does to the driver's value (None: nothing); () if none; None until
    # the first run gives the driver's column types
    convert: tuple | None

    @classmethod
    def of(cls, statement: Select, dialect: Dialect) -> _Plan:
        compiled = statement.compile(dialect=dialect)
        # Only what the plain path below can pass as is (SQLAlchemy's execute handles the rest).
        if compiled.escaped_bind_names or compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError(f"{statement} needs SQLAlchemy's own execute")
        columns = statement.selected_columns
        defaults = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        return cls(str(compiled), tuple(compiled.positiontup) if compiled.positional else None, defaults,
                   dict(compiled._bind_processors),  # noqa: SLF001
                   namedtuple("Row", [column.key for column in columns]), None)

    def typed(self, statement: Select, dialect: Dialect, description) -> _Plan:
        """This plan with its result processors, made for the column types the driver described."""
        convert = tuple(column.type._cached_result_processor(dialect, described[1])  # noqa: SLF001
                        for column, described in zip(statement.selected_columns, description, strict=True))
        return self._replace(convert=convert if any(convert) else ())

    def parameters(self, params: dict):
        values = {**self.defaults, **params}
        for name, process in self.bind.items():
            values[name] = process(values[name])
        return values if self.names is None else [values[name] for name in self.names]


# Keyed by (database, driver, statement): the statements are built once, at import.
_plans: dict[tuple[str, str, Select], _Plan] = {}


def _close_reader(_error) -> None:
    conn = g.pop("_reader", None)
    if conn is not None:
        conn.close()


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
