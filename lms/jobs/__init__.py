"""Background jobs: an outbox table drained by workers (Huey), so a job never undoes or loses work.

Use: inside the transaction that makes a change, `enqueue("certificates.issue", key=f"issue:{id}",
enrolment_id=id)`; after that transaction commits the job runs (at once in tests, by a worker
otherwise). Handlers are registered with `@task("name")`, take the payload as keyword arguments,
run in their own transaction, must be idempotent, and raise to be retried with back-off.

Workers: `lms.jobs.queue` hands each committed job to Huey (SqliteHuey in instance/, RedisHuey when
REDIS_URL is set); `flask jobs worker` runs the consumer, whose periodic sweep re-delivers anything lost.
"""

from lms.jobs.outbox import (
    current_job_id,
    enqueue,
    enqueue_nightly,
    find,
    nightly,
    nightly_tasks,
    report_progress,
    retry,
    run_job,
    run_pending,
    sweep,
    task,
    tasks,
)

__all__ = ["current_job_id", "enqueue", "enqueue_nightly", "find", "nightly", "nightly_tasks", "report_progress",
           "retry", "run_job", "run_pending", "sweep", "task", "tasks"]
