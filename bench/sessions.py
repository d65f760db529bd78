"""Benchmark: what a server-side session costs each request, against the same page for a visitor.

Reproduce with:

    .venv/bin/python bench/sessions.py [--requests N] [--no-postgres]

For each database (a SQLite file in a temporary folder, then a PostgreSQL database made and dropped
at ``LMS_TEST_POSTGRES_URL``; skipped with a message when PostgreSQL does not answer) it makes the
schema from the models, adds 10,000 accounts with 50,000 session rows (so the lookup is not on a
tiny table), logs one person in through the real form, then times N requests of the accessibility
statement (a page that reads nothing else) in-process with Flask's test client: as a visitor, and
as the logged-in person. Figures: milliseconds per request for each, the difference (which also
holds the first database use of the request: a pooled connection, PostgreSQL's pre-ping, begin and
rollback, and the logged-in header), SQL statements per logged-in request, and how many of them
wrote to ``user_sessions`` (``last_seen_at`` is written at most once a minute, so 0 in a run
shorter than a minute after the first), and the time of the lookup statement alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402
from benchdb import create_postgres_database, drop_postgres_database, make_app  # noqa: E402

from lms.accounts.models import User, UserSession  # noqa: E402
from lms.accounts.services import create_user, hash_password, sync_organisations  # noqa: E402
from lms.clock import utcnow  # noqa: E402
from lms.extensions import db  # noqa: E402

PASSWORD = "bench password 1234"  # noqa: S105 - the benchmark account's throwaway password
PAGE = "/accessibility"


def seed(app) -> str:
    with app.app_context():
        db.create_all()
        sync_organisations()
        now = utcnow()
        one_hash = hash_password("x" * 20)
        db.session.execute(sa.insert(User), [
            {"email": f"bench{n}@example.nhs.uk", "full_name": f"Bench {n}", "password_hash": one_hash,
             "role": "learner", "professional_group": "nurse", "session_token": f"t{n}", "created_at": now}
            for n in range(10_000)])
        ids = list(db.session.scalars(sa.select(User.id)))
        db.session.execute(sa.insert(UserSession), [
            {"id": f"{n:064x}", "user_id": ids[n % len(ids)], "created_at": now - timedelta(hours=1),
             "last_seen_at": now - timedelta(minutes=n % 60), "ended_at": None if n % 3 else now}
            for n in range(50_000)])
        create_user(email="timed@example.nhs.uk", full_name="Timed Person", password=PASSWORD, verified=True)
        db.session.commit()
    return "timed@example.nhs.uk"


def login(client, email: str) -> None:
    import re

    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code


def per_request_ms(client, n: int) -> float:
    for _ in range(20):  # warm up
        client.get(PAGE)
    start = time.perf_counter()
    for _ in range(n):
        assert client.get(PAGE).status_code == 200
    return (time.perf_counter() - start) * 1000 / n


def run(label: str, url: str, n: int) -> None:
    app = make_app(url)
    app.config["WTF_CSRF_ENABLED"] = True
    email = seed(app)
    visitor, person = app.test_client(), app.test_client()
    login(person, email)
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", lambda c, cur, s, *a: statements.append(s))
    person.get(PAGE)
    per_request = len(statements)
    statements.clear()
    visitor_ms = per_request_ms(visitor, n)
    person_ms = per_request_ms(person, n)
    writes = sum(1 for s in statements if s.lstrip().upper().startswith("UPDATE USER_SESSIONS"))
    print(f"{label}: visitor {visitor_ms:.2f} ms/request, logged in {person_ms:.2f} ms/request, "
          f"session cost {person_ms - visitor_ms:+.2f} ms; {per_request} SQL statement(s) per logged-in request; "
          f"{writes} last-seen write(s) in {n + 20} logged-in requests")
    with app.app_context():
        print(f"{label}: the lookup alone (one primary-key SELECT joined with users, in an open transaction): "
              f"{lookup_ms(n):.3f} ms")
        db.engine.dispose()


def lookup_ms(n: int) -> float:
    query = (sa.select(UserSession, User).join(User, User.id == UserSession.user_id)
             .where(UserSession.id == f"{12345:064x}"))
    db.session.execute(query).first()
    start = time.perf_counter()
    for _ in range(n):
        db.session.execute(query).first()
    elapsed = (time.perf_counter() - start) * 1000 / n
    db.session.rollback()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run("sqlite", f"sqlite:///{folder}/bench.sqlite3", args.requests)
    if args.no_postgres:
        return
    admin = os.environ.get("LMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    url = create_postgres_database(admin, "lms_bench_sessions")
    if url:
        try:
            run("postgresql", url, args.requests)
        finally:
            drop_postgres_database(admin, url)


if __name__ == "__main__":
    main()
