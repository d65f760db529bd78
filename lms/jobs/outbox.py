"""Enqueue into the outbox, register handlers, and run one job with retry and back-off."""

from __future__ import annotations

import contextvars
import logging
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lms.clock import utcnow
from lms.database import insert_or_ignore
from lms.extensions import db
from lms.jobs.models import DONE, FAILED, PENDING, Job

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
_registry: dict[str, Callable[..., object]] = {}
_nightly: list[str] = []
_current_job: contextvars.ContextVar[int | None] = contextvars.ContextVar("current_job", default=None)


def task(name: str):
    """Register `fn` as the handler of jobs named `name`."""

    def register(fn):
        _registry[name] = fn
        return fn

    return register


def nightly(name: str):
    """Register `fn` as a task that the scheduler enqueues once a night (key: name and London date)."""

    def register(fn):
        _nightly.append(name)
        return task(name)(fn)

    return register


def nightly_tasks() -> list[str]:
    return list(_nightly)


def tasks() -> dict[str, Callable[..., object]]:
    return dict(_registry)


def report_progress(done: int, total: int | None = None) -> None:
    """From inside a handler: record how far batch work has got, visible at once to the page that shows it."""
    job_id = _current_job.get()
    if job_id is None:
        return
    with db.engine.begin() as conn:  # its own transaction: the handler's work commits at the end
        values = {"progress_done": done} if total is None else {"progress_done": done, "progress_total": total}
        conn.execute(Job.__table__.update().where(Job.id == job_id).values(**values))


def current_job_id() -> int | None:
    return _current_job.get()


def enqueue(task_name: str, key: str, now: datetime | None = None, **payload) -> None:
    """Add a job to the current transaction; a job with the same key already there is kept as it is."""
    now = now or utcnow()
    insert_or_ignore(Job, {"task": task_name, "key": key, "payload": payload, "status": PENDING,
                           "attempts": 0, "run_after": now, "created_at": now, "progress_done": 0})
    db.session.info.setdefault("jobs_enqueued", []).append(key)


def backoff(attempts: int) -> timedelta:
    """Wait before retry number `attempts`: 30 s, 1 min, 2 min, ... capped at 1 hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def run_job(job_id: int) -> str:
    """Run one job in its own transaction; returns its new status. Never raises for the handler's error."""
    job = db.session.get(Job, job_id)
    if job is None or job.status != PENDING:
        return job.status if job else "missing"
    handler = _registry.get(job.task)
    token = _current_job.set(job_id)
    try:
        if handler is None:
            raise LookupError(f"no handler registered for job {job.task!r}")
        handler(**job.payload)
        db.session.flush()
    except Exception as error:  # noqa: BLE001 - any failure is recorded and retried, never raised
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.attempts += 1
        job.last_error = "".join(traceback.format_exception_only(error)).strip()[:4000]
        if job.attempts >= current_app.config.get("JOBS_MAX_ATTEMPTS", MAX_ATTEMPTS):
            job.status, job.finished_at = FAILED, utcnow()
        else:
            job.run_after = utcnow() + backoff(job.attempts)
        db.session.commit()
        log.warning("job %s (%s) failed, attempt %s: %s", job.id, job.task, job.attempts, job.last_error)
        return job.status
    finally:
        _current_job.reset(token)
    job.status, job.finished_at = DONE, utcnow()
    job.attempts += 1
    db.session.commit()
    return DONE


def run_pending(now: datetime | None = None, limit: int | None = None) -> int:
    """Run every pending job that is due (oldest first); returns how many ran."""
    now = now or utcnow()
    query = select(Job.id).where(Job.status == PENDING, Job.run_after <= now).order_by(Job.id)
    if limit:
        query = query.limit(limit)
    ids = list(db.session.scalars(query))
    db.session.commit()
    for job_id in ids:
        run_job(job_id)
    return len(ids)


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    """After a commit that enqueued jobs: run them now (JOBS_IMMEDIATE, tests) or hand them to workers."""
    keys = session.info.pop("jobs_enqueued", None)
    if not keys:
        return
    app = current_app._get_current_object()
    dispatch = app.extensions.get("lms_jobs_dispatch", _run_now if app.config.get("JOBS_IMMEDIATE") else None)
    if dispatch is not None:
        dispatch(app, keys)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop("jobs_enqueued", None)


def _run_now(app, keys: list[str]) -> None:
    # A fresh app context has its own session: the committing one cannot be used inside its own commit.
    with app.app_context():
        ids = list(db.session.scalars(select(Job.id).where(Job.key.in_(keys), Job.status == PENDING)))
        db.session.commit()
        for job_id in ids:
            run_job(job_id)
        db.session.remove()
