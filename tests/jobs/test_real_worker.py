"""A real `flask jobs worker` process drains jobs handed over after commit, on SQLite and on Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms import jobs
from lms.audit import AuditEntry
from lms.extensions import db
from lms.jobs import queue
from lms.jobs.models import DONE, Job

ROOT = Path(__file__).resolve().parents[2]
JOB_COUNT = 6


def start_worker(app, tmp_path, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, **(extra_env or {}), "FLASK_APP": "tests.jobs.worker_app", "LMS_CONFIG": "development",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "JOBS_SQLITE_PATH": app.config["JOBS_SQLITE_PATH"], "JOBS_HUEY_NAME": app.config["JOBS_HUEY_NAME"],
           "REDIS_URL": app.config["REDIS_URL"] or "", "PYTHONPATH": str(ROOT)}
    with (tmp_path / "worker.log").open("w") as log:  # the child keeps its own copy of the file
        return subprocess.Popen([sys.executable, "-m", "flask", "jobs", "worker", "--workers", "2"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_until_done(keys: list[str], worker: subprocess.Popen, tmp_path, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        done = db.session.scalar(select(func.count()).select_from(Job)
                                 .where(Job.key.in_(keys), Job.status == DONE))
        db.session.commit()
        if done == len(keys):
            return
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        time.sleep(0.2)
    pytest.fail(f"the worker finished {done} of {len(keys)} jobs:\n{(tmp_path / 'worker.log').read_text()}")


def stop(worker: subprocess.Popen) -> int:
    worker.send_signal(signal.SIGINT)  # what Ctrl-C sends: finish running jobs, then stop
    try:
        return worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        raise


def drive_real_worker(app, tmp_path) -> None:
    keys = [f"real-{uuid.uuid4().hex[:6]}-{n}" for n in range(JOB_COUNT)]
    for key in keys:
        jobs.enqueue("tests.record", key, name=key)
        db.session.commit()
    assert queue.get_queue(app).huey.pending_count() == JOB_COUNT
    worker = start_worker(app, tmp_path)
    try:
        wait_until_done(keys, worker, tmp_path)
    finally:
        code = stop(worker)
    assert code == 0, (tmp_path / "worker.log").read_text()
    ran = db.session.scalar(select(func.count()).select_from(AuditEntry)
                            .where(AuditEntry.action == "test.ran", AuditEntry.target_id.in_(keys)))
    assert ran == JOB_COUNT  # each job's effect exactly once


def test_a_real_worker_on_sqlite_drains_the_queue(app, queued, tmp_path):
    assert queued.backend == "sqlite"
    drive_real_worker(app, tmp_path)


def test_a_real_worker_on_redis_drains_the_queue(app, tmp_path, redis_url):
    app.config.update(JOBS_IMMEDIATE=False, REDIS_URL=redis_url, JOBS_HUEY_NAME=f"lms-test-{uuid.uuid4().hex[:10]}",
                      JOBS_SQLITE_PATH=str(tmp_path / "unused.sqlite3"))
    app.extensions["lms_jobs_dispatch"] = queue.dispatch
    app.extensions.pop("lms_jobs_queue", None)
    job_queue = queue.get_queue(app)
    assert job_queue.backend == "redis"
    try:
        drive_real_worker(app, tmp_path)
    finally:
        job_queue.huey.storage.flush_all()


def test_a_job_whose_worker_was_killed_runs_once_when_a_worker_starts_again(app, queued, tmp_path):
    app.config.update(JOBS_CLAIM_SECONDS=1, JOBS_REDISPATCH_SECONDS=0)
    marker = tmp_path / "started"
    jobs.enqueue("tests.crash_once", "crash", name="crash", marker=str(marker))
    db.session.commit()
    env = {"JOBS_CLAIM_SECONDS": "1", "JOBS_REDISPATCH_SECONDS": "0"}
    worker = start_worker(app, tmp_path, env)
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
        time.sleep(0.1)
    worker.kill()  # SIGKILL in the middle of the job: its claim is left behind
    worker.wait(timeout=10)
    db.session.expire_all()
    job = db.session.scalar(select(Job).where(Job.key == "crash"))
    assert (job.status, job.claimed_by is not None) == ("pending", True)
    db.session.commit()
    time.sleep(1.5)  # the dead worker's claim lapses
    worker = start_worker(app, tmp_path, env)
    try:
        wait_until_done(["crash"], worker, tmp_path)
    finally:
        stop(worker)
    ran = db.session.scalar(select(func.count()).select_from(AuditEntry)
                            .where(AuditEntry.action == "test.ran", AuditEntry.target_id == "crash"))
    assert ran == 1
