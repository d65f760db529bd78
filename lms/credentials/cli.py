"""`flask certificates issue|export` for university partners' batches."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import click
from flask.cli import AppGroup

from lms.catalog.queries import find_course
from lms.credentials import services, tasks
from lms.dates import utc_start_of

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
    """Write COURSE-certificates.zip (valid certificates' PDFs) and COURSE-certificates.csv (the register).

    --since and --until are London dates."""
    course = _course(course_key)
    start = utc_start_of(since.date()) if since else None
    end = utc_start_of(until.date() + timedelta(days=1)) if until else None
    out_dir.mkdir(parents=True, exist_ok=True)
    zip_path, csv_path = out_dir / f"{course.slug}-certificates.zip", out_dir / f"{course.slug}-certificates.csv"
    with click.progressbar(length=1, label="Writing PDFs", show_pos=True) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        count = tasks.write_export(course, "zip", start, end, zip_path, progress=progress)
    tasks.write_export(course, "csv", start, end, csv_path)
    click.echo(f"{count} valid certificates: {zip_path}; every certificate with its status: {csv_path}")
