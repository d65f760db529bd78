"""The outbox: one job per key, retry with back-off, failed after max attempts, work never undone, claims."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lms import jobs
from lms.accounts.models import User
from lms.audit import AuditEntry
from lms.clock import utcnow
from lms.extensions import db
from lms.jobs.models import DONE, FAILED, PENDING, Job
from lms.jobs.outbox import backoff, claim, run_job
from tests.jobs import tasks


def effects(key: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "test.ran", AuditEntry.target_id == key))


def job_for(key: str) -> Job:
    db.session.expire_all()
    return db.session.scalar(select(Job).where(Job.key == key))


def test_same_key_makes_one_job_that_runs_once(app):
    jobs.enqueue("tests.record", "once", name="once")
    jobs.enqueue("tests.record", "once", name="once")
    db.session.commit()
    jobs.enqueue("tests.record", "once", name="once")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1
    assert job_for("once").status == DONE
    assert jobs.find("once").id == job_for("once").id and jobs.find("no such key") is None
    assert effects("once") == 1


def test_a_failure_is_retried_after_its_back_off_then_succeeds(app):
    tasks.FAILURES["flaky"] = 1
    before = utcnow()
    jobs.enqueue("tests.record", "flaky", name="flaky")
    db.session.commit()
    job = job_for("flaky")
    assert (job.status, job.attempts) == (PENDING, 1)
    assert "planned failure for flaky" in job.last_error
    assert job.run_after >= before + backoff(1) == before + timedelta(seconds=30)
    assert jobs.run_pending() == 0  # not due yet
    assert jobs.run_pending(now=utcnow() + timedelta(seconds=31)) == 1
    job = job_for("flaky")
    assert (job.status, job.attempts) == (DONE, 2)
    assert effects("flaky") == 1


def test_back_off_doubles_and_is_capped_at_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(50) == timedelta(hours=1)


def test_a_job_that_keeps_failing_is_failed_after_max_attempts(app):
    app.config["JOBS_MAX_ATTEMPTS"] = 3
    jobs.enqueue("tests.always_fails", "doomed")
    db.session.commit()
    later = utcnow()
    for _ in range(5):
        later += timedelta(hours=2)
        jobs.run_pending(now=later)
    job = job_for("doomed")
    assert (job.status, job.attempts) == (FAILED, 3)
    assert job.finished_at is not None
    assert "ValueError: the drawing service is down" in job.last_error


def test_a_failing_job_never_rolls_back_the_change_that_enqueued_it(app, make_user):
    user = make_user(full_name="Before")
    user.full_name = "After"
    jobs.enqueue("tests.always_fails", f"after-change:{user.id}")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, user.id).full_name == "After"
    assert job_for(f"after-change:{user.id}").status == PENDING


def test_a_rolled_back_transaction_enqueues_nothing(app):
    jobs.enqueue("tests.record", "rolled-back", name="rolled-back")
    db.session.rollback()
    db.session.commit()
    assert job_for("rolled-back") is None
    assert effects("rolled-back") == 0


def test_a_claimed_job_is_not_run_by_a_second_worker(app):
    app.config["JOBS_IMMEDIATE"] = False  # leave it pending, as if no worker had got to it yet
    jobs.enqueue("tests.record", "contested", name="contested")
    db.session.commit()
    job_id = job_for("contested").id
    first = claim(job_id)
    assert first is not None
    assert claim(job_id) is None
    assert run_job(job_id) == PENDING  # the second worker leaves it alone
    assert effects("contested") == 0
    # The first worker crashed: once its claim lapses another worker takes the job over.
    later = utcnow() + timedelta(seconds=app.config["JOBS_CLAIM_SECONDS"] + 1)
    assert run_job(job_id, now=later) == DONE
    assert effects("contested") == 1


def test_a_run_that_lost_its_claim_cannot_mark_the_job_done(app, monkeypatch):
    app.config["JOBS_IMMEDIATE"] = False
    jobs.enqueue("tests.record", "slow", name="slow")
    db.session.commit()
    job_id = job_for("slow").id
    original = tasks.record

    def slow_record(name):
        # While this run works, its claim lapses and another run takes the job.
        with db.engine.begin() as conn:
            conn.execute(Job.__table__.update().where(Job.id == job_id).values(claimed_by="another-run"))
        original(name)

    monkeypatch.setitem(jobs.outbox._registry, "tests.record", slow_record)
    assert run_job(job_id) == PENDING
    assert effects("slow") == 0  # its work was rolled back; the other run's counts


def test_progress_is_recorded_for_batch_jobs(app):
    jobs.enqueue("tests.batch", "batch", total=4)
    db.session.commit()
    job = job_for("batch")
    assert (job.status, job.progress_done, job.progress_total) == (DONE, 4, 4)


def test_nightly_tasks_are_enqueued_once_per_london_date(app, monkeypatch):
    from datetime import date

    monkeypatch.setattr(jobs.outbox, "_nightly", [])
    monkeypatch.setattr(jobs.outbox, "_registry", dict(jobs.outbox._registry))

    @jobs.nightly("tests.nightly_record")
    def nightly_record():
        from lms import audit

        audit.record("test.ran", "test", "nightly", actor_id=None, via="job")

    keys = jobs.enqueue_nightly(date(2026, 7, 1))
    db.session.commit()
    jobs.enqueue_nightly(date(2026, 7, 1))
    db.session.commit()
    assert "tests.nightly_record:2026-07-01" in keys
    assert job_for("tests.nightly_record:2026-07-01").status == DONE
    assert effects("nightly") == 1


def test_workers_racing_for_one_job_run_it_once(app):
    import threading

    from lms import create_app

    app.config["JOBS_IMMEDIATE"] = False
    jobs.enqueue("tests.record", "raced", name="raced")
    db.session.commit()
    job_id = job_for("raced").id
    barrier = threading.Barrier(4, timeout=60)  # never wait forever if one thread fails early
    outcomes, errors = [], []

    # Each worker its own app, engine and connections, as on another host; made one at a time, because
    # CPython 3.11.7 can fail compiling Werkzeug's URL rules in several threads at once (an AST recursion bug).
    workers = [create_app({**app.config}) for _ in range(4)]

    def work(worker):
        with worker.app_context():
            try:
                barrier.wait()
                outcomes.append(run_job(job_id))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()
                db.engine.dispose()

    threads = [threading.Thread(target=work, args=(worker,), daemon=True) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racing worker did not finish"
    assert errors == []
    assert DONE in outcomes
    assert effects("raced") == 1
    assert job_for("raced").attempts == 1
