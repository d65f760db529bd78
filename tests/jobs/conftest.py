"""Fixtures for job tests: a queue of our own (SQLite file or Redis, unique name per test)."""

from __future__ import annotations

import uuid

import pytest

from lms.jobs import queue
from tests.jobs import tasks  # noqa: F401 - registers the test handlers


@pytest.fixture
def queued(app, tmp_path):
    """Switch the app from running jobs at once to handing them to a SqliteHuey in tmp_path; yields the queue."""
    app.config.update(JOBS_IMMEDIATE=False, JOBS_SQLITE_PATH=str(tmp_path / "huey.sqlite3"), REDIS_URL=None,
                      JOBS_HUEY_NAME=f"test-{uuid.uuid4().hex[:8]}")
    app.extensions["lms_jobs_dispatch"] = queue.dispatch
    app.extensions.pop("lms_jobs_queue", None)
    yield queue.get_queue(app)


def drain(job_queue) -> int:
    """Run every message waiting in the Huey queue in this process (as a worker would); returns how many."""
    ran = 0
    while (message := job_queue.huey.dequeue()) is not None:
        job_queue.huey.execute(message)
        ran += 1
    return ran


@pytest.fixture
def free_port() -> int:
    """A port nothing listens on (bound and released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
