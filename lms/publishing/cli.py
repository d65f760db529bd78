"""`flask content check|build|preview|export|import-gift|export-gift`: educators' Markdown
into the database, and Moodle's GIFT question files in and out."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from courses import CompileCache, compile_course, compile_folder, compile_source
from courses.report import json_report, summary_line
from lms.accounts.cli import as_option, cli_actor_id
from lms.clock import utcnow
from lms.extensions import db
from lms.publishing.gift import GiftImportError, export_gift, import_gift
from lms.publishing.queries import learner_data_by_course, learner_data_if_available, published_revisions
from lms.publishing.services import PublishError, publish_course
from lms.publishing.sources import (
    DatabaseSource,
    ExportError,
    export_revision,
    find_revision,
    record_revision,
)

content_cli = AppGroup("content", help="Check, publish and preview Markdown courses.")


def _folder(path: str | None) -> Path:
    return Path(path or current_app.config["CONTENT_DIR"])


def _cache() -> CompileCache:
    """Compiled files from earlier runs, so only changed files are compiled again; the
    result is the same as without it (findings included), and the folder is safe to delete."""
    return CompileCache(current_app.config["CONTENT_CACHE_DIR"])


@contextmanager
def _startup_objects_frozen() -> Iterator[None]:
    """Compiling makes millions of small objects, so Python collects garbage often, and each
    full collection would scan every object the app made at start-up as well. Frozen, they are
    skipped: a rebuild of 1,000 lessons after a one-lesson edit takes about a third less time."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _print_findings(result) -> None:
    for finding in result.findings:
        click.echo(str(finding), err=finding.severity == "error")
    click.echo(summary_line(result))


@content_cli.command("check")
@click.argument("path", required=False)
@click.option("--json", "as_json", is_flag=True, help="Findings and per-course counts as JSON.")
def check_command(path, as_json):
    """Validate courses without publishing. Exit 0 clean, 1 content errors, 2 unreadable folder."""
    learner_data = learner_data_if_available()
    with _startup_objects_frozen():
        result = compile_folder(_folder(path), ids_with_learner_data=learner_data, cache=_cache())
    if learner_data is None:
        click.echo("note: no migrated database, so learner data not checked (removing an id "
                   "learners have progress on is only refused by `flask content build`)", err=True)
    if as_json:
        click.echo(json.dumps({**json_report(result), "learner_data_checked": learner_data is not None},
                              indent=2))
    else:
        _print_findings(result)
    sys.exit(result.exit_code)


@content_cli.command("build")
@click.argument("path", required=False)
@click.option("--message", "-m", default="", help="Why the course changed, kept in its history.")
@as_option
def build_command(path, message, acting_as):
    """Compile courses, then publish them in one transaction (all or nothing).

    Each published course's files are recorded as its next source revision (see `flask
    content export`). A course whose files are exactly those it was last published from is
    neither compiled nor written; `flask content check` still checks every course.
    """
    actor_id = cli_actor_id(acting_as)
    folder = _folder(path)
    click.echo(f"Compiling {folder} ...")
    with _startup_objects_frozen():
        _build(folder, actor_id, message)


def _build(folder: Path, actor_id: int | None = None, message: str = "") -> None:
    result = compile_folder(folder, ids_with_learner_data=learner_data_by_course(),
                            cache=_cache(), published_revisions=published_revisions())
    _print_findings(result)
    if result.exit_code != 0:
        click.echo("Nothing was published: fix the errors above and build again.", err=True)
        sys.exit(result.exit_code)
    for course_id in result.unchanged:
        click.echo(f"{course_id}: unchanged since it was last published; nothing to do")
    if not result.courses:
        return
    now = utcnow()
    total = sum(1 for course in result.courses for _ in course.lessons())
    summaries = []
    try:
        with click.progressbar(length=total, label="Publishing", show_pos=True) as bar:
            for course in result.courses:
                summaries.append(publish_course(course, now, on_lesson=lambda: bar.update(1),
                                                actor_id=actor_id, via="cli"))
        revisions = [record_revision(course.source, course.id, now, author_id=actor_id,
                                     message=message or f"Built from {folder}",
                                     compiled_revision=course.revision)
                     for course in result.courses]
        db.session.commit()
    except PublishError as error:
        db.session.rollback()
        click.echo(f"error: {error}", err=True)
        click.echo("Nothing was published.", err=True)
        sys.exit(1)
    for summary in summaries:
        click.echo(str(summary))
    for course, revision in zip(result.courses, revisions, strict=True):
        if revision is not None:
            click.echo(f"{course.id}: source recorded as revision {revision.number}")


@content_cli.command("export")
@click.argument("course")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--revision", "number", type=int, default=None,
              help="The revision's number (default: the latest).")
def export_command(course, folder, number):
    """Write a course's source revision into FOLDER (new or empty), byte for byte."""
    revision = find_revision(course, number)
    if revision is None:
        which = f"revision {number}" if number is not None else "revisions"
        raise click.ClickException(f"course '{course}' has no {which}")
    try:
        count = export_revision(revision, folder)
    except ExportError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{course}: revision {revision.number} ({count} files) written to {folder}")


@content_cli.command("preview")
@click.argument("path")
@click.option("--lesson", "lesson_id", required=True, help="The lesson's id.")
@click.option("--track", required=True, help="postgraduate, ahp or junior.")
def preview_command(path, lesson_id, track):
    """Print one lesson's HTML as learners on TRACK see it."""
    result = compile_folder(Path(path), cache=_cache())
    if result.exit_code != 0:
        _print_findings(result)
        sys.exit(result.exit_code)
    for course in result.courses:
        lesson = course.find_lesson(lesson_id)
        if lesson is None:
            continue
        if track not in lesson.html:
            raise click.ClickException(
                f"lesson '{lesson_id}' is not on the '{track}' track; its tracks: {', '.join(lesson.tracks)}")
        click.echo(lesson.html[track])
        return
    raise click.ClickException(f"no lesson with the id '{lesson_id}' in {path}")


@content_cli.command("export-scorm")
@click.argument("course")
@click.option("--track", required=True, help="postgraduate, ahp or junior.")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def export_scorm_command(course, track, out):
    """Write a published course's TRACK as a SCORM 1.2 package (a ZIP) for ESR or Learning Hub."""
    from lms.scorm.package import ScormError, build_package

    try:
        data = build_package(course, track)
    except ScormError as error:
        raise click.ClickException(str(error)) from error
    out.write_bytes(data)
    click.echo(f"{course} ({track}): SCORM 1.2 package written to {out} ({len(data) // 1024} KB)")


@content_cli.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--into", "into", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="A new or empty folder (made a course), a course folder (gets a new "
                   "module) or a module folder (gets the lessons).")
@click.option("--pool", "draw", type=click.IntRange(min=1), default=None,
              help="Make each lesson a pool: every attempt draws N of its questions.")
@click.option("--title", default=None, help="Title for questions outside any $CATEGORY "
                                             "(default: from the file name).")
def import_gift_command(file, into, draw, title):
    """Write a Moodle GIFT file's questions as lessons (one per $CATEGORY), then check them.

    What our format cannot hold (essays, partial credit, per-answer feedback on short
    answers...) is listed by GIFT line, never dropped silently. Exit 0 when the written
    course checks without errors, 1 otherwise."""
    text = file.read_text(encoding="utf-8-sig")
    try:
        report = import_gift(text, into, title=title or file.stem.replace("-", " ").replace(
            "_", " ").capitalize(), draw=draw)
    except GiftImportError as error:
        raise click.ClickException(str(error)) from error
    for finding in report.findings:
        click.echo(f"{file}:{finding.line}: {finding.severity}: {finding.message}",
                   err=finding.severity == "error")
    for path in report.written:
        click.echo(f"wrote {path}")
    if not report.written:
        click.echo("No questions could be imported; nothing was written.", err=True)
        sys.exit(1)
    result = compile_course(report.course_folder)
    _print_findings(result)
    sys.exit(result.exit_code)


@content_cli.command("export-gift")
@click.argument("course")
@click.argument("out", required=False, type=click.Path(dir_okay=False, path_type=Path))
def export_gift_command(course, out):
    """Write a course's questions as a Moodle GIFT file (to OUT, or standard output).

    COURSE is a course folder, or the id of a published course (its latest source
    revision). The course must check without errors. What GIFT cannot hold (ordering
    questions, hints, points, reflections) is listed on standard error."""
    if Path(course).is_dir():
        result = compile_course(course)
    else:
        revision = find_revision(course)
        if revision is None:
            raise click.ClickException(f"'{course}' is neither a course folder nor a published "
                                       "course's id")
        result = compile_source(DatabaseSource(revision))
    if result.exit_code != 0 or not result.courses:
        for finding in result.errors:
            click.echo(str(finding), err=True)
        raise click.ClickException("the course has errors; fix them (flask content check) "
                                   "before exporting")
    text, notes = export_gift(result.courses[0])
    for note in notes:
        click.echo(note, err=True)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)
