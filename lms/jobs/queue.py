"""Huey behind the outbox: hands committed jobs to workers, sweeps up lost ones, schedules nightly work.

Storage: RedisHuey when REDIS_URL is set (any number of workers on any number of hosts), else
SqliteHuey in JOBS_SQLITE_PATH (instance/ by default). The queue only carries job ids; the outbox row
is the record, so a lost message costs a delay (the sweep resends it), never a job.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask
from huey import RedisHuey, SqliteHuey, crontab
from sqlalchemy import select

from lms.extensions import db
from lms.jobs.models import PENDING, Job
from lms.jobs.outbox import enqueue_nightly, run_job, sweep

log = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
NIGHTLY_HOUR = 2  # 02:00 Europe/London, when the wards are quiet
QUEUE_RETRY_SECONDS = 30  # after a failed hand-over, requests stop trying for this long
_lock = threading.Lock()


class JobQueue:
    """One Huey instance for one app, with the tasks that run outbox jobs inside that app."""

    def __init__(self, app: Flask):
        self.app = app
        self.huey = make_huey(app.config)
        self.run = self.huey.task(name="lms.run_job")(self._run)
        self.huey.periodic_task(crontab(minute="*"), name="lms.sweep")(self._sweep)
        self.huey.periodic_task(is_nightly_minute, name="lms.nightly")(self._nightly)

    @property
    def backend(self) -> str:
        return "redis" if isinstance(self.huey, RedisHuey) else "sqlite"

    def hand_over(self, job_ids: list[int]) -> None:
        for job_id in job_ids:
            self.run(job_id)

    def ping(self) -> int:
        """Messages waiting in the queue storage; raises when the storage cannot be reached."""
        return self.huey.storage.queue_size()

    def _run(self, job_id: int) -> str:
        with self.app.app_context():
            # A run that failed comes back when its back-off ends (the sweep covers a lost message); a
            # duplicate message that ran nothing schedules nothing.
            return run_job(job_id, due_only=True,
                           on_retry=lambda run_after: self.run.schedule(args=(job_id,), eta=run_after))

    def sweep_now(self) -> int:
        """Hand every lost or overdue job to the queue now; returns how many."""
        return self._sweep()

    def _sweep(self) -> int:
        with self.app.app_context():
            ids = sweep()
        if ids:
            log.info("sweep: handing %s waiting job(s) to the queue", len(ids))
            self.hand_over(ids)
        return len(ids)

    def _nightly(self) -> list[str]:
        with self.app.app_context():
            keys = enqueue_nightly(london_date())
            db.session.commit()  # hands them over after commit, like any other job
        return keys


def make_huey(config) -> SqliteHuey | RedisHuey:
    name = config.get("JOBS_HUEY_NAME", "lms")
    url = config.get("REDIS_URL")
    if url:
        import redis

        # A short connect timeout: a missing Redis must not hang a web request that hands over a job.
        pool = redis.ConnectionPool.from_url(url, socket_connect_timeout=2, health_check_interval=30)
        return RedisHuey(name, results=False, connection_pool=pool)
    path = Path(config["JOBS_SQLITE_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, results=False, filename=str(path), timeout=15)


def is_nightly_minute(moment: datetime) -> bool:
    """Huey's clock is naive UTC; true at 02:00 in London, whether GMT or BST."""
    london = moment.replace(tzinfo=UTC).astimezone(LONDON)
    return london.hour == NIGHTLY_HOUR and london.minute == 0


def london_date(moment: datetime | None = None) -> date:
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON).date()


def get_queue(app: Flask) -> JobQueue:
    """The app's queue, made on first use (so tests and commands that never queue touch no storage)."""
    queue = app.extensions.get("lms_jobs_queue")
    if queue is None:
        with _lock:
            queue = app.extensions.get("lms_jobs_queue")
            if queue is None:
                queue = app.extensions["lms_jobs_queue"] = JobQueue(app)
    return queue


def dispatch(app: Flask, keys: list[str]) -> None:
    """After a commit: hand the pending jobs with these keys to the queue. Never raises: the sweep retries.

    After a failure, requests skip the hand-over for QUEUE_RETRY_SECONDS instead of each waiting for
    the connect timeout; the jobs stay in the outbox for the sweep.
    """
    if time.monotonic() < app.extensions.get("lms_jobs_queue_down_until", 0):
        return
    try:
        with app.app_context():
            ids = list(db.session.scalars(select(Job.id).where(Job.key.in_(keys), Job.status == PENDING)))
            db.session.commit()
        get_queue(app).hand_over(ids)
    except Exception as error:  # noqa: BLE001 - the change has committed; the outbox row waits for the sweep
        app.extensions["lms_jobs_queue_down_until"] = time.monotonic() + QUEUE_RETRY_SECONDS
        log.warning("jobs %s not handed to the queue (%s); the sweep will deliver them", keys, error)


def redacted(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return parts.geturl()


def check_redis(url: str) -> str | None:
    """None when Redis answers at `url`, else why not (one line)."""
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as error:  # noqa: BLE001 - any failure is reported the same way
        return f"{type(error).__name__}: {error}"
    return None


def init_app(app: Flask) -> None:
    """Workers take jobs from the queue unless JOBS_IMMEDIATE runs them in-process (tests)."""
    if not app.config.get("JOBS_IMMEDIATE"):
        app.extensions["lms_jobs_dispatch"] = dispatch
    url = app.config.get("REDIS_URL")
    if url and app.config.get("JOBS_CHECK_REDIS_AT_START", True):
        problem = check_redis(url)
        if problem:
            log.error("REDIS_URL=%s does not answer (%s); jobs wait in the outbox and /readyz reports "
                      "redis unreachable until it does", redacted(url), problem)
