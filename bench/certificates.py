"""Certificate rendering: our render_pdf against a plain WeasyPrint of the same page.

Reproduce with:

    .venv/bin/python bench/certificates.py          # add --count N for the ZIP run

Prints figures, never passes or fails. The last line is the headline:
``speedup_vs_plain_weasyprint: X.XX``.
"""

from __future__ import annotations

import argparse
import datetime
import io
import statistics
import sys
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import weasyprint  # noqa: E402

from certificates import CertificateData, new_code, render_html, render_pdf  # noqa: E402

COMMAND = ".venv/bin/python bench/certificates.py"
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
        verify_url=f"https://learn.nwl.example.nhs.uk/verify/{code}",
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


def issue_through_app(count: int) -> tuple[float, float, int]:
    """Issue `count` certificates through the app's real service on a fresh SQLite database
    (row, code, snapshot, render, commit), then export them as the partner's ZIP.

    Returns (issue seconds, zip seconds, zip bytes).
    """
    import tempfile

    from flask_migrate import upgrade
    from sqlalchemy import select

    from lms import create_app
    from lms.accounts.models import User
    from lms.accounts.services import sync_organisations
    from lms.catalog.models import Course
    from lms.clock import utcnow
    from lms.credentials import services
    from lms.credentials.models import PartnerSettings
    from lms.credentials.tasks import write_export
    from lms.extensions import db
    from lms.learning.models import Enrolment

    folder = tempfile.mkdtemp(prefix="bench-certificates-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3", "TESTING": True})
    with app.app_context():
        upgrade()
        sync_organisations()
        db.session.commit()
        result = app.test_cli_runner().invoke(args=["content", "build", str(Path(__file__).parents[1] / "content")])
        assert result.exit_code == 0, result.output
        course = db.session.scalar(select(Course).where(Course.key == "foundations-of-safety"))
        now = utcnow()
        db.session.execute(db.insert(User), [
            {"email": f"learner{i}@example.nhs.uk", "full_name": sample(i).learner_name, "password_hash": "x",
             "role": "learner", "organisation_id": "cnwl", "professional_group": "nurse",
             "session_token": f"t{i}", "email_verified_at": now} for i in range(count)])
        if course.partner_id:  # certificates wait for the partner's signatory
            db.session.add(PartnerSettings(organisation_id=course.partner_id, signatory_name="Professor Ima Signer",
                                           signatory_title="Director of Continuing Professional Development"))
        users = db.session.scalars(select(User.id)).all()
        db.session.execute(db.insert(Enrolment), [
            {"user_id": user_id, "course_id": course.id, "track": "ahp", "completed_at": now} for user_id in users])
        db.session.commit()
        enrolments = db.session.scalars(select(Enrolment)).all()

        start = time.perf_counter()
        for enrolment in enrolments:
            services.issue_certificate(enrolment, now)
        db.session.commit()
        issued = time.perf_counter() - start

        start = time.perf_counter()
        path = Path(folder) / "certificates.zip"
        write_export(course, "zip", None, None, path)  # what the ZIP export job writes
        zipped = time.perf_counter() - start
        db.engine.dispose()
    return issued, zipped, path.stat().st_size


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
    issued, zipped, size = issue_through_app(args.count)
    print(f"app_issue_{args.count}_s: {issued:.2f} (database rows, codes, snapshots, PDFs)")
    print(f"app_zip_{args.count}_s: {zipped:.2f} ({size / 1e6:.1f} MB zip)")
    print(f"app_issue_and_zip_{args.count}_s: {issued + zipped:.2f}")
    print(f"speedup_vs_plain_weasyprint: {medians['plain'] / medians['ours']:.2f}")


if __name__ == "__main__":
    main()
