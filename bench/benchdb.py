"""Databases for the benchmarks: a PostgreSQL database made and dropped per run, and the app on it."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import Flask

from config import DevelopmentConfig
from lms import create_app

SECRET_KEY = "bench-secret-" + "x" * 40


def create_postgres_database(admin: str, prefix: str, say=print) -> str | None:
    """A new empty database next to `admin`; None (with a message) when PostgreSQL does not answer."""
    admin_url = sa.make_url(admin)
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        say(f"PostgreSQL skipped: it does not answer at {admin_url.render_as_string()}: "
            f"{str(error).splitlines()[0]}")
        return None
    finally:
        engine.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin: str, url: str) -> None:
    engine = sa.create_engine(sa.make_url(admin), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)'))
    finally:
        engine.dispose()


def make_app(url: str) -> Flask:
    """The development app on `url`, with a fixed secret so session cookies made here work in gunicorn."""
    config = type("BenchConfig", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    return create_app(config)
