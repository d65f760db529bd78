"""CPU per job of the certificate queue: one `certificates.issue` job and one `certificates.mail_issued` job,
run in this process the way a worker runs them (JobQueue._run: app context, claim, handler, done).

Reproduce with:

    .venv/bin/python bench/certificate_jobs.py --count 60 [--profile issue|mail]

Makes (and drops) a PostgreSQL database named bench_certjobs_* next to ``--postgres-url`` (default
$LMS_TEST_POSTGRES_URL, else postgres@127.0.0.1). CPU time of this process (time.process_time), so a
busy host changes the figures little; the first jobs of each kind are warm-up and not counted.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))

COMMAND = ".venv/bin/python bench/certificate_jobs.py"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WARM_UP = 5


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60, help="learners (issue jobs, then mail jobs)")
    parser.add_argument("--postgres-url", default=os.environ.get("LMS_TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--profile", choices=["issue", "mail"], help="print cProfile of one job of this kind")
    args = parser.parse_args(argv)

    from benchdb import SECRET_KEY, create_postgres_database, drop_postgres_database, seed_completed_learners
    from sqlalchemy import event, select

    from config import DevelopmentConfig
    from lms import create_app, jobs
    from lms.credentials import services
    from lms.extensions import db
    from lms.jobs.models import Job
    from lms.jobs.queue import get_queue

    url = create_postgres_database(args.postgres_url, "bench_certjobs")
    if url is None:
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-certificate-jobs-"))
    try:
        settings = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY,
                    "PUBLIC_BASE_URL": "https://learn.nwl.example.nhs.uk", "REDIS_URL": None,
                    "JOBS_SQLITE_PATH": str(folder / "jobs.sqlite3"), "MAIL_FILE_DIR": str(folder / "mail")}
        app = create_app(type("BenchConfig", (DevelopmentConfig,), settings))
        app.extensions.pop("lms_jobs_dispatch", None)  # jobs wait in the outbox; this process runs them
        _, enrolments, _ = seed_completed_learners(app, args.count, lambda i: f"Learner {i:04d} Ó Briain")
        with app.app_context():
            for enrolment_id in enrolments:
                jobs.enqueue("certificates.issue", key=services.issue_job_key(enrolment_id), enrolment_id=enrolment_id)
            db.session.commit()
            db.session.remove()

        queue = get_queue(app)
        statements: list[str] = []

        def listener(*args) -> None:
            statements.append(args[2].split("\n")[0][:150])

        print(f"# reproduce: {COMMAND} --count {args.count}")
        for task in ("certificates.issue", "certificates.mail_issued"):
            with app.app_context():
                ids = db.session.scalars(select(Job.id).where(Job.task == task).order_by(Job.id)).all()
                db.session.remove()
            cpu = []
            for n, job_id in enumerate(ids):
                profile = args.profile and args.profile in task and n == WARM_UP
                profiler = cProfile.Profile(time.process_time) if profile else None
                start = time.process_time()
                if profiler:
                    statements.clear()
                    with app.app_context():
                        event.listen(db.engine, "before_cursor_execute", listener)
                    profiler.enable()
                status = queue._run(job_id)
                if profiler:
                    profiler.disable()
                cpu.append(time.process_time() - start)
                assert status == "done", (task, job_id, status)
                if profiler:
                    with app.app_context():
                        event.remove(db.engine, "before_cursor_execute", listener)
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"lms|certificates|segno|orm/session|scoping|flask/ctx|weasyprint/pdf|pydyf|flask_mail|email|jinja2/environment")
                    print(f"{len(statements)} statements:", *statements, sep="\n  ")
            counted = cpu[WARM_UP:]
            print(f"{task}_cpu_ms: median {statistics.median(counted) * 1000:.2f}, "
                  f"mean {statistics.mean(counted) * 1000:.2f} ({len(counted)} jobs)")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_postgres_database(args.postgres_url, url)
    print(f"load_average_1min: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
