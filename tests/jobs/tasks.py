"""Job handlers used by the tests, registered on import (also by the worker subprocess's app)."""

from __future__ import annotations

from lms import audit, jobs

FAILURES: dict[str, int] = {}  # name -> how many more times the flaky task fails (in-process tests only)


@jobs.task("tests.record")
def record(name: str) -> None:
    """Writes one audit entry in the job's own transaction: counting entries counts effects."""
    left = FAILURES.get(name, 0)
    if left:
        FAILURES[name] = left - 1
        raise RuntimeError(f"planned failure for {name}")
    audit.record("test.ran", "test", name, actor_id=None, via="job")


@jobs.task("tests.always_fails")
def always_fails(**_payload) -> None:
    raise ValueError("the drawing service is down")


@jobs.task("tests.batch")
def batch(total: int, requested_by: int | None = None) -> None:
    for done in range(1, total + 1):
        jobs.report_progress(done, total)


@jobs.task("tests.crash_once")
def crash_once(name: str, marker: str) -> None:
    """The first run hangs (so the test can SIGKILL its worker); a later run records its effect."""
    import time
    from pathlib import Path

    path = Path(marker)
    if not path.exists():
        path.write_text("started")
        time.sleep(120)
    audit.record("test.ran", "test", name, actor_id=None, via="job")
