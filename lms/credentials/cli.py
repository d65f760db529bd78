"""`flask certificates issue|export` for university partners' batches."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import click
from flask.cli import AppGroup

from lms.catalog.queries import find_course
from lms.credentials import queries, services, tasks
from lms.credentials.exports import register_rows, zip_certificates
from lms.exports import csv_lines

certificates_cli = AppGroup("certificates", help="Issue and export certificates in batches.")


def _course(key: str):
    course = find_course(key)
    if course is None:
        raise click.ClickException(f"No published course '{key}'.")
    return course


@certificates_cli.command("issue")
@click.option("--course", "course_key", required=True, help="Course id or slug.")
@click.option("--all-pending", is_flag=True, required=True, help="Issue to everyone awaiting a certificate.")
def issue_command(course_key, all_pending):
    """Issue certificates to every learner awaiting one, each in its own transaction."""
    course = _course(course_key)
    pending = [e.id for e in services.pending_approval(course)]
    if not pending:
        click.echo(f"{course.key}: nobody is awaiting a certificate.")
        return
    with click.progressbar(length=len(pending), label="Issuing", show_pos=True) as bar:
        result = tasks.issue_each(pending, None, progress=lambda done, total: bar.update(1))
    issued = len(result["issued"])
    click.echo(f"{course.key}: {issued} certificate{'s' if issued != 1 else ''} issued.")
    for failure in result["failed"]:
        click.echo(f"Not issued: {failure['name']}: {failure['reason']}", err=True)
    if result["failed"]:
        raise SystemExit(1)


@certificates_cli.command("export")
@click.option("--course", "course_key", required=True, help="Course id or slug.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Issued on or after (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), help="Issued on or before (YYYY-MM-DD).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder for the ZIP of PDFs and the CSV register.")
def export_command(course_key, since: datetime | None, until: datetime | None, out_dir: Path):
    """Write COURSE-certificates.zip (the PDFs) and COURSE-certificates.csv (the register)."""
    course = _course(course_key)
    end = until + timedelta(days=1) if until else None
    certificates = queries.course_certificates(course, since, end)
    out_dir.mkdir(parents=True, exist_ok=True)
    zip_path, csv_path = out_dir / f"{course.slug}-certificates.zip", out_dir / f"{course.slug}-certificates.csv"
    with click.progressbar(length=len(certificates), label="Writing PDFs", show_pos=True) as bar:
        zip_path.write_bytes(zip_certificates(certificates, progress=lambda: bar.update(1)))
    csv_path.write_text("".join(csv_lines(register_rows(course, since, end))), encoding="utf-8")
    click.echo(f"{len(certificates)} certificates: {zip_path} and {csv_path}")
