"""Fixtures for every test that needs the app: a clean database per test, on SQLite or PostgreSQL.

`LMS_TEST_DB=postgres` runs the database tests on PostgreSQL at `LMS_TEST_POSTGRES_URL`
(a fresh database is created for the session and dropped after). Where no PostgreSQL answers there,
the session starts a throwaway server of its own (tests/services.py); likewise `redis_url` for Redis
at `LMS_TEST_REDIS_URL`. Only where no server can be started are the tests skipped, with a message
that is also the last line of the run, unless `LMS_REQUIRE_ALL=1` (CI) makes that a failure.
"""

from __future__ import annotations

import atexit
import contextvars
import os
import re
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient

from lms import create_app
from lms.extensions import db
from lms.learning import dashboard, pagecache, queries
from lms.learning.progress import clear_structure_cache
from tests import services
from tests.smtp import smtp_server  # noqa: F401 - a real SMTP server for email tests

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
REQUIRE_ALL = os.environ.get("LMS_REQUIRE_ALL") == "1"
DB_FIXTURES = {"app", "client", "runner", "make_user", "database_url"}


def pytest_collection_modifyitems(config, items):
    """Every test that touches the database gets the `db` marker, so it reruns on PostgreSQL."""
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


def skip_or_fail(message: str, service: str | None = None):
    if service:
        services.MISSING.setdefault(service, message)
    if REQUIRE_ALL:
        pytest.fail(f"{message} (LMS_REQUIRE_ALL=1 turns this skip into a failure)")
    pytest.skip(message)


def pytest_unconfigure(config):
    """Say plainly, as the very last lines, which real services this run could not test against."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"{name}: {how}" for name, how in services.USED.items()]
    lines += [f"{service} SKIPPED: {reason}" for service, reason in services.MISSING.items()]
    for line in lines:
        if reporter is not None:
            reporter.write_line(line, yellow=True, bold=True)
        else:
            print(line)



def _service_url(name: str, configured: str, answers, start) -> str:
    """`configured` if a server answers there, else a throwaway one started once for the session.

    Raises `services.ServiceUnavailable` (each time asked) when neither works.
    """
    found = services.FOUND
    if name not in found:
        shown = sa.make_url(configured).render_as_string()
        if answers(configured):
            found[name] = configured
            services.USED[name] = f"the server at {shown}"
        else:
            try:
                server = start()
            except services.ServiceUnavailable as error:
                found[name] = services.ServiceUnavailable(f"nothing answers at {shown} and {error}")
            else:
                atexit.register(server.stop)
                found[name] = server.url
                services.USED[name] = f"a throwaway server at {server.url} (nothing answered at {shown})"
    if isinstance(found[name], Exception):
        raise found[name]
    return found[name]


def _postgres_answers(url: str) -> bool:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False  # refused, or answering but not letting us in: either way not ours to use
    finally:
        engine.dispose()


def postgres_admin_url() -> str:
    """The PostgreSQL to create test databases in: the configured one, or a throwaway one."""
    configured = os.environ.get("LMS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        return _service_url("PostgreSQL", configured, _postgres_answers, services.start_postgres)
    except services.ServiceUnavailable as error:
        skip_or_fail(str(error), "PostgreSQL run")
        raise  # not reached: skip_or_fail raises


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis URL (redis://127.0.0.1:PORT/0): `LMS_TEST_REDIS_URL` if it answers, else a throwaway server.

    Tests share the server: use a key prefix (or Huey name) unique to the test run.
    """
    configured = os.environ.get("LMS_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        return _service_url("Redis", configured, services.redis_answers, services.start_redis)
    except services.ServiceUnavailable as error:
        skip_or_fail(str(error), "Redis tests")
        raise


def create_postgres_database(prefix: str = "lms_test") -> str:
    """Create an empty database next to the configured one; returns its URL."""
    admin_url = sa.make_url(postgres_admin_url())
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        skip_or_fail(f"PostgreSQL stopped answering at {admin_url.render_as_string()}: "
                     f"{str(error).splitlines()[0]}", "PostgreSQL run")
    finally:
        engine.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    admin_url = sa.make_url(postgres_admin_url())
    name = sa.make_url(url).database
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def new_database_url(tmp_path_factory, prefix: str = "lms_test") -> str:
    """An empty database of the kind this run tests (SQLite file or PostgreSQL)."""
    if os.environ.get("LMS_TEST_DB", "sqlite") == "postgres":
        return create_postgres_database(prefix)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    url = new_database_url(tmp_path_factory)
    yield url
    if url.startswith("postgresql"):
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def _schema(database_url) -> str:
    """The schema, made once per session from the models (the migration test checks they agree)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": "testing-secret", "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return database_url


def empty_all_tables() -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


class LMSClient(FlaskClient):
    """A test client that sends the CSRF token with forms, as a browser would.

    Each request runs in its own app context (as on a real server), not in the test's:
    the test's pending work is committed first, so the request sees it.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        # A streamed body is read inside the request's own context, as a real server does.
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self) -> str:
        response = self.get("/login")
        if response.status_code == 302:
            response = self.get("/profile")
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        data = {"csrf_token": self.csrf_token(), **(data or {})}
        return self.post(url, data=data, **kwargs)


@pytest.fixture(scope="session")
def _content_cache(tmp_path_factory) -> str:
    """Compiled lessons cached for the whole session, outside the working tree."""
    return str(tmp_path_factory.mktemp("content-cache"))


@pytest.fixture
def app(_schema, _content_cache):
    from config import TestingConfig
    from lms.accounts.services import sync_organisations

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = _schema
        CONTENT_CACHE_DIR = _content_cache

    app = create_app(Config)
    app.test_client_class = LMSClient
    clear_structure_cache()  # ids restart in a fresh SQLite database
    queries.clear_question_cache()
    pagecache.clear()
    dashboard.clear()
    with app.app_context():
        empty_all_tables()
        sync_organisations()
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app) -> LMSClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a user: make_user(role="educator", email=..., password=...)."""
    from lms.accounts.services import create_user

    counter = iter(range(1, 1_000_000))

    def make(role: str = "learner", email: str | None = None, password: str = "correct horse battery",
             full_name: str | None = None, **fields):
        n = next(counter)
        user = create_user(
            email=email or f"person{n}@example.nhs.uk",
            full_name=full_name or f"Person {n}",
            password=password,
            role=role,
            organisation_id=fields.pop("organisation_id", "cnwl"),
            professional_group=fields.pop("professional_group", "nurse"),
            verified=fields.pop("verified", True),  # a confirmed address, as most tests assume
            **fields,
        )
        db.session.commit()
        return user

    return make


def log_in(client: LMSClient, email: str, password: str = "correct horse battery"):
    return client.post_form("/login", {"email": email, "password": password})


@pytest.fixture
def login(client):
    """login(user) logs the test client in through the real form."""

    def do_login(user, password: str = "correct horse battery"):
        response = log_in(client, user.email, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do_login


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, *args):
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """count_queries(fn) -> how many SQL statements fn ran (to keep pages free of N+1 queries)."""

    def run(fn):
        counter = QueryCounter()
        sa.event.listen(db.engine, "before_cursor_execute", counter)
        try:
            fn()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counter)
        return counter

    return run
