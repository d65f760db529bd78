"""`flask jobs worker|run-pending|list|retry`: run and look after background jobs."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from lms.clock import utcnow
from lms.extensions import db
from lms.jobs.models import FAILED, PENDING, Job
from lms.jobs.outbox import due_job_ids, retry, run_job
from lms.jobs.queue import get_queue, redacted

jobs_cli = AppGroup("jobs", help="Run and look after background jobs.")


@jobs_cli.command("worker")
@click.option("--workers", "-w", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Jobs run at once by this process.")
@click.option("--worker-type", type=click.Choice(["thread", "process"]), default="thread", show_default=True,
              help="Threads share one process; processes use every core.")
def worker_command(workers, worker_type):
    """Run the Huey consumer for this app until Ctrl-C (finishes running jobs) or SIGTERM."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()
    queue = get_queue(app)
    where = redacted(app.config["REDIS_URL"]) if queue.backend == "redis" else app.config["JOBS_SQLITE_PATH"]
    click.echo(f"Job worker: {workers} {worker_type}(s), queue {queue.huey.name!r} in {where}")
    try:
        queue.sweep_now()  # a restarted worker re-delivers at once what a crash left behind
    except Exception as error:  # noqa: BLE001 - the periodic sweep tries again every minute
        click.echo(f"Start-up sweep skipped: {error}", err=True)
    db.engine.dispose()  # no connection is shared with forked workers
    consumer = queue.huey.create_consumer(workers=workers, worker_type=worker_type, periodic=True,
                                          initial_delay=0.1, backoff=1.5, max_delay=2.0,
                                          check_worker_health=True)
    consumer.run()


@jobs_cli.command("run-pending")
def run_pending_command():
    """Run every due job now, in this process, with a progress bar."""
    ids = due_job_ids()
    if not ids:
        click.echo("No jobs are waiting.")
        return
    outcomes: dict[str, int] = {}
    with click.progressbar(ids, label="Running jobs", show_pos=True) as bar:
        for job_id in bar:
            status = run_job(job_id, due_only=True)
            outcomes[status] = outcomes.get(status, 0) + 1
    click.echo(", ".join(f"{count} {status}" for status, count in sorted(outcomes.items())))


@jobs_cli.command("list")
@click.option("--status", type=click.Choice([FAILED, PENDING, "done", "all"]), default=FAILED, show_default=True)
@click.option("--limit", default=50, show_default=True)
def list_command(status, limit):
    """List jobs (failed ones by default), newest first: id, task, attempts, when, why."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if status != "all":
        query = query.where(Job.status == status)
    jobs = list(db.session.scalars(query))
    if not jobs:
        click.echo(f"No {status} jobs." if status != "all" else "No jobs.")
        return
    for job in jobs:
        when = (job.finished_at or job.created_at).strftime("%Y-%m-%d %H:%M UTC")
        why = (job.last_error or "").splitlines()[-1:] or [""]
        click.echo(f"{job.id}\t{job.task}\t{job.status}\t{job.attempts} attempt(s)\t{when}\t{why[0][:200]}")


@jobs_cli.command("retry")
@click.argument("job_id", type=int)
def retry_command(job_id):
    """Set a failed job pending again (audited); a worker runs it."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise click.ClickException(f"No job {job_id}.")
    try:
        retry(job, actor_id=None, via="cli")
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Job {job_id} ({job.task}) is pending again since {utcnow():%H:%M:%S} UTC.")
