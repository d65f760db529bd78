"""`flask jobs run-pending`, `list` and `retry`."""

from __future__ import annotations

from sqlalchemy import select

from lms import jobs
from lms.audit import AuditEntry
from lms.extensions import db
from lms.jobs.models import DONE, FAILED, PENDING, Job


def test_run_pending_drains_waiting_jobs_with_a_progress_bar(app, runner):
    app.config["JOBS_IMMEDIATE"] = False
    for n in range(3):
        jobs.enqueue("tests.record", f"cli-{n}", name=f"cli-{n}")
    db.session.commit()
    result = runner.invoke(args=["jobs", "run-pending"])
    assert result.exit_code == 0, result.output
    assert "Running jobs" in result.output and "3 done" in result.output
    assert set(db.session.scalars(select(Job.status))) == {DONE}
    assert runner.invoke(args=["jobs", "run-pending"]).output.strip() == "No jobs are waiting."


def test_list_shows_failed_jobs_and_retry_sets_one_pending_audited(app, runner):
    app.config["JOBS_MAX_ATTEMPTS"] = 1
    jobs.enqueue("tests.always_fails", "cli-broken")
    db.session.commit()
    job_id = db.session.scalar(select(Job.id).where(Job.key == "cli-broken"))
    output = runner.invoke(args=["jobs", "list"]).output
    assert f"{job_id}\ttests.always_fails\tfailed\t1 attempt(s)" in output
    assert "ValueError: the drawing service is down" in output
    app.config.update(JOBS_IMMEDIATE=False)
    result = runner.invoke(args=["jobs", "retry", str(job_id)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Job, job_id).status == PENDING
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "job.retried"))
    assert (entry.via, entry.actor_id) == ("cli", None)
    assert runner.invoke(args=["jobs", "list"]).output.strip() == f"No {FAILED} jobs."
