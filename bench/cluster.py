"""A multi-host rehearsal on one machine: two web servers, two job workers, PostgreSQL and Redis.

1. makes a fresh PostgreSQL database (migrations, organisations) and publishes a short course
   whose certificate is issued automatically (the tests' tiny course);
2. creates the learners' accounts directly (cheap password hashes, so the run measures the service);
3. starts two gunicorn servers on two free ports and two `flask jobs worker` processes, all sharing the
   database, the secret key and one Redis queue under a name unique to this run;
4. drives every learner through the real pages at once, alternating servers request by request (log in,
   enrol, mark three lessons complete, pass the knowledge check; CSRF tokens read from the forms);
5. SIGKILLs one worker when half the learners have finished, starts it again a moment later;
6. waits until no job is waiting and every completion has its certificate (or nothing changes for a
   while), then counts from the database.

Certificates are counted from the database, so the figures are right whether they are issued inside
the learner's request or by a job ("certificates.issue").

The last line: `cluster: completions N, certificates N, duplicates 0, lost 0, errors 0`, after the time
from the last completion to the last certificate.

Run: .venv/bin/python bench/cluster.py [--learners 500] [--threads 24]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from benchdb import SECRET_KEY, create_postgres_database, drop_postgres_database, make_app  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from lms.accounts.models import User  # noqa: E402
from lms.accounts.services import sync_organisations  # noqa: E402
from lms.clock import utcnow  # noqa: E402
from lms.credentials.models import Certificate, PartnerSettings  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.jobs.models import Job  # noqa: E402
from lms.jobs.queue import check_redis  # noqa: E402
from lms.learning.models import Enrolment  # noqa: E402
from tests.web.publishing.course_files import write_course  # noqa: E402

VENV_BIN = Path(sys.executable).parent
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
PASSWORD = "correct horse battery staple"  # noqa: S105 - bench accounts in a throwaway database
COURSE = "/courses/tiny-course/"
LESSONS = ["m-one/l-read/", "m-one/l-more/", "m-two/l-last/"]
CHECK = "m-one/l-check/"
RIGHT = {"answer-q-first": "a", "answer-q-second": "Blue"}
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
QUIZ_TOKEN = re.compile(r'name="token" type="hidden" value="([^"]+)"')


def say(*args) -> None:
    print(*args, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- set-up ---------------------------------------------------------------------------------


def seed(url: str, learners: int, content: Path) -> None:
    app = make_app(url)
    with app.app_context():
        upgrade()
        sync_organisations()
        db.session.commit()
        write_course(content)
        result = app.test_cli_runner().invoke(args=["content", "build", str(content)])
        if result.exit_code != 0:
            raise RuntimeError(f"content build failed:\n{result.output}")
        hashed = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
        verified = utcnow()  # certificates wait for a confirmed address; these learners have confirmed theirs
        db.session.execute(sa.insert(User), [
            {"email": f"learner{n}@cluster.example.nhs.uk", "full_name": f"Learner {n}", "password_hash": hashed,
             "role": "learner", "organisation_id": "cnwl", "professional_group": "nurse",
             "email_verified_at": verified}
            for n in range(learners)])
        # The course's partner has set its signatory, as a partner does before certificates can be drawn.
        db.session.add(PartnerSettings(organisation_id="imperial-college-london", signatory_name="Professor Ima Signer",
                                       signatory_title="Director of Continuing Professional Development"))
        db.session.commit()
        db.engine.dispose()


class Processes:
    """Children started in sessions of their own, so each can be killed alone and all stopped at the end."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env, self.logs = env, logs
        self.all: list[subprocess.Popen] = []

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        with (self.logs / f"{name}.log").open("a") as log:
            process = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.all.append(process)
        return process

    def gunicorn(self, name: str) -> int:
        port = free_port()
        self.start(name, [str(VENV_BIN / "gunicorn"), "--workers", "2", "--threads", "4",
                          "--keep-alive", "5", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                          "wsgi:app"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    return port
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{name} did not become ready:\n{self.tail(name)}")

    def worker(self, name: str) -> subprocess.Popen:
        return self.start(name, [str(VENV_BIN / "flask"), "jobs", "worker", "--workers", "2"])

    def tail(self, name: str, lines: int = 15) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else ""

    def stop_all(self) -> None:
        for process in self.all:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.all:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


# --- one learner ----------------------------------------------------------------------------


class LearnerError(Exception):
    pass


def learn(n: int, ports: list[int]) -> None:
    """Learner n completes the course through both servers, request by request, as a browser would."""
    try:
        _learn(n, ports)
    except httpx.HTTPError as error:
        try:
            where = f" ({error.request.method} {error.request.url.path})"
        except RuntimeError:  # an error raised before any request was made
            where = ""
        raise LearnerError(f"learner {n}: {type(error).__name__} {error}{where}") from error


def _learn(n: int, ports: list[int]) -> None:
    turn = iter(range(n, n + 1000))

    def url(path: str) -> str:
        return f"http://127.0.0.1:{ports[next(turn) % len(ports)]}{path}"

    def check(response: httpx.Response, expected: tuple[int, ...], what: str) -> httpx.Response:
        if response.status_code not in expected:
            raise LearnerError(f"learner {n}: {what} answered {response.status_code}")
        return response

    def token(html: str) -> str:
        match = CSRF.search(html)
        if not match:
            raise LearnerError(f"learner {n}: no CSRF token on the page")
        return match.group(1) or match.group(2)

    # Idle connections are dropped before the server's keep-alive (5 s) ends, as browsers do, so no request
    # is sent on a connection the server is closing.
    limits = httpx.Limits(keepalive_expiry=2)
    with httpx.Client(timeout=60, follow_redirects=False, limits=limits) as client:
        csrf = token(check(client.get(url("/login")), (200,), "login page").text)
        check(client.post(url("/login"), data={"csrf_token": csrf, "email": f"learner{n}@cluster.example.nhs.uk",
                                               "password": PASSWORD}), (302,), "log in")
        csrf = token(check(client.get(url(COURSE)), (200,), "course page").text)  # the token of this session
        check(client.post(url(COURSE + "enrol"), data={"csrf_token": csrf, "track": "junior"}), (302,), "enrol")
        for lesson in LESSONS:
            check(client.post(url(COURSE + lesson + "complete"), data={"csrf_token": csrf}), (302,), "complete")
        quiz = check(client.get(url(COURSE + CHECK)), (200,), "knowledge check").text
        match = QUIZ_TOKEN.search(quiz)
        if not match:
            raise LearnerError(f"learner {n}: no quiz form")
        check(client.post(url(COURSE + CHECK + "quiz"),
                          data={"csrf_token": csrf, "token": match.group(1), "action": "submit", **RIGHT}),
              (302,), "submit the check")


# --- counting -------------------------------------------------------------------------------


def count(url: str) -> dict[str, object]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            completions = conn.scalar(sa.select(sa.func.count()).select_from(Enrolment)
                                      .where(Enrolment.completed_at.is_not(None)))
            certificates = conn.scalar(sa.select(sa.func.count()).select_from(Certificate))
            certified = conn.scalar(sa.select(sa.func.count(sa.distinct(Certificate.enrolment_id))))
            lost = conn.scalar(
                sa.select(sa.func.count()).select_from(Enrolment)
                .where(Enrolment.completed_at.is_not(None),
                       ~sa.exists().where(Certificate.enrolment_id == Enrolment.id)))
            last_completion = conn.scalar(sa.select(sa.func.max(Enrolment.completed_at)))
            last_certificate = conn.scalar(sa.select(sa.func.max(Certificate.issued_at)))
            jobs = dict(conn.execute(sa.select(Job.status, sa.func.count()).group_by(Job.status)).all())
            tasks = dict(conn.execute(sa.select(Job.task, sa.func.count()).group_by(Job.task)).all())
    finally:
        engine.dispose()
    return {"completions": completions, "certificates": certificates, "duplicates": certificates - certified,
            "lost": lost, "last_completion": last_completion, "last_certificate": last_certificate,
            "jobs": jobs, "tasks": tasks}


def wait_for_drain(url: str, timeout: float) -> dict[str, object]:
    """Until no job waits and every completion has its certificate, or nothing changes for `timeout` s."""
    last, since = None, time.monotonic()
    while True:
        figures = count(url)
        waiting = figures["jobs"].get("pending", 0)
        if not waiting and figures["lost"] == 0:
            return figures
        state = (waiting, figures["certificates"])
        if state != last:
            last, since = state, time.monotonic()
            say(f"  waiting: {waiting} job(s) pending, {figures['certificates']} certificate(s) "
                f"for {figures['completions']} completion(s)")
        elif time.monotonic() - since > timeout:
            say(f"  nothing changed for {timeout:.0f} s; counting what there is")
            return figures
        time.sleep(1)


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--threads", type=int, default=24, help="learners driven at once")
    parser.add_argument("--postgres", default=os.environ.get("LMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--claim-seconds", type=int, default=20,
                        help="how long a killed worker's job stays claimed before another takes it")
    parser.add_argument("--drain-timeout", type=float, default=180)
    args = parser.parse_args(argv)

    problem = check_redis(args.redis)
    if problem:
        say(f"cluster: Redis does not answer at {args.redis}: {problem}")
        return 2
    url = create_postgres_database(args.postgres, "lms_cluster", say)
    if url is None:
        return 2
    huey_name = f"lms-cluster-{uuid.uuid4().hex[:10]}"
    tmp = Path(tempfile.mkdtemp(prefix="lms-cluster-"))
    env = {**os.environ, "FLASK_APP": "wsgi", "LMS_CONFIG": "development", "DATABASE_URL": url,
           "SECRET_KEY": SECRET_KEY, "REDIS_URL": args.redis, "JOBS_HUEY_NAME": huey_name,
           "JOBS_CLAIM_SECONDS": str(args.claim_seconds), "JOBS_REDISPATCH_SECONDS": str(args.claim_seconds),
           "CONTENT_CACHE_DIR": str(tmp / "content-cache"), "PYTHONPATH": str(REPO)}
    processes = Processes(env, tmp)
    errors: list[str] = []
    try:
        started = time.monotonic()
        seed(url, args.learners, tmp / "content")
        say(f"seeded {args.learners} learners and the course in {time.monotonic() - started:.1f} s "
            f"(database {sa.make_url(url).database}, queue {huey_name}, logs {tmp})")
        ports = [processes.gunicorn("web-1"), processes.gunicorn("web-2")]
        workers = [processes.worker("worker-1"), processes.worker("worker-2")]
        say(f"2 gunicorn servers (2 workers x 4 threads each) on ports {ports}; 2 job workers (2 threads each)")

        finished = 0
        killed = threading.Event()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            futures = [pool.submit(learn, n, ports) for n in range(args.learners)]
            for future in as_completed(futures):
                try:
                    future.result()
                except (LearnerError, httpx.HTTPError) as error:
                    errors.append(str(error) or type(error).__name__)
                finished += 1
                if finished == args.learners // 2 and not killed.is_set():
                    killed.set()
                    os.killpg(workers[0].pid, signal.SIGKILL)
                    workers[0].wait()
                    say(f"  {finished} learners done: SIGKILLed worker-1 (pid {workers[0].pid})")
                    time.sleep(1)
                    workers[0] = processes.worker("worker-1")
                    say(f"  worker-1 started again (pid {workers[0].pid})")
        driving = time.monotonic() - started
        say(f"drove {args.learners} learners in {driving:.1f} s "
            f"({args.learners * 9 / driving:.0f} requests/s through both servers); {len(errors)} error(s)")
        for error in errors[:5]:
            say(f"  {error}")

        figures = wait_for_drain(url, args.drain_timeout)
        failed_jobs = figures["jobs"].get("failed", 0)
        gap = "n/a"
        if figures["last_completion"] and figures["last_certificate"]:
            gap = f"{(figures['last_certificate'] - figures['last_completion']).total_seconds():.1f} s"
        say(f"jobs by status {figures['jobs'] or {}}; by task {figures['tasks'] or {}}")
        say(f"time from the last completion to the last certificate: {gap}")
        say(f"cluster: completions {figures['completions']}, certificates {figures['certificates']}, "
            f"duplicates {figures['duplicates']}, lost {figures['lost']}, errors {len(errors) + failed_jobs}")
        ok = (not errors and not failed_jobs and figures["duplicates"] == 0 and figures["lost"] == 0
              and figures["completions"] == args.learners)
        return 0 if ok else 1
    finally:
        processes.stop_all()
        try:
            from huey import RedisHuey

            RedisHuey(huey_name, url=args.redis).storage.flush_all()
        finally:
            drop_postgres_database(args.postgres, url)


if __name__ == "__main__":
    sys.exit(main())
