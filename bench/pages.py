"""Benchmark: the lesson page and the dashboard for logged-in learners, against a bare Flask app.

Reproduce with:

    .venv/bin/python bench/pages.py [--quick] [--profile] [--no-postgres | --only-postgres]

For each database (a SQLite file in a temporary folder, then a PostgreSQL database this script
creates and drops at ``LMS_TEST_POSTGRES_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``; skipped with a message when PostgreSQL
does not answer) it:

1. makes the schema with the migrations (``flask db upgrade``), syncs the organisations and
   publishes the shipped courses, adds generated courses, then bulk-inserts 10,000 learners
   (one precomputed password hash), their enrolments (every learner on innovation-in-practice,
   most on foundations-of-safety, three generated courses each) and about a million
   LessonProgress rows;
2. logs a pool of learners in through the real ``/login`` form (Flask's test client, same
   SECRET_KEY) and keeps their session cookies;
3. serves the app with gunicorn (2 sync workers, development config, no debug, warnings-only
   log) on 127.0.0.1, checks each page once, then drives it with wrk (16 connections, 2
   threads, ``bench/pages/cookies.lua`` sending one learner's cookie per request, round robin).

The bare app (``bench/pages/bare.py``, "hello") is served and driven the same way, just before
each database's pages, so both see the same load on the machine. Figures: requests/s, p50 and p99
latency, the ratio to the bare app's requests/s, and the CPU time the gunicorn processes spent
per request (read from /proc; steadier than requests/s when the machine is shared, as is the
1-minute load average printed with each run). ``--quick`` is a
smoke run (1,000 learners, 5 s runs); ``--profile`` also profiles the two pages in-process.
The last line is ``lesson_page_vs_bare: X.XX`` for the SQLite lesson page.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import os
import pstats
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402
from benchdb import SECRET_KEY, create_postgres_database, drop_postgres_database, make_app  # noqa: E402
from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from lms.accounts.models import User  # noqa: E402
from lms.accounts.organisations import ORGANISATIONS  # noqa: E402
from lms.accounts.services import sync_organisations  # noqa: E402
from lms.catalog.models import Course, Lesson, Module, Question, ReflectionPrompt  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.learning.models import Enrolment, LessonProgress  # noqa: E402
from lms.learning.progress import course_outlines  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent / "pages"
LUA_SCRIPT = BENCH_DIR / "cookies.lua"
VENV_BIN = Path(sys.executable).parent
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

PASSWORD = "bench password 1234"  # noqa: S105 - the benchmark learners' throwaway password
BENCH_HASH_METHOD = "scrypt:1024:8:1"  # noqa: S105 - a method name, as in config.TestingConfig
USER_AGENT = "lms-bench/1"  # the same for the test client and wrk, so Flask-Login's session check passes
TRACKS = ("postgraduate", "ahp", "junior")
GROUPS = {"postgraduate": ("student", "doctor"), "ahp": ("ahp",), "junior": ("nurse", "doctor", "midwife", "pharmacy")}

MAIN_COURSE = "innovation-in-practice"
SECOND_COURSE = "foundations-of-safety"
SECOND_COURSE_SHARE = 0.7  # of learners also on the safety course
GENERATED_COURSES = 8
GENERATED_MODULES = 5
GENERATED_LESSONS_PER_MODULE = 9
GENERATED_PER_LEARNER = 3
# The lesson benchmarked: an ordinary reading lesson on every track, with a reflection prompt.
LESSON = ("designing-with-people", "co-production-participation")

BATCH = 50_000
TARGET_P99_MS = 50.0
TARGET_RATIO = 0.3


def say(*args) -> None:
    print(*args, flush=True)


# --- databases -------------------------------------------------------------------------------


def postgres_admin_url(args) -> str:
    return args.postgres_url or os.environ.get("LMS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


# --- seeding ---------------------------------------------------------------------------------


@dataclass
class Seeded:
    learners: int
    enrolments: int
    progress_rows: int
    schema_seconds: float
    seed_seconds: float
    lesson_path: str
    lesson_title: str
    main_course_title: str
    pool_emails: list[str] = field(default_factory=list)


def bulk_insert(model, columns: list[str], rows: Iterable[tuple]) -> int:
    """Insert tuples fast: COPY on PostgreSQL, executemany in batches elsewhere. Returns the count."""
    table = model.__table__
    conn = db.session.connection()
    count = 0
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    insert = sa.insert(table)
    batch: list[dict] = []
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) >= BATCH:
            conn.execute(insert, batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(insert, batch)
        count += len(batch)
    return count


def add_generated_courses() -> list[int]:
    """Extra published courses with many lessons on every track, so progress reaches a million rows."""
    ids = []
    for n in range(1, GENERATED_COURSES + 1):
        key = f"bench-course-{n:02d}"
        course = Course(
            key=key, slug=key, title=f"Programme course {n}", summary="Generated for the benchmark.",
            tracks=list(TRACKS), cpd_hours={t: 6 for t in TRACKS},
            outcomes=[{"id": "outcome-1", "text": "Apply what was learned.", "tracks": list(TRACKS)}],
            pass_mark=80.0, certificate_issue="automatic", status="published",
            overview_html={t: f"<p>Programme course {n}.</p>" for t in TRACKS}, retired_keys=[],
            revision=f"{n:064d}", content_hash=f"{n:064d}",
        )
        db.session.add(course)
        db.session.flush()
        for m in range(1, GENERATED_MODULES + 1):
            module = Module(course_id=course.id, key=f"module-{m}", title=f"Module {m}", tracks=list(TRACKS),
                            position=m, intro_html={t: "" for t in TRACKS}, content_hash=f"{m:064d}")
            db.session.add(module)
            db.session.flush()
            for p in range(1, GENERATED_LESSONS_PER_MODULE + 1):
                body = "".join(f"<p>Paragraph {i} of lesson {m}.{p} about improvement work on the ward.</p>"
                               for i in range(30))
                db.session.add(Lesson(
                    course_id=course.id, module_id=module.id, key=f"lesson-{m}-{p}", title=f"Lesson {m}.{p}",
                    tracks=list(TRACKS), position=p, estimated_minutes={t: 15 for t in TRACKS},
                    outcomes=["outcome-1"], pass_mark=80.0, required=True, html={t: body for t in TRACKS},
                    content_hash=f"{p:064d}",
                ))
        ids.append(course.id)
    db.session.flush()
    return ids


def lessons_done(rng: random.Random, total: int) -> int:
    """A realistic spread: a tenth not started, a quarter finished, the rest part way."""
    r = rng.random()
    if r < 0.10:
        return 0
    if r < 0.35 or total < 2:
        return total
    return rng.randint(1, total - 1)


def seed(app: Flask, learners: int, pool: int) -> Seeded:
    rng = random.Random(20250601)
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        sync_organisations()
        db.session.commit()
        result = app.test_cli_runner().invoke(args=["content", "build", str(REPO / "content")])
        if result.exit_code != 0:
            raise RuntimeError(f"content build failed:\n{result.output}")
        schema_seconds = time.perf_counter() - started

        started = time.perf_counter()
        courses = {c.slug: c for c in db.session.scalars(sa.select(Course))}
        generated = add_generated_courses()
        main, second = courses[MAIN_COURSE], courses[SECOND_COURSE]
        outlines = course_outlines([main.id, second.id, *generated])
        by_track = {(course_id, track): [ol.id for ol in outline if track in ol.tracks and ol.required]
                    for course_id, outline in outlines.items() for track in TRACKS}
        with_quiz = set(db.session.scalars(sa.select(Question.lesson_id).distinct()))

        # One hash for everybody, with the test suite's cheap scrypt parameters: /login still checks
        # it for real (werkzeug reads the parameters from the hash) without 100 ms per login.
        password_hash = generate_password_hash(PASSWORD, method=BENCH_HASH_METHOD)
        organisations = [org_id for org_id, _name, kind in ORGANISATIONS if kind != "university"]
        base = datetime(2025, 1, 6, 8, 0)
        user_rows = []
        for uid in range(1, learners + 1):
            track = TRACKS[uid % 3]
            user_rows.append((uid, f"learner{uid:05d}@bench.nhs.uk", f"Learner {uid:05d}", password_hash, "learner",
                              organisations[uid % len(organisations)], rng.choice(GROUPS[track]),
                              secrets.token_urlsafe(16), base + timedelta(minutes=uid)))
        n_users = bulk_insert(User, ["id", "email", "full_name", "password_hash", "role", "organisation_id",
                                     "professional_group", "session_token", "created_at"], user_rows)

        # Enrolments first (progress rows refer to them); each keeps a plan for its progress rows.
        enrolment_rows, plans = [], []
        for uid in range(1, learners + 1):
            track = TRACKS[uid % 3]
            course_ids = [main.id]
            if rng.random() < SECOND_COURSE_SHARE:
                course_ids.append(second.id)
            course_ids += [generated[(uid + k) % len(generated)] for k in range(GENERATED_PER_LEARNER)]
            for course_id in course_ids:
                lesson_ids = by_track[(course_id, track)]
                done = lessons_done(rng, len(lesson_ids))
                enrolled = base + timedelta(days=rng.randint(0, 300), minutes=rng.randint(0, 1440))
                gap = timedelta(hours=rng.randint(2, 72))
                last_at = enrolled + gap * done if done else enrolled
                last_lesson = lesson_ids[min(done, len(lesson_ids) - 1)]
                complete = done == len(lesson_ids)
                eid = len(enrolment_rows) + 1
                enrolment_rows.append((eid, uid, course_id, track, enrolled, last_at, last_lesson,
                                       last_at if complete else None))
                plans.append((eid, lesson_ids, done, enrolled, gap))
        n_enrolments = bulk_insert(Enrolment, ["id", "user_id", "course_id", "track", "enrolled_at",
                                               "last_activity_at", "last_lesson_id", "completed_at"], enrolment_rows)

        def progress_rows() -> Iterator[tuple]:
            for eid, lesson_ids, done, enrolled, gap in plans:
                for j in range(done):
                    lesson_id = lesson_ids[j]
                    at = enrolled + gap * (j + 1)
                    best = float(80 + (eid * 7 + j * 13) % 21) if lesson_id in with_quiz else None
                    yield eid, lesson_id, at, best, at
                if done < len(lesson_ids) and lesson_ids[done] in with_quiz and eid % 3 == 0:
                    # A knowledge check tried but not passed yet.
                    yield eid, lesson_ids[done], None, float(40 + eid % 39), enrolled + gap * (done + 1)

        n_progress = bulk_insert(LessonProgress, ["enrolment_id", "lesson_id", "completed_at", "best_percent",
                                                  "updated_at"], progress_rows())
        if db.session.get_bind().dialect.name == "postgresql":
            for table in ("users", "enrolments"):  # explicit ids: move the sequences past them
                db.session.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        db.session.commit()
        if db.session.get_bind().dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))  # what autovacuum would do shortly after a load
        seed_seconds = time.perf_counter() - started

        module_key, lesson_key = LESSON
        lesson = db.session.execute(
            sa.select(Lesson).join(Module, Module.id == Lesson.module_id)
            .where(Lesson.course_id == main.id, Module.key == module_key, Lesson.key == lesson_key)
        ).scalar_one()
        assert set(TRACKS) <= set(lesson.tracks), "the benchmarked lesson must be on every track"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReflectionPrompt)
                                 .where(ReflectionPrompt.lesson_id == lesson.id)), "expected a reflection prompt"
        step = max(learners // pool, 1)
        pool_emails = [f"learner{uid:05d}@bench.nhs.uk" for uid in range(1, learners + 1, step)][:pool]
        seeded = Seeded(n_users, n_enrolments, n_progress, schema_seconds, seed_seconds,
                        f"/courses/{MAIN_COURSE}/{module_key}/{lesson_key}/", lesson.title, main.title, pool_emails)
        db.session.remove()
        db.engine.dispose()
    return seeded


# --- logging in ------------------------------------------------------------------------------


def log_in_pool(app: Flask, seeded: Seeded) -> list[str]:
    """Session cookies of the pool, each made by logging in through the real /login form."""
    cookies = []
    for email in seeded.pool_emails:
        client = app.test_client()
        client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
        page = client.get("/login").get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert match, "no CSRF token on /login"
        response = client.post("/login", data={"csrf_token": match.group(1), "email": email, "password": PASSWORD})
        assert response.status_code == 302 and "/login" not in response.location, (
            f"login failed for {email}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        # One lesson view puts the CSRF token in the session, so the pages do not rewrite the cookie.
        response = client.get(seeded.lesson_path)
        assert response.status_code == 200, f"lesson page for {email}: {response.status_code}"
        cookie = client.get_cookie("session")
        assert cookie is not None, "no session cookie after login"
        cookies.append(cookie.value)
    with app.app_context():
        db.engine.dispose()
    return cookies


# --- serving and driving ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int, path: str, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"User-Agent": USER_AGENT}
        if cookie:
            headers["Cookie"] = f"session={cookie}"
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        conn.close()


@dataclass
class Server:
    port: int
    pid: int

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the gunicorn master and its workers (Linux /proc), or None."""
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
            total = 0
            for pid in [self.pid, *map(int, children)]:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            return None
        return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def gunicorn(app_spec: str, chdir: Path, env: dict[str, str], log_path: Path, ready_path: str) -> Iterator[Server]:
    """Serve `app_spec` with 2 sync workers on a free local port; always stopped on exit."""
    port = free_port()
    command = [str(VENV_BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--chdir", str(chdir),
               "--log-level", "warning", "--error-logfile", str(log_path), app_spec]
    process = subprocess.Popen(command, env={**os.environ, **env}, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{tail(log_path)}")
            try:
                if fetch(port, ready_path)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within 60 s:\n{tail(log_path)}")
            time.sleep(0.2)
        yield Server(port, process.pid)
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # the master stops its workers
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the session this script started for it
        process.wait(timeout=5)


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text().splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Run:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    n3xx: int
    n4xx: int
    n5xx: int
    missing: int
    socket_errors: int
    #: CPU milliseconds the server (master and workers) spent per request; None where unknown.
    cpu_ms: float | None = None
    #: The 1-minute load average when the run started (the machine may be shared).
    load: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(args, port: int, path: str, cookie_file: Path, expect: str, seconds: float, name: str) -> Run:
    env = {**os.environ, "BENCH_COOKIE_FILE": str(cookie_file), "BENCH_USER_AGENT": USER_AGENT,
           "BENCH_EXPECT": expect, "BENCH_THREADS": str(args.threads)}
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{max(1, round(seconds))}s",
               "--timeout", "10s", "--latency", "-s", str(LUA_SCRIPT), f"http://127.0.0.1:{port}{path}"]
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next((line for line in out.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"no summary from wrk:\n{out}")
    f = {k: int(v) for k, v in (part.split("=") for part in line.split()[1:])}
    return Run(name, f["requests"], f["duration_us"] / 1e6, f["p50_us"] / 1e3, f["p90_us"] / 1e3, f["p99_us"] / 1e3,
               f["max_us"] / 1e3, f["non2xx"], f["n3xx"], f["n4xx"], f["n5xx"], f["missing"],
               f["err_connect"] + f["err_read"] + f["err_write"] + f["err_timeout"])


def drive(args, server: Server, path: str, cookie_file: Path, expect: str, name: str, bare: Run | None = None
          ) -> Run:
    wrk(args, server.port, path, cookie_file, expect, args.warmup, name)
    load = os.getloadavg()[0]
    cpu_before = server.cpu_seconds()
    run = wrk(args, server.port, path, cookie_file, expect, args.duration, name)
    cpu_after = server.cpu_seconds()
    if cpu_before is not None and cpu_after is not None and run.requests:
        run.cpu_ms = (cpu_after - cpu_before) * 1e3 / run.requests
    run.load = load
    say(f"  {describe(run, bare)}")
    return run


def describe(run: Run, bare: Run | None = None) -> str:
    text = f"{run.name:<24} {run.rps:7.1f} req/s  p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms"
    if bare is not None:
        text += f"  vs bare {run.rps / bare.rps:4.2f}"
    else:
        text += " " * 15
    cpu = f"{run.cpu_ms:5.2f}" if run.cpu_ms is not None else "  n/a"
    text += f"  server CPU {cpu} ms/req"
    if bare is not None and run.cpu_ms and bare.cpu_ms:
        text += f" (bare/page {bare.cpu_ms / run.cpu_ms:4.2f})"
    text += f"  load {run.load:4.1f}  ({run.requests} requests)"
    problems = []
    if run.non2xx:
        problems.append(f"non-2xx {run.non2xx} (3xx {run.n3xx}, 4xx {run.n4xx}, 5xx {run.n5xx})")
    if run.missing:
        problems.append(f"2xx without the expected text {run.missing}")
    if run.socket_errors:
        problems.append(f"socket errors {run.socket_errors}")
    return text + ("   " + "; ".join(problems) if problems else "   non-2xx 0")


def check_page(port: int, path: str, cookie: str, expected: list[str]) -> None:
    """One request as a learner: 200, the expected text, and no new session cookie."""
    status, headers, body = fetch(port, path, cookie)
    assert status == 200, f"GET {path} as a learner: {status} {headers.get('location', '')}"
    for text in expected:
        assert text in body, f"GET {path}: {text!r} not in the page"
    if "set-cookie" in headers:
        say(f"  note: GET {path} rewrites the session cookie on every request")


# --- profiling -------------------------------------------------------------------------------

CATEGORIES = [  # (label, substrings of the profiled function's file or name), first match wins
    ("database driver (sqlite3/psycopg)", ("sqlite3", "psycopg")),
    ("SQLAlchemy", ("sqlalchemy",)),
    ("JSON decoding", ("json",)),
    ("templates (Jinja2, markupsafe)", ("jinja2", "markupsafe", ".html")),
    ("forms (WTForms, CSRF)", ("wtforms", "flask_wtf", "itsdangerous", "hmac", "hashlib")),
    ("Flask, Werkzeug, Flask-Login", ("flask", "werkzeug")),
    ("app code (lms, courses)", ("/lms/", "/courses/")),
]


def profile_pages(app: Flask, seeded: Seeded, cookies: list[str], label: str, requests: int = 200) -> None:
    """In-process, through the test client: time a request, its SQL statements one by one, then cProfile it."""
    timings: dict[str, list[float]] = defaultdict(list)

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        words = " ".join(statement.split())
        shape = f"{words[:60]} ... {words[-60:]}" if len(words) > 125 else words
        timings[shape].append(time.perf_counter() - conn.info.pop("bench_started"))

    for page, path in (("lesson page", seeded.lesson_path), ("dashboard", "/dashboard")):
        clients = []
        for cookie in cookies:
            client = app.test_client()
            client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
            client.set_cookie("session", cookie)
            clients.append(client)
        for client in clients[:10]:
            assert client.get(path).status_code == 200  # warm caches and compiled templates
        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", before)
        sa.event.listen(engine, "after_cursor_execute", after)
        timings.clear()
        started = time.perf_counter()
        for i in range(requests):
            clients[i % len(clients)].get(path)
        wall = (time.perf_counter() - started) / requests
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
        count = sum(len(t) for t in timings.values()) / requests
        sql = sum(sum(t) for t in timings.values()) / requests
        say(f"\n[profile {label} {page}] {wall * 1e3:.2f} ms a request in-process; {count:.1f} SQL statements "
            f"taking {sql * 1e3:.2f} ms ({100 * sql / wall:.0f}%) in cursor.execute:")
        for shape, times in timings.items():
            say(f"    {len(times) / requests:4.1f} x {1e3 * sum(times) / len(times):6.3f} ms  {shape}")

        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(requests):
            clients[i % len(clients)].get(path)
        profiler.disable()
        stats = pstats.Stats(profiler)
        # Python function calls barely change with the machine's load, unlike times: compare these across runs.
        say(f"  {stats.total_calls / requests:,.0f} Python function calls a request (cProfile)")
        by_category: dict[str, float] = defaultdict(float)
        total = 0.0
        for (filename, _line, name), (_cc, _nc, self_time, _ct, _callers) in stats.stats.items():
            where = f"{filename} {name}".lower()
            label_for = next((c for c, keys in CATEGORIES if any(k in where for k in keys)), "other (stdlib, etc.)")
            by_category[label_for] += self_time
            total += self_time
        say("  self time by area (cProfile):")
        for name, seconds in sorted(by_category.items(), key=lambda kv: -kv[1]):
            say(f"    {name:<36} {100 * seconds / total:5.1f}%")
        say(f"  where the time goes (cumulative, {requests} requests; cProfile slows everything about 2x):")
        stats.sort_stats("cumulative").print_stats(r"/lms/|templating\.py|json/__init__|_load_expired|app\.py.*url_for",
                                                   30)
    with app.app_context():
        db.engine.dispose()


# --- the run ---------------------------------------------------------------------------------


def bench_bare(args, tmp: Path, label: str) -> Run:
    """The floor, measured next to each database's pages so both see the same machine load."""
    cookie_file = tmp / "cookies-bare.txt"
    cookie_file.write_text("\n".join(secrets.token_urlsafe(40) for _ in range(args.pool)) + "\n")
    with gunicorn("bare:app", BENCH_DIR, {}, tmp / "gunicorn-bare.log", "/") as server:
        assert fetch(server.port, "/")[2] == "hello"
        return drive(args, server, "/", cookie_file, "hello", f"bare app ({label})")


def bench_database(args, kind: str, url: str, tmp: Path) -> tuple[Run, Run, Run]:
    say(f"\n== {kind} ==")
    app = make_app(url)
    seeded = seed(app, args.learners, args.pool)
    say(f"schema (migrations), organisations and shipped courses: {seeded.schema_seconds:.1f} s")
    say(f"seeding: {seeded.learners:,} learners, {seeded.enrolments:,} enrolments, "
        f"{seeded.progress_rows:,} lesson progress rows in {seeded.seed_seconds:.1f} s")
    started = time.perf_counter()
    cookies = log_in_pool(app, seeded)
    say(f"logged in {len(cookies)} learners through /login in {time.perf_counter() - started:.1f} s")
    cookie_file = tmp / f"cookies-{kind}.txt"
    cookie_file.write_text("\n".join(cookies) + "\n")

    env = {"LMS_CONFIG": "development", "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "FLASK_DEBUG": "0"}
    bare = bench_bare(args, tmp, kind)
    with gunicorn("wsgi:app", REPO, env, tmp / f"gunicorn-{kind}.log", "/login") as server:
        lesson_expect = f"<h1>{seeded.lesson_title}</h1>"
        check_page(server.port, seeded.lesson_path, cookies[0], [lesson_expect, "Save reflection", "Log out"])
        check_page(server.port, "/dashboard", cookies[0],
                   ["<h1>My learning</h1>", seeded.main_course_title, "Log out"])
        say(f"checked: {seeded.lesson_path} and /dashboard answer 200 with the learner's pages")
        lesson = drive(args, server, seeded.lesson_path, cookie_file, lesson_expect, f"{kind} lesson page", bare)
        dashboard = drive(args, server, "/dashboard", cookie_file, "<h1>My learning</h1>", f"{kind} dashboard", bare)
        log = tail(tmp / f"gunicorn-{kind}.log")
        if log.strip():
            say(f"  gunicorn log (last lines):\n{log}")
    if args.profile:
        profile_pages(app, seeded, cookies, kind)
    return bare, lesson, dashboard


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000 learners, 5 s runs")
    parser.add_argument("--learners", type=int, help="learners to seed (default 10,000; 1,000 with --quick)")
    parser.add_argument("--duration", type=int, help="seconds per measured wrk run (default 15; 5 with --quick)")
    parser.add_argument("--warmup", type=int, help="seconds of wrk warm-up before each run (default 3; 1 with --quick)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pool", type=int, default=64, help="learners logged in and rotated through")
    parser.add_argument("--postgres-url", help=f"admin URL (default $LMS_TEST_POSTGRES_URL or {DEFAULT_POSTGRES_URL})")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--only-postgres", action="store_true", help="PostgreSQL only")
    parser.add_argument("--profile", action="store_true", help="also profile both pages in-process (cProfile)")
    args = parser.parse_args(argv)
    args.learners = args.learners or (1_000 if args.quick else 10_000)
    args.duration = args.duration or (5 if args.quick else 15)
    args.warmup = args.warmup or (1 if args.quick else 3)

    say("Reproduce with: .venv/bin/python bench/pages.py" + (" --quick" if args.quick else "")
        + " (options: --quick, --profile, --no-postgres, --only-postgres; see --help)")
    say(f"gunicorn 2 sync workers; wrk {args.threads} threads, {args.connections} connections, "
        f"{args.warmup:g} s warm-up then {args.duration:g} s; {args.learners:,} learners, "
        f"{args.pool} logged in and rotated through, one per request")
    if shutil.which("wrk") is None:
        say("wrk is not installed (apt-get install wrk)")
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="lms-bench-pages-"))
    admin = postgres_admin_url(args)
    postgres_url = None
    results: dict[str, tuple[Run, Run, Run]] = {}
    started = time.perf_counter()
    try:
        if not args.only_postgres:
            results["sqlite"] = bench_database(args, "sqlite", f"sqlite:///{tmp / 'bench.sqlite3'}", tmp)
        if not args.no_postgres:
            postgres_url = create_postgres_database(admin, "lms_bench", say)
            if postgres_url:
                results["postgresql"] = bench_database(args, "postgresql", postgres_url, tmp)
    finally:
        if postgres_url:
            drop_postgres_database(admin, postgres_url)
        shutil.rmtree(tmp, ignore_errors=True)

    say(f"\n== results (whole run {time.perf_counter() - started:.0f} s) ==")
    missed = []
    for bare, lesson, dashboard in results.values():
        say(describe(bare))
        for run in (lesson, dashboard):
            say(describe(run, bare))
            ratio = run.rps / bare.rps
            if ratio < TARGET_RATIO or run.p99_ms >= TARGET_P99_MS or run.non2xx or run.missing:
                missed.append(f"{run.name} (ratio {ratio:.2f}, p99 {run.p99_ms:.1f} ms)")
    say(f"targets: at least {TARGET_RATIO:g} of the bare app's requests/s and p99 under {TARGET_P99_MS:g} ms, "
        "every response 2xx with the expected page")
    say("targets missed: " + "; ".join(missed) if missed else "targets met")
    for kind, (bare, lesson, dashboard) in results.items():
        if bare.cpu_ms and lesson.cpu_ms and dashboard.cpu_ms:
            say(f"CPU per request, bare/page (steadier than requests/s on a shared machine), {kind}: "
                f"lesson page {bare.cpu_ms / lesson.cpu_ms:.2f}, dashboard {bare.cpu_ms / dashboard.cpu_ms:.2f}")
    if "sqlite" in results:
        say("# lesson_page_vs_bare: the SQLite lesson page's requests/s divided by the bare app's")
        bare, lesson, _dashboard = results["sqlite"]
        say(f"lesson_page_vs_bare: {lesson.rps / bare.rps:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
