"""Benchmark: a 1,000-learner cohort CSV previewed and committed, on SQLite and PostgreSQL.

Reproduce with:

    .venv/bin/python bench/cohorts.py [--db sqlite postgres] [--rows 1000] [--runs 3]

For each database (a SQLite file in a temporary folder; a PostgreSQL database made and dropped next
to ``LMS_TEST_POSTGRES_URL``, skipped with a message when it does not answer) and each run it makes
the schema with the migrations, adds one course, an educator of it and existing accounts for a fifth
of the CSV's people (a quarter of those already enrolled), then, as the educator through the real
pages (Flask's test client, CSRF tokens and all):

1. uploads the CSV (read and checked by line, the plan worked out, the rows kept): "upload";
2. opens the preview page listing every row: "preview";
3. confirms it: accounts made, enrolments, an invitation job each and the audit entries, in one
   transaction: "commit".

Email jobs are only enqueued (no worker runs). It prints figures only; the target is under 10 s in all.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchdb import create_postgres_database, drop_postgres_database, make_app  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from lms.accounts.models import User  # noqa: E402
from lms.accounts.services import hash_password, invited_password_hash, sync_organisations  # noqa: E402
from lms.catalog.models import Course, CourseStaff  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.jobs.models import Job  # noqa: E402
from lms.learning.models import Enrolment  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "bench password 1234"  # noqa: S105 - the benchmark account's throwaway password
TRACKS = ("postgraduate", "ahp", "junior")
ORGS = ("cnwl", "Imperial College Healthcare NHS Trust", "brent-council", "")


def say(text: str) -> None:
    print(text, flush=True)


def seed(rows: int) -> bytes:
    """The schema, a course with its educator, existing accounts; returns the CSV to upload."""
    upgrade()
    sync_organisations()
    course = Course(key="cohort-bench", slug="cohort-bench", title="Cohort benchmark", summary="",
                    tracks=list(TRACKS), cpd_hours={t: 1 for t in TRACKS}, outcomes=[], pass_mark=75,
                    overview_html={t: "" for t in TRACKS}, retired_keys=[], revision="0" * 64,
                    content_hash="0" * 64)
    educator = User(email="educator@bench.nhs.uk", full_name="Bench Educator", role="educator",
                    password_hash=hash_password(PASSWORD), organisation_id="nwl-icb")
    db.session.add_all([course, educator])
    db.session.flush()
    db.session.add(CourseStaff(course_id=course.id, user_id=educator.id, role="educator"))
    existing = [User(email=f"person{n}@bench.nhs.uk", full_name=f"Existing {n}", role="learner",
                     password_hash=invited_password_hash(), organisation_id="cnwl") for n in range(0, rows, 5)]
    db.session.add_all(existing)
    db.session.flush()
    db.session.add_all(Enrolment(user_id=u.id, course_id=course.id, track="junior") for u in existing[::4])
    db.session.commit()
    lines = ["email,name,track,organisation"] + [
        f"person{n}@bench.nhs.uk,Person {n},{TRACKS[n % 3]},{ORGS[n % 4]}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def logged_in(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": "educator@bench.nhs.uk",
                                           "password": PASSWORD})
    assert response.status_code == 302, "login failed"
    return client


def token_of(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def one_run(url: str, rows: int) -> dict[str, float]:
    app = make_app(url)
    app.config["JOBS_IMMEDIATE"] = False
    with app.app_context():
        data = seed(rows)
        db.session.remove()
    # Requests outside any app context, as on a server (a shared context would share `g` and its CSRF token).
    client = logged_in(app)
    token = token_of(client, "/manage/courses/cohort-bench/enrol")
    started = time.perf_counter()
    response = client.post("/manage/courses/cohort-bench/enrol/upload", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(data), "cohort.csv")})
    uploaded = time.perf_counter()
    assert response.status_code == 302, re.findall(r"<li>[^<]+</li>", response.get_data(as_text=True))[:5]
    preview_url = response.headers["Location"]
    page = client.get(preview_url)
    previewed = time.perf_counter()
    assert page.status_code == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    before = time.perf_counter()
    response = client.post(preview_url, data={"csrf_token": token})
    committed = time.perf_counter()
    assert response.status_code == 302
    with app.app_context():
        users = db.session.scalar(select(func.count()).select_from(User))
        enrolments = db.session.scalar(select(func.count()).select_from(Enrolment))
        jobs = db.session.scalar(select(func.count()).select_from(Job).where(Job.task == "mail.send"))
        new = rows - len(range(0, rows, 5))
        assert (users, enrolments, jobs) == (1 + rows, rows, new), (users, enrolments, jobs)
        db.session.remove()
        db.engine.dispose()
    return {"upload": uploaded - started, "preview": previewed - uploaded, "commit": committed - before,
            "total": committed - started, "new": new}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres-url", default=os.environ.get("LMS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    args = parser.parse_args()
    logging.disable(logging.INFO)
    say(f"Reproduce: .venv/bin/python bench/cohorts.py --db {' '.join(args.db)} --rows {args.rows} "
        f"--runs {args.runs}")
    for kind in args.db:
        results = []
        for _ in range(args.runs):
            if kind == "sqlite":
                with tempfile.TemporaryDirectory() as folder:
                    results.append(one_run(f"sqlite:///{folder}/bench.sqlite3", args.rows))
            else:
                url = create_postgres_database(args.postgres_url, "lms_bench_cohorts", say)
                if url is None:
                    break
                try:
                    results.append(one_run(url, args.rows))
                finally:
                    drop_postgres_database(args.postgres_url, url)
        if not results:
            continue
        new = results[0]["new"]
        say(f"{kind}: {args.rows} rows ({new} new accounts, {args.rows - new} existing), median of {len(results)}:")
        for stage in ("upload", "preview", "commit", "total"):
            values = [r[stage] for r in results]
            say(f"  {stage:<8} {statistics.median(values):6.2f} s  (min {min(values):.2f}, max {max(values):.2f})")


if __name__ == "__main__":
    main()
