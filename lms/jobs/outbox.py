"""Enqueue into the outbox, register handlers, and run one job with retry and back-off."""

from __future__ import annotations

import contextvars
import logging
import traceback
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import event, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from lms.clock import utcnow
from lms.database import insert_or_ignore
from lms.extensions import db
from lms.jobs.models import DONE, FAILED, PENDING, Job

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # JOBS_MAX_ATTEMPTS overrides
CLAIM_SECONDS = 600  # JOBS_CLAIM_SECONDS: how long a run holds a job before it is taken for crashed
REDISPATCH_SECONDS = 120  # JOBS_REDISPATCH_SECONDS: how long a handed-over job may wait before the sweep resends it
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
    """From inside a handler: record how far batch work has got, visible at once to the page that shows it.

    Also renews the running job's claim, so a long batch is not taken for a crashed one. Best effort:
    where the database is busy (SQLite with the handler's own writes pending) the figure waits.
    """
    job_id = _current_job.get()
    if job_id is None:
        return
    values = {"progress_done": done, "claimed_until": utcnow() + _lease()}
    if total is not None:
        values["progress_total"] = total
    try:
        with db.engine.begin() as conn:  # its own transaction: the handler's work commits at the end
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA busy_timeout=200")
            conn.execute(Job.__table__.update().where(Job.id == job_id, Job.status == PENDING).values(**values))
    except OperationalError as error:
        log.info("progress of job %s not recorded now: %s", job_id, error.orig)


def current_job_id() -> int | None:
    return _current_job.get()


def enqueue(task_name: str, key: str, now: datetime | None = None, **payload) -> None:
    """Add a job to the current transaction; a job with the same key already there is kept as it is."""
    now = now or utcnow()
    insert_or_ignore(Job, {"task": task_name, "key": key, "payload": payload, "status": PENDING,
                           "attempts": 0, "run_after": now, "created_at": now, "progress_done": 0,
                           "dispatched_at": now})
    db.session.info.setdefault("jobs_enqueued", []).append(key)


def find(key: str) -> Job | None:
    """The job with this key (e.g. to redirect its starter to url_for("jobs.status", job_id=job.id))."""
    return db.session.scalar(select(Job).where(Job.key == key))


def enqueue_nightly(london_date: date) -> list[str]:
    """Enqueue every nightly task once for this Europe/London date; returns their keys."""
    keys = [f"{name}:{london_date.isoformat()}" for name in _nightly]
    for name, key in zip(_nightly, keys, strict=True):
        enqueue(name, key)
    return keys


def backoff(attempts: int) -> timedelta:
    """Wait before retry number `attempts`: 30 s, 1 min, 2 min, ... capped at 1 hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config.get("JOBS_CLAIM_SECONDS", CLAIM_SECONDS))


def claim(job_id: int, due_only: bool = False, now: datetime | None = None) -> str | None:
    """Take a pending job for one run, atomically across workers and hosts; returns the claim token or None.

    None when the job is not pending, is held by another run whose claim has not lapsed, or (due_only)
    is waiting for its back-off. Commits.
    """
    taken = _claim(job_id, due_only, now)
    return taken[0] if taken else None


def _claim(job_id: int, due_only: bool, now: datetime | None) -> tuple[str, str, dict] | None:
    """`claim`, returning (token, task, payload) of the taken job: one statement, no reload after commit."""
    now = now or utcnow()
    token = uuid.uuid4().hex
    conditions = [Job.id == job_id, Job.status == PENDING,
                  or_(Job.claimed_until.is_(None), Job.claimed_until < now)]
    if due_only:
        conditions.append(Job.run_after <= now)
    row = db.session.execute(update(Job).where(*conditions)
                             .values(claimed_until=now + _lease(), claimed_by=token)
                             .returning(Job.task, Job.payload)
                             .execution_options(synchronize_session=False)).first()
    db.session.commit()
    return (token, row.task, row.payload) if row else None


def run_job(job_id: int, due_only: bool = False, now: datetime | None = None,
            on_retry: Callable[[datetime], None] | None = None) -> str:
    """Run one job in its own transaction; returns its status after. Never raises for the handler's error.

    The job is claimed first, so two workers given the same id run it once; a job another run holds
    (or, with due_only, one still in back-off) is left alone and its current status returned. When this
    run fails and the job waits for a retry, `on_retry(run_after)` is called after that is committed.
    """
    taken = _claim(job_id, due_only, now)
    if taken is None:
        return db.session.scalar(select(Job.status).where(Job.id == job_id)) or "missing"
    token, task_name, payload = taken
    handler = _registry.get(task_name)
    context = _current_job.set(job_id)
    try:
        if handler is None:
            raise LookupError(f"no handler registered for job {task_name!r}")
        handler(**payload)
        db.session.flush()
    except Exception as error:  # noqa: BLE001 - any failure is recorded and retried, never raised
        db.session.rollback()
        return _record_failure(job_id, token, error, on_retry)
    finally:
        _current_job.reset(context)
    # Done in the handler's own transaction, and only by the run that still holds the claim.
    finished = db.session.execute(
        update(Job).where(Job.id == job_id, Job.claimed_by == token, Job.status == PENDING)
        .values(status=DONE, finished_at=utcnow(), attempts=Job.attempts + 1, claimed_until=None, claimed_by=None)
        .execution_options(synchronize_session=False))
    if finished.rowcount != 1:
        db.session.rollback()
        log.warning("job %s lost its claim while running; its work was rolled back", job_id)
        return db.session.get(Job, job_id).status
    db.session.commit()
    return DONE


def _record_failure(job_id: int, token: str, error: Exception,
                    on_retry: Callable[[datetime], None] | None = None) -> str:
    job = db.session.get(Job, job_id)
    if job.claimed_by != token:  # another run took it over after our claim lapsed; it records its own
        return job.status
    job.attempts += 1
    job.last_error = "".join(traceback.format_exception_only(error)).strip()[:4000]
    job.claimed_until = job.claimed_by = None
    if job.attempts >= current_app.config.get("JOBS_MAX_ATTEMPTS", MAX_ATTEMPTS):
        job.status, job.finished_at = FAILED, utcnow()
    else:
        # Handed to the queue again at run_after by the worker; the sweep catches it if that is lost.
        job.run_after = job.dispatched_at = utcnow() + backoff(job.attempts)
    status, run_after = job.status, job.run_after
    db.session.commit()
    log.warning("job %s (%s) failed, attempt %s: %s", job.id, job.task, job.attempts, job.last_error)
    if status == PENDING and on_retry is not None:
        on_retry(run_after)
    return status


def due_job_ids(now: datetime | None = None, limit: int | None = None) -> list[int]:
    """Pending jobs that are due and that no run holds, oldest first."""
    now = now or utcnow()
    query = (select(Job.id).where(Job.status == PENDING, Job.run_after <= now,
                                  or_(Job.claimed_until.is_(None), Job.claimed_until < now))
             .order_by(Job.id))
    if limit:
        query = query.limit(limit)
    ids = list(db.session.scalars(query))
    db.session.commit()
    return ids


def run_pending(now: datetime | None = None, limit: int | None = None) -> int:
    """Run every pending job that is due (oldest first); returns how many ran."""
    ids = due_job_ids(now, limit)
    for job_id in ids:
        run_job(job_id, due_only=True, now=now)
    return len(ids)


def sweep(now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Due jobs that should be in the queue but may not be; marks them handed over and returns their ids.

    A job is re-delivered when nobody holds it and it was handed over (or due to be) more than
    JOBS_REDISPATCH_SECONDS ago: a crash between commit and hand-over, a lost message, a lapsed claim.
    """
    now = now or utcnow()
    stale = now - timedelta(seconds=current_app.config.get("JOBS_REDISPATCH_SECONDS", REDISPATCH_SECONDS))
    ids = list(db.session.scalars(
        select(Job.id).where(Job.status == PENDING, Job.run_after <= now,
                             or_(Job.claimed_until.is_(None), Job.claimed_until < now),
                             or_(Job.dispatched_at.is_(None), Job.dispatched_at <= stale))
        .order_by(Job.id).limit(limit)))
    if ids:
        db.session.execute(update(Job).where(Job.id.in_(ids)).values(dispatched_at=now)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    return ids


def retry(job: Job, actor_id: int | None, via: str = "web") -> None:
    """Set a failed (or waiting) job pending again with a fresh set of attempts, audited; the caller commits.

    Raises ValueError for a job that is done or running.
    """
    if job.status == DONE or job.running:
        raise ValueError("only a failed or waiting job can be retried")
    from lms import audit

    before = {"status": job.status, "attempts": job.attempts, "last_error": job.last_error}
    now = utcnow()
    job.status, job.attempts, job.finished_at = PENDING, 0, None
    job.run_after = job.dispatched_at = now
    job.claimed_until = job.claimed_by = None
    audit.record("job.retried", "job", job.id, actor_id=actor_id, before=before,
                 after={"status": PENDING, "attempts": 0}, via=via)
    db.session.info.setdefault("jobs_enqueued", []).append(job.key)


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
