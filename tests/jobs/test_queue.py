"""Huey behind the outbox: hand-over after commit, the sweep that delivers lost jobs, the nightly schedule."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select

from lms import create_app, jobs
from lms.audit import AuditEntry
from lms.clock import utcnow
from lms.extensions import db
from lms.jobs import queue
from lms.jobs.models import DONE, PENDING, Job
from tests.jobs import tasks
from tests.jobs.conftest import drain


def effects(key: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "test.ran", AuditEntry.target_id == key))


def job_for(key: str) -> Job:
    db.session.expire_all()
    return db.session.scalar(select(Job).where(Job.key == key))


def test_a_committed_job_is_handed_to_huey_and_run_by_it(queued):
    jobs.enqueue("tests.record", "handed", name="handed")
    db.session.commit()
    assert job_for("handed").status == PENDING  # nothing ran in the request
    assert queued.huey.pending_count() == 1
    assert drain(queued) == 1
    assert job_for("handed").status == DONE
    assert effects("handed") == 1


def test_nothing_is_handed_over_for_a_rolled_back_transaction(queued):
    jobs.enqueue("tests.record", "never", name="never")
    db.session.rollback()
    assert queued.huey.pending_count() == 0


def test_the_same_job_handed_over_twice_runs_once(queued):
    jobs.enqueue("tests.record", "twice", name="twice")
    db.session.commit()
    queued.hand_over([job_for("twice").id])  # e.g. the sweep resent it as well
    assert drain(queued) == 2
    assert effects("twice") == 1


def test_the_sweep_delivers_a_job_committed_but_never_handed_over(queued, monkeypatch):
    monkeypatch.setattr(queue, "get_queue", lambda app: (_ for _ in ()).throw(ConnectionError("queue down")))
    jobs.enqueue("tests.record", "lost", name="lost")
    db.session.commit()  # the dispatcher logs and carries on: the request does not fail
    monkeypatch.undo()
    assert queued.huey.pending_count() == 0
    assert jobs.sweep() == []  # handed over a moment ago: not yet taken for lost
    later = utcnow() + timedelta(seconds=queued.app.config["JOBS_REDISPATCH_SECONDS"] + 1)
    assert jobs.sweep(now=later) == [job_for("lost").id]
    assert jobs.sweep(now=later) == []  # marked handed over: not sent again at once
    queued.hand_over([job_for("lost").id])
    drain(queued)
    assert job_for("lost").status == DONE
    assert effects("lost") == 1


def test_the_periodic_sweep_hands_lost_jobs_to_the_queue(queued, monkeypatch):
    queued.app.config["JOBS_REDISPATCH_SECONDS"] = 0
    monkeypatch.setitem(queued.app.extensions, "lms_jobs_dispatch", lambda app, keys: None)  # lost hand-over
    jobs.enqueue("tests.record", "swept", name="swept")
    db.session.commit()
    assert queued.huey.pending_count() == 0
    assert queued._sweep() == 1
    drain(queued)
    assert effects("swept") == 1


def test_a_worker_runs_a_job_with_two_statements_of_its_own(queued, count_queries):
    jobs.enqueue("tests.record", "counted", name="counted")
    db.session.commit()
    job_id = job_for("counted").id
    db.session.remove()
    ran = count_queries(lambda: queued._run(job_id))
    assert ran.count == 3  # claim (returning the payload), the handler's one insert, done: no reloads
    assert job_for("counted").status == DONE and effects("counted") == 1


def test_a_failed_attempt_is_scheduled_again_after_its_back_off(queued):
    tasks.FAILURES["again"] = 1
    jobs.enqueue("tests.record", "again", name="again")
    db.session.commit()
    drain(queued)
    job = job_for("again")
    assert (job.status, job.attempts) == (PENDING, 1)
    assert queued.huey.scheduled_count() == 1  # comes back at run_after
    assert job.dispatched_at == job.run_after  # so the sweep leaves it to that message until then
    queued.hand_over([job.id])  # a stale duplicate arrives during the back-off
    drain(queued)
    assert queued.huey.scheduled_count() == 1  # it ran nothing and scheduled nothing more
    assert job_for("again").attempts == 1


def test_nightly_runs_at_two_in_london_in_winter_and_summer():
    assert queue.is_nightly_minute(datetime(2026, 1, 15, 2, 0))  # GMT: 02:00 UTC
    assert not queue.is_nightly_minute(datetime(2026, 1, 15, 1, 0))
    assert queue.is_nightly_minute(datetime(2026, 7, 15, 1, 0))  # BST: 01:00 UTC
    assert not queue.is_nightly_minute(datetime(2026, 7, 15, 2, 0))
    assert queue.london_date(datetime(2026, 7, 15, 23, 30)).isoformat() == "2026-07-16"


def test_the_nightly_task_enqueues_and_hands_over_every_nightly_job(queued, monkeypatch):
    monkeypatch.setattr(jobs.outbox, "_nightly", ["tests.always_fails"])
    keys = queued._nightly()
    assert keys == [f"tests.always_fails:{queue.london_date().isoformat()}"]
    assert job_for(keys[0]).status == PENDING
    assert queued.huey.pending_count() == 1


def test_a_wrong_redis_url_logs_one_line_naming_the_setting_and_the_app_still_starts(caplog, free_port):
    caplog.set_level(logging.ERROR, logger="lms.jobs.queue")
    app = create_app({"REDIS_URL": f"redis://:secret@127.0.0.1:{free_port}/0", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    lines = [r.getMessage() for r in caplog.records if r.name == "lms.jobs.queue"]
    assert len(lines) == 1
    assert lines[0].startswith(f"REDIS_URL=redis://:***@127.0.0.1:{free_port}/0 does not answer")
    assert "secret" not in lines[0]
    assert app.extensions["lms_jobs_dispatch"] is queue.dispatch


def test_while_the_queue_is_down_requests_stop_waiting_for_it(queued, monkeypatch, caplog):
    calls = []

    def down(app):
        calls.append(1)
        raise ConnectionError("queue down")

    monkeypatch.setattr(queue, "get_queue", down)
    caplog.set_level(logging.WARNING, logger="lms.jobs.queue")
    for n in range(3):
        jobs.enqueue("tests.record", f"down-{n}", name=f"down-{n}")
        db.session.commit()
    assert len(calls) == 1  # one request tried; the next ones skip the hand-over
    assert "the sweep will deliver them" in caplog.text
    assert {job_for(f"down-{n}").status for n in range(3)} == {PENDING}
    queued.app.extensions["lms_jobs_queue_down_until"] = 0  # 30 s later
    monkeypatch.undo()
    jobs.enqueue("tests.record", "up-again", name="up-again")
    db.session.commit()
    assert queued.huey.pending_count() == 1
