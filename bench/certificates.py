"""Certificate rendering: our render_pdf against a plain WeasyPrint of the same page; and 1,000
certificates issued and zipped through the job queue by one `flask jobs worker` of two processes.

Reproduce with:

    .venv/bin/python bench/certificates.py          # add --count N for the ZIP runs

The queue run makes (and drops) a PostgreSQL database named bench_certs_* next to
``--postgres-url`` (default $LMS_TEST_POSTGRES_URL, else postgres@127.0.0.1) and uses Redis
``--redis-url`` (default redis://127.0.0.1:6379/4, under a queue name of its own; "" for SqliteHuey);
it is skipped when PostgreSQL does not answer. Prints figures, never passes or fails; wall-clock
figures need a quiet machine (the load average is printed). The last line is the headline:
``speedup_vs_plain_weasyprint: X.XX``.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import statistics
import sys
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))  # benchdb

import weasyprint  # noqa: E402

from certificates import CertificateData, new_code, render_html, render_pdf  # noqa: E402

COMMAND = ".venv/bin/python bench/certificates.py"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/4"
BASE_URL = "https://learn.nwl.example.nhs.uk"
ROUNDS = 50


def sample(index: int = 0, *, course: str = "Introduction to clinical innovation") -> CertificateData:
    """A typical certificate; `index` varies the learner, `course` the shared part."""
    code = new_code() if index else "7KQ2-M9XD-4TRA-3X"
    return CertificateData(
        learner_name="Siobhán Ó Briain" if index == 0 else f"Learner {index:04d} Ó Briain",
        registration="NMC 12A3456B",
        course_title=course,
        track="Allied health professionals",
        cpd_hours=6,
        outcomes=(
            "Describe the stages of an innovation project in the NHS and who takes part",
            "Identify the stakeholders of a change and the evidence each of them needs",
            "Plan a small test of change using the Model for Improvement",
            "Measure whether a change is an improvement, using run charts",
        ),
        completed_on=datetime.date(2025, 11, 20),
        issued_on=datetime.date(2025, 11, 21),
        content_revision="a1b2c3d",
        code=code,
        verify_url=f"{BASE_URL}/verify/{code}",
        partner_name="Imperial College London",
        signatory_name="Professor Jane Smith",
        signatory_title="Director of Continuing Professional Development",
    )


def compare(data: CertificateData, rounds: int = ROUNDS) -> dict[str, float]:
    """Median milliseconds of render_pdf and of plain WeasyPrint, timed alternately.

    Wall-clock time, the headline, and CPU time of this process, which does not count
    what other processes take from a busy host.
    """
    html = render_html(data)
    # Warm-up: imports, fonts and the course layer, and WeasyPrint's own first-use costs.
    render_pdf(data)
    weasyprint.HTML(string=html).write_pdf()
    times: dict[str, list[float]] = {"ours": [], "ours_cpu": [], "plain": [], "plain_cpu": []}
    for _ in range(rounds):
        for label, render in (
            ("ours", lambda: render_pdf(data)),
            ("plain", lambda: weasyprint.HTML(string=html).write_pdf()),
        ):
            wall, cpu = time.perf_counter(), time.process_time()
            render()
            times[f"{label}_cpu"].append(time.process_time() - cpu)
            times[label].append(time.perf_counter() - wall)
    return {label: statistics.median(values) * 1000 for label, values in times.items()}


# --- Hook: "issue 1,000 certificates and zip them" ----------------------------------------
# The lead wires this to the app later: pass a callable that issues certificate number i
# through the real service (database row, code, snapshot, render) and returns the file
# name and the PDF bytes. Until then `render_distinct` stands in for it: rendering is
# most of the cost.


def time_issue_and_zip(
    issue: Callable[[int], tuple[str, bytes]], count: int = 1000
) -> tuple[float, int]:
    """Issue `count` certificates with `issue(i)`, write them into a ZIP; seconds, bytes."""
    buffer = io.BytesIO()
    start = time.perf_counter()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(count):
            name, pdf = issue(i)
            archive.writestr(name, pdf)
    return time.perf_counter() - start, len(buffer.getvalue())


def render_distinct(i: int) -> tuple[str, bytes]:
    """Render certificate i: a different learner and code each time, one course."""
    data = sample(i + 1)
    return f"{data.code}.pdf", render_pdf(data)


def issue_through_queue(count: int, admin_url: str, redis_url: str | None, workers: int = 2) -> dict[str, float] | None:
    """Issue `count` certificates through the job queue, then the partner's ZIP export job, with one
    `flask jobs worker` of `workers` processes, on a fresh PostgreSQL database (created next to
    `admin_url` and dropped after). Redis at `redis_url` carries the messages, as in a deployment with
    more than one worker (under a queue name of the run's own); SqliteHuey in a temporary folder when
    `redis_url` is None.

    Returns seconds to issue, to zip and both, and the CPU seconds of the worker processes; None
    when PostgreSQL does not answer.
    """
    import os
    import subprocess
    import tempfile

    from benchdb import SECRET_KEY, create_postgres_database, drop_postgres_database, seed_completed_learners
    from sqlalchemy import func, select

    from config import DevelopmentConfig
    from lms import create_app, jobs
    from lms.accounts.models import User
    from lms.credentials import services
    from lms.credentials.models import Certificate
    from lms.credentials.tasks import export_folder
    from lms.extensions import db
    from lms.jobs.models import DONE, Job
    from lms.jobs.queue import get_queue

    url = create_postgres_database(admin_url, "bench_certs")
    if url is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="bench-certificates-"))
    env = {**os.environ, "LMS_CONFIG": "development", "DATABASE_URL": url, "PUBLIC_BASE_URL": BASE_URL,
           "SECRET_KEY": SECRET_KEY,
           "JOBS_SQLITE_PATH": str(folder / "jobs.sqlite3"), "MAIL_FILE_DIR": str(folder / "mail"),
           "REDIS_URL": redis_url or "", "JOBS_HUEY_NAME": f"bench-certificates-{os.getpid()}",
           "LOG_LEVEL": "WARNING"}
    worker = app = None
    try:
        # The same settings as the worker's, so that this process hands jobs to the worker's queue.
        settings = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "PUBLIC_BASE_URL": BASE_URL,
                    "JOBS_SQLITE_PATH": env["JOBS_SQLITE_PATH"], "MAIL_FILE_DIR": env["MAIL_FILE_DIR"],
                    "REDIS_URL": redis_url, "JOBS_HUEY_NAME": env["JOBS_HUEY_NAME"]}
        app = create_app(type("BenchConfig", (DevelopmentConfig,), settings))
        course_id, enrolments, users = seed_completed_learners(app, count, lambda i: sample(i).learner_name)
        with app.app_context():
            admin = db.session.scalar(select(User.id).where(User.role == "admin")) or users[0]
            db.engine.dispose()

        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "-w", str(workers),
             "--worker-type", "process"], cwd=Path(__file__).parents[1], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(3)  # the consumer starts and forks its workers

        def wait(condition) -> None:
            while not condition():
                if worker.poll() is not None:
                    raise RuntimeError("the job worker stopped")
                time.sleep(0.05)

        with app.app_context():
            cpu_before = _tree_cpu_seconds(worker.pid)
            start = time.perf_counter()
            for enrolment_id in enrolments:  # what course completion enqueues, one job per learner
                jobs.enqueue("certificates.issue", key=services.issue_job_key(enrolment_id), enrolment_id=enrolment_id)
            db.session.commit()  # hands the jobs to the workers
            wait(lambda: db.session.scalar(select(func.count(Certificate.id))) >= count or db.session.rollback())
            issued = time.perf_counter() - start
            start = time.perf_counter()
            jobs.enqueue("certificates.export", key="bench:zip", course_id=course_id, kind="zip",
                         requested_by_id=admin)
            db.session.commit()
            wait(lambda: db.session.scalar(select(Job.status).where(Job.key == "bench:zip")) == DONE
                 or db.session.rollback())
            zipped = time.perf_counter() - start
            cpu = _tree_cpu_seconds(worker.pid) - cpu_before
            result = db.session.scalar(select(Job.result).where(Job.key == "bench:zip"))
            archive = export_folder() / result["file"]
            size = archive.stat().st_size
            archive.unlink()
            db.session.remove()
            db.engine.dispose()
        return {"issue": issued, "zip": zipped, "cpu": cpu, "count": result["count"], "bytes": size}
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        drop_postgres_database(admin_url, url)
        if redis_url and app is not None:
            get_queue(app).huey.flush()  # the run's own queue name: nothing else is there


def _tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) of process `pid` and its live children, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _cold_course_ms(rounds: int) -> float:
    # A course not seen before in this process: both layers laid out and drawn.
    times = []
    for i in range(rounds):
        data = sample(i + 1, course=f"Course number {i} that this process has not seen")
        start = time.perf_counter()
        render_pdf(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--count", type=int, default=1000, help="certificates in the ZIP")
    parser.add_argument("--postgres-url", default=os.environ.get("LMS_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="admin URL; a database named bench_certs_* is made next to it and dropped")
    parser.add_argument("--redis-url", default=os.environ.get("LMS_BENCH_REDIS_URL", DEFAULT_REDIS),
                        help="Redis for the job queue (\"\" for SqliteHuey in a temporary folder)")
    args = parser.parse_args(argv)
    print(f"# reproduce: {COMMAND}")
    print(f"# weasyprint {weasyprint.__version__}, python {sys.version.split()[0]}")

    start = time.perf_counter()
    render_pdf(sample())
    print(f"first_render_in_process_ms: {(time.perf_counter() - start) * 1000:.1f}")

    medians = compare(sample(), args.rounds)
    print(f"render_pdf_median_ms: {medians['ours']:.2f} (cpu {medians['ours_cpu']:.2f})")
    print(f"plain_weasyprint_median_ms: {medians['plain']:.2f} (cpu {medians['plain_cpu']:.2f})")
    # Process CPU time overstates plain WeasyPrint a little: Pango and fontconfig use
    # short-lived helper threads while it builds a fresh font configuration.
    print(f"speedup_cpu_time: {medians['plain_cpu'] / medians['ours_cpu']:.2f}")
    print(f"render_pdf_new_course_median_ms: {_cold_course_ms(10):.2f}")

    seconds, size = time_issue_and_zip(render_distinct, args.count)
    print(f"render_and_zip_{args.count}_distinct_s: {seconds:.2f} ({size / 1e6:.1f} MB zip)")
    queued = issue_through_queue(args.count, args.postgres_url, args.redis_url or None)
    if queued is not None:
        print(f"queue_issue_{args.count}_s: {queued['issue']:.2f} (issue jobs: rows, codes, snapshots, PDFs; "
              f"one worker of 2 processes, PostgreSQL, {'Redis' if args.redis_url else 'SqliteHuey'})")
        print(f"queue_zip_{args.count}_s: {queued['zip']:.2f} (after the 'issued' mail jobs; {queued['count']} PDFs, "
              f"{queued['bytes'] / 1e6:.1f} MB zip)")
        print(f"queue_workers_cpu_s: {queued['cpu']:.2f}")
        print(f"queue_issue_and_zip_{args.count}_s: {queued['issue'] + queued['zip']:.2f}")
    print(f"load_average_1min: {os.getloadavg()[0]:.2f}")
    print(f"speedup_vs_plain_weasyprint: {medians['plain'] / medians['ours']:.2f}")


if __name__ == "__main__":
    main()
