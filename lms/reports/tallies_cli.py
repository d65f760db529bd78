"""`flask reports rebuild-tallies|check-tallies`: recount or check the totals the reports read.

The totals are the question tallies and progress summaries (lms.learning.tallies) and the enrolment counts
(lms.learning.counts). The check compares them with the raw rows, and the summary and programme figures read
from the counts with the same figures scanned from the raw rows (lms.reports.scans). The nightly job
`reports.check_tallies` runs the same check, audits any difference and rebuilds.
"""

from __future__ import annotations

import logging

import click
from flask.cli import AppGroup

from lms import audit, jobs
from lms.extensions import db
from lms.learning import counts, tallies
from lms.reports import scans

log = logging.getLogger(__name__)

reports_cli = AppGroup("reports", help="Look after the totals behind the staff reports.")


def _count_differences() -> list[str]:
    """The enrolment counts against the raw rows, then the reports' figures against a scan of them."""
    return counts.differences() + scans.figure_differences()


@reports_cli.command("rebuild-tallies")
def rebuild_command():
    """Recount every course's question tallies, progress summaries and enrolment counts from the raw rows
    (one transaction)."""
    ids = tallies.course_ids()
    with click.progressbar(ids, label="Rebuilding report tallies", item_show_func=lambda i: i and f"course {i}"
                           ) as courses:
        for course_id in courses:
            tallies.rebuild_course(course_id)
    counts.rebuild()  # after the summaries: the progress states are read from them
    audit.record("reports.tallies_rebuilt", "reports", "tallies", actor_id=None, via="cli",
                 after={"courses": len(ids)})
    db.session.commit()
    click.echo(f"Rebuilt the tallies of {len(ids)} course(s).")


@reports_cli.command("check-tallies")
def check_command():
    """Compare the stored totals with the raw rows; exits 1 and lists each difference when they disagree."""
    ids = tallies.course_ids()
    found: list[str] = []
    with click.progressbar(ids, label="Checking report tallies") as courses:
        for course_id in courses:
            found += tallies.course_differences(course_id)
    found += _count_differences()
    for line in found:
        click.echo(line)
    if found:
        raise click.ClickException(f"{len(found)} difference(s); run `flask reports rebuild-tallies`.")
    click.echo(f"The tallies of {len(ids)} course(s) agree with the raw rows.")


@jobs.nightly("reports.check_tallies")
def check_and_rebuild(**_payload) -> int:
    """Nightly: check the totals against the raw rows; log and audit any difference, then rebuild.

    Returns the number of differences found.
    """
    ids = tallies.course_ids()
    found: list[str] = []
    for done, course_id in enumerate(ids, start=1):
        found += tallies.course_differences(course_id)
        jobs.report_progress(done, 2 * len(ids))
    found += _count_differences()
    if found:
        for line in found[:100]:
            log.warning("report tallies differ: %s", line)
        audit.record("reports.tallies_differed", "reports", "tallies", actor_id=None, via="job",
                     after={"differences": len(found), "first": found[:20]})
    for done, course_id in enumerate(ids, start=len(ids) + 1):
        tallies.rebuild_course(course_id)  # also undoes any drift the check could not name
        jobs.report_progress(done, 2 * len(ids))
    counts.rebuild()
    return len(found)
