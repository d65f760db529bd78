"""Benchmark: quiz submissions, in-process CPU per submission and a burst of 500 at gunicorn on PostgreSQL.

Reproduce with:

    LMS_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
    .venv/bin/python bench/submissions.py [--learners 500] [--cpu-submissions 200] [--same 50] [--warm 16]
        [--worker-class gthread|sync] [--workers 2] [--threads 4] [--db sqlite postgres] [--no-burst]
        [--profile N]

It makes a PostgreSQL database (a fresh, randomly named one) next to ``LMS_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``; a SQLite file for the in-process figure
with ``--db sqlite``), schema by the migrations, one generated course (bench/reports.py's: the
knowledge check used here has 4 questions: single, multiple, true/false, single), and learners
enrolled on it with a cheap password hash (logging in is not what is measured).

1. **CPU per submission, in-process**: each of ``--cpu-submissions`` learners logs in through
   /login and opens the knowledge check's lesson page (which opens the attempt: token and CSRF
   token from the page), then POSTs the quiz through Flask's test client; the process's CPU time
   (``time.process_time``, so with SQLite it includes the database's work, with PostgreSQL not the
   server's) and the wall time of each POST are taken. Target under 8 ms. ``--profile N`` runs
   these POSTs under cProfile, timed by this process's CPU time (waits left out), and prints the N costliest
   functions (cumulative and own time).
2. **Burst**: ``--learners`` learners are prepared the same way; gunicorn serves the app
   (``--worker-class``, ``--workers`` processes of ``--threads`` threads) and, after ``--warm``
   submissions by other learners (a server in service has its connections open and its statements
   compiled), each learner's POST is sent at once (500 concurrent: every connection is opened first,
   then the prebuilt requests are sent and the answers read by one thread over non-blocking sockets, so
   the load generator costs little of the machine's CPU). Prints p50/p99 latency, errors
   (anything but the redirect to the result), lost (recorded attempts against successful
   submissions) and the CPU per submission of the gunicorn processes, of the PostgreSQL backends
   serving this database (from /proc: the server must run on this host) and of this client, whose
   sum times the burst over the CPUs is the floor for the last answer on this machine; and how many
   backends were running a statement, and how many of those waited on a lock (shared count and tally rows are
   held from their upsert to the commit), sampled every 100 ms from pg_stat_activity.
3. **Same attempt 50 times**: one more learner's form (same draft token) is posted by ``--same``
   threads at once; exactly one attempt must be recorded and every answer be a redirect or a page.

Why gthread, 2 workers of 4 threads (also deploy/gunicorn.conf.py's default): the machine has 2
cores and a submission is mostly Python (CPU-bound under the GIL), so one process per core; a few
threads per process let one request's PostgreSQL round trips overlap another's Python, and the
connection pool (5 + 10) is enough for them. Measured here (200 learners, same runs): gthread 2 x 4
used the least gunicorn CPU per submission (about 0.8 of the in-process figure), gthread 2 x 2 about
0.85, sync workers 1.15-1.25 of it with 2, 3 or 4 processes, and a sync worker leaves its core idle
while it waits on PostgreSQL. gevent is not a dependency and would not add CPU. The 500 connections
wait in the listen backlog (2048) meanwhile.

It prints figures only; it never passes or fails on time. The last line is ``submissions_p99_ms: N``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import re
import selectors
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from benchdb import SECRET_KEY, create_postgres_database, drop_postgres_database, make_app  # noqa: E402
from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from pages import USER_AGENT, VENV_BIN, Server, fetch, free_port, stop, tail  # noqa: E402
from reports import make_course  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from lms.accounts.models import User  # noqa: E402
from lms.accounts.services import sync_organisations  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.learning.models import Enrolment, QuizAttempt  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "bench password 1234"  # noqa: S105 - the benchmark accounts' throwaway password
SLUG = "bench-main"
LESSON_PATH = f"/courses/{SLUG}/m1/l14/"
#: Right answers to the knowledge check's four questions (as the form sends them).
ANSWERS = [("answer-q1a", "b"), ("answer-q1b", "a"), ("answer-q1b", "c"), ("answer-q1c", "true"),
           ("answer-q1d", "c")]


def say(text: str) -> None:
    print(text, flush=True)


@dataclass
class Learner:
    email: str
    cookie: str = ""
    body: bytes = b""


def seed(app: Flask, count: int) -> list[Learner]:
    """Schema, one course, `count` learners enrolled on its junior track."""
    with app.app_context():
        upgrade()
        sync_organisations()
        make_course(SLUG, "Benchmark course")
        course_id = db.session.scalar(sa.select(sa.text("id")).select_from(sa.text("courses"))
                                      .where(sa.text("slug = :slug")).params(slug=SLUG))
        cheap = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")  # logging in is not what is measured
        emails = [f"sub{i:05d}@bench.nhs.uk" for i in range(count)]
        db.session.execute(sa.insert(User), [
            {"email": e, "full_name": f"Learner {i:05d}", "password_hash": cheap, "role": "learner",
             "organisation_id": "cnwl", "professional_group": "nurse", "session_token": f"token{i}"}
            for i, e in enumerate(emails)])
        ids = db.session.execute(sa.select(User.id).where(User.email.in_(emails)).order_by(User.id)).scalars().all()
        db.session.execute(sa.insert(Enrolment), [{"user_id": uid, "course_id": course_id, "track": "junior"}
                                                  for uid in ids])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return [Learner(e) for e in emails]


def prepare(app: Flask, learner: Learner) -> None:
    """Log in through /login and open the knowledge check: keeps the session cookie and the POST body."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": csrf, "email": learner.email, "password": PASSWORD})
    assert response.status_code == 302 and "/login" not in response.location, f"login failed for {learner.email}"
    response = client.get(LESSON_PATH)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="token"' in page, f"lesson page: {response.status_code} {page[:2000]}"
    form = page[page.index(f'action="{LESSON_PATH}quiz"'):]
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    token = re.search(r'name="token"[^>]*value="([^"]+)"', form).group(1)
    learner.cookie = client.get_cookie("session").value
    learner.body = urllib.parse.urlencode([("csrf_token", csrf), ("token", token), *ANSWERS,
                                           ("action", "submit")]).encode()


def cpu_per_submission(app: Flask, learners: list[Learner], profile: int = 0) -> tuple[float, float]:
    """(median CPU ms, median wall ms) of a POSTed submission through the test client.

    With `profile`, the POSTs run under cProfile and its `profile` costliest functions are printed.
    """
    for learner in learners:
        prepare(app, learner)
    cpu, wall = [], []
    # CPU time, not wall time: waits on PostgreSQL (and on a loaded machine) would hide where the CPU goes.
    profiler = cProfile.Profile(time.process_time) if profile else None
    if profiler:
        profiler.enable()
    for learner in learners:
        client = app.test_client()
        client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
        client.set_cookie("session", learner.cookie)
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.post(f"{LESSON_PATH}quiz", data=learner.body,
                               content_type="application/x-www-form-urlencoded")
        cpu.append((time.process_time() - cpu_started) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 302 and "/attempts/" in response.location, (
            f"{response.status_code} {response.get_data(as_text=True)[:300]}")
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(profile)
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(profile)
        say(out.getvalue())
    return statistics.median(cpu), statistics.median(wall)


# --- gunicorn --------------------------------------------------------------------------------


def start_gunicorn(url: str, args, log_path: Path) -> tuple[object, Server]:
    port = free_port()
    env = {**os.environ, "LMS_CONFIG": "development", "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY,
           "FLASK_DEBUG": "0"}
    command = [str(VENV_BIN / "gunicorn"), "--worker-class", args.worker_class, "--workers", str(args.workers),
               # gunicorn turns a sync worker with threads into gthread: sync means one thread.
               "--threads", str(1 if args.worker_class == "sync" else args.threads),
               "--backlog", "2048", "--timeout", "120",
               "--bind", f"127.0.0.1:{port}", "--chdir", str(REPO), "--log-level", "warning",
               "--error-logfile", str(log_path), "wsgi:app"]
    import subprocess
    process = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{tail(log_path)}")
        try:
            if fetch(port, "/login")[0] == 200:
                return process, Server(port, process.pid)
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"gunicorn did not answer within 60 s:\n{tail(log_path)}")
        time.sleep(0.2)


def request_bytes(port: int, learner: Learner) -> bytes:
    """The learner's quiz POST as the bytes sent on the wire (built before the clock starts)."""
    head = (f"POST {LESSON_PATH}quiz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: {USER_AGENT}\r\n"
            f"Cookie: session={learner.cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(learner.body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + learner.body


def fire(port: int, posts: list[Learner]) -> list[tuple[int, float, str]]:
    """POST every learner's form at once; [(status or 0 on error, ms, location)].

    One thread and non-blocking sockets (the load generator should cost little CPU next to the server):
    every connection is opened first (queued in the listen backlog until a worker accepts it), then each
    prebuilt request is sent and every answer read to its end (the server closes the connection).
    """
    requests = [request_bytes(port, learner) for learner in posts]
    results: list[tuple[int, float, str]] = [(0, 0.0, "")] * len(posts)
    sockets = []
    for _ in posts:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setblocking(False)
        sockets.append(sock)
    selector = selectors.DefaultSelector()
    received: list[list[bytes]] = [[] for _ in posts]
    started = [0.0] * len(posts)
    for i, (sock, raw) in enumerate(zip(sockets, requests, strict=True)):
        started[i] = time.perf_counter()
        try:
            sock.sendall(raw)  # a few hundred bytes: fits the socket's send buffer at once
        except OSError as error:
            results[i] = (0, 0.0, repr(error))
            sock.close()
            continue
        selector.register(sock, selectors.EVENT_READ, i)
    deadline = time.monotonic() + 120
    while selector.get_map() and time.monotonic() < deadline:
        for key, _events in selector.select(timeout=1):
            i, sock = key.data, key.fileobj
            try:
                chunk = sock.recv(65536)
            except OSError as error:
                chunk, results[i] = b"", (0, 0.0, repr(error))
            if chunk:
                received[i].append(chunk)
                continue
            selector.unregister(sock)
            sock.close()
            if results[i][2]:
                continue  # an error, already noted
            results[i] = answer(b"".join(received[i]), (time.perf_counter() - started[i]) * 1000)
    for key in list(selector.get_map().values()):
        results[key.data] = (0, 0.0, "no answer within 120 s")
        key.fileobj.close()
    selector.close()
    return results


def answer(raw: bytes, ms: float) -> tuple[int, float, str]:
    """(status, ms, Location header) of one whole HTTP response; status 0 when it is not one."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    parts = head[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return (0, 0.0, f"not an HTTP answer: {raw[:80]!r}")
    location = next((line.split(":", 1)[1].strip() for line in head[1:] if line.lower().startswith("location:")), "")
    return (int(parts[1]), ms, location)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def attempts_of(app: Flask, emails: list[str]) -> int:
    with app.app_context():
        n = db.session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt)
                              .join(Enrolment, Enrolment.id == QuizAttempt.enrolment_id)
                              .join(User, User.id == Enrolment.user_id).where(User.email.in_(emails)))
        db.session.remove()
        db.engine.dispose()
    return n


def postgres_cpu(url: str) -> dict[int, float] | None:
    """{backend pid: CPU seconds so far} of the PostgreSQL backends connected to `url`'s database, read from
    /proc (the server runs on this host); None when that cannot be read."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            pids = conn.scalars(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND pid <> pg_backend_pid()")).all()
    finally:
        engine.dispose()
    used = {}
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, ValueError, IndexError):
        return None
    return used


class LockWaits:
    """Samples, every `every` seconds while running, how many of this database's backends are running a
    statement and how many of those wait on a lock (a row another submission holds until it commits)."""

    def __init__(self, url: str, every: float = 0.1) -> None:
        self.url, self.every, self.samples = url, every, []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                while not self.stopping.wait(self.every):
                    self.samples.append(tuple(conn.execute(sa.text(
                        "SELECT count(*) FILTER (WHERE state = 'active'), "
                        "count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock') "
                        "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )).one()))
        finally:
            engine.dispose()

    def __enter__(self) -> LockWaits:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stopping.set()
        self.thread.join()

    def describe(self) -> str:
        if not self.samples:
            return "no samples"
        active = statistics.mean(a for a, _w in self.samples)
        waiting = statistics.mean(w for _a, w in self.samples)
        return (f"{active:.1f} backends running a statement on average, {waiting:.1f} of them waiting on a lock "
                f"({len(self.samples)} samples)")


def burst(app: Flask, url: str, learners: list[Learner], warm: list[Learner], same: Learner, args,
          tmp: Path) -> float:
    started = time.perf_counter()
    for learner in [*learners, *warm, same]:
        prepare(app, learner)
    with app.app_context():
        db.engine.dispose()  # no connection of this process is held while gunicorn works
    say(f"  prepared {len(learners) + len(warm) + 1} learners (log in, open the check) in "
        f"{time.perf_counter() - started:.0f} s")
    process, server = start_gunicorn(url, args, tmp / "gunicorn.log")
    try:
        # A server in service is warm: its connections are open and its statements compiled.
        warmed = fire(server.port, warm)
        pg_before = postgres_cpu(url)
        cpu_before, client_before = server.cpu_seconds(), time.process_time()
        wall_started = time.perf_counter()
        with LockWaits(url) as locks:
            results = fire(server.port, learners)
        elapsed = time.perf_counter() - wall_started
        cpu_after, client_after = server.cpu_seconds(), time.process_time()
        pg_after = postgres_cpu(url)
        same_results = fire(server.port, [same] * args.same)
    finally:
        stop(process)
    say(f"  warm-up: {len(warm)} submissions at once before the burst, "
        f"{sum(1 for status, _ms, _loc in warmed if status == 302)} answered 302 (not counted below)")
    ok = [ms for status, ms, location in results if status == 302 and "/attempts/" in location]
    errors = len(results) - len(ok)
    recorded = attempts_of(app, [learner.email for learner in learners])
    say(f"  {len(learners)} concurrent submissions by {len(learners)} learners: all answered in {elapsed:.1f} s; "
        f"p50 {percentile(ok, 0.5):.0f} ms, p99 {percentile(ok, 0.99):.0f} ms, max {max(ok, default=0):.0f} ms"
        if ok else "  no submission succeeded")
    say(f"  errors: {errors}; lost: {len(ok) - recorded} (attempt rows {recorded} for {len(ok)} successful "
        f"submissions of {len(learners)})")
    if errors:
        say("  first errors: " + "; ".join(f"{s} {loc[:80]}" for s, _ms, loc in results
                                            if not (s == 302 and "/attempts/" in loc))[:600])
    if cpu_before is not None and cpu_after is not None:
        per = {"gunicorn": (cpu_after - cpu_before) * 1000 / len(learners),
               "client": (client_after - client_before) * 1000 / len(learners)}
        if pg_before is not None and pg_after is not None:
            per["PostgreSQL"] = sum(v - pg_before.get(pid, 0.0) for pid, v in pg_after.items()) * 1000 / len(learners)
        total = sum(per.values())
        say(f"  CPU per submission in the burst: gunicorn (all processes) {per['gunicorn']:.1f} ms"
            + (f", PostgreSQL backends {per['PostgreSQL']:.1f} ms" if "PostgreSQL" in per else "")
            + f", this client {per['client']:.1f} ms; total {total:.1f} ms, so {len(learners)} submissions need "
            f"{total * len(learners) / 1000 / (os.cpu_count() or 1):.1f} s on {os.cpu_count()} CPUs at best "
            f"(a floor for the last answer)")
    say(f"  PostgreSQL during the burst: {locks.describe()}")
    same_recorded = attempts_of(app, [same.email])
    statuses: dict[str, int] = {}
    for status, _ms, _loc in same_results:
        statuses[str(status or "error")] = statuses.get(str(status or "error"), 0) + 1
    say(f"  the same attempt posted {args.same} times at once: {same_recorded} attempt recorded "
        f"(answers: {', '.join(f'{n}x {s}' for s, n in sorted(statuses.items()))})")
    log = tail(tmp / "gunicorn.log")
    if log.strip():
        say(f"  gunicorn log (last lines):\n{log}")
    return percentile(ok, 0.99) if ok else float("inf")


def run(kind: str, args, tmp: Path) -> float | None:
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    else:
        url = create_postgres_database(args.postgres_url, "lms_bench_submissions", say)
        if url is None:
            return None
    try:
        app = make_app(url)
        total = args.cpu_submissions + (args.learners + args.warm + 1 if kind == "postgres" and not args.no_burst
                                        else 0)
        learners = seed(app, total)
        say(f"\n{kind}: {total} learners enrolled")
        cpu, wall = cpu_per_submission(app, learners[:args.cpu_submissions], args.profile)
        say(f"  CPU per submission in-process (median of {args.cpu_submissions}): {cpu:.2f} ms "
            f"(wall {wall:.1f} ms){' - PostgreSQL server time not included' if kind == 'postgres' else ''}")
        if kind != "postgres" or args.no_burst:
            return None
        rest = learners[args.cpu_submissions:]
        return burst(app, url, rest[:args.learners], rest[args.learners:-1], rest[-1], args, tmp)
    finally:
        if kind == "postgres":
            drop_postgres_database(args.postgres_url, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--cpu-submissions", type=int, default=200)
    parser.add_argument("--same", type=int, default=50)
    parser.add_argument("--warm", type=int, default=16, help="submissions sent at once before the burst")
    parser.add_argument("--worker-class", choices=["gthread", "sync"], default="gthread",
                        help="sync ignores --threads (one request at a time per process)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-burst", action="store_true", help="only the in-process CPU figure")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="profile the in-process submissions and print the N costliest functions")
    parser.add_argument("--postgres-url", default=os.environ.get("LMS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    args = parser.parse_args()
    logging.disable(logging.INFO)
    say(f"Reproduce: .venv/bin/python bench/submissions.py --db {' '.join(args.db)} --learners {args.learners} "
        f"--cpu-submissions {args.cpu_submissions} --same {args.same} --warm {args.warm} "
        f"--worker-class {args.worker_class} --workers {args.workers} --threads {args.threads}"
        f"{' --no-burst' if args.no_burst else ''} --postgres-url {args.postgres_url}")
    say(f"gunicorn {args.worker_class}, {args.workers} workers x {args.threads} threads; load average now "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall times suffer from it; CPU times less).")
    p99 = None
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.db:
            found = run(kind, args, Path(folder))
            p99 = found if found is not None else p99
    say(f"submissions_p99_ms: {p99:.0f}" if p99 is not None else "submissions_p99_ms: not measured (no PostgreSQL)")


if __name__ == "__main__":
    main()
