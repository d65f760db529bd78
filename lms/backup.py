"""`flask db backup PATH`: a consistent copy of the SQLite database while the service runs.

Uses SQLite's online backup API, so readers and writers carry on during the copy and the copy is
one moment's state. PostgreSQL is backed up with pg_dump instead (the command says how).
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

PAGES_PER_STEP = 1024  # copied between pauses, so writers are never held up for long


def backup_sqlite(source: Path, target: Path, progress=None) -> int:
    """Copy the SQLite database `source` to `target` (which must not exist); returns the page count.

    The copy is written beside `target` and renamed into place once checked, so a failed backup
    leaves nothing half-written. `progress(done_pages, total_pages)` is called as pages are copied.
    Raises FileExistsError, FileNotFoundError, or sqlite3.Error (then no `target` is created).
    """
    if target.exists():
        raise FileExistsError(f"{target} already exists: choose a new file name")
    if not source.is_file():
        raise FileNotFoundError(f"no SQLite database at {source}")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)

    def step(_status: int, remaining: int, total: int) -> None:
        if progress:
            progress(total - remaining, total)

    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
                closing(sqlite3.connect(partial)) as dst:
            src.backup(dst, pages=PAGES_PER_STEP, progress=step)
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise sqlite3.DatabaseError(f"the copy failed its integrity check: {check}")
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return pages


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Copy the SQLite database to PATH while the service runs (PostgreSQL: use pg_dump)."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        plain = url.set(drivername="postgresql").render_as_string(hide_password=True)
        raise click.ClickException(
            f"the database is {url.get_backend_name()}, not SQLite: back it up with "
            f"pg_dump --format=custom --file={path} '{plain}'"
        )
    if not url.database or url.database == ":memory:":
        raise click.ClickException("the database is in memory: there is nothing on disk to back up")
    if path.exists():
        raise click.ClickException(f"{path} already exists: choose a new file name")
    started = time.monotonic()
    with click.progressbar(length=1, label="Backing up", show_percent=True) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        try:
            pages = backup_sqlite(Path(url.database), path, progress)
        except (FileExistsError, FileNotFoundError, sqlite3.Error) as error:
            raise click.ClickException(str(error)) from error
    size_mb = path.stat().st_size / 1_000_000
    click.echo(f"Backed up {url.database} to {path}: {pages} pages, {size_mb:.1f} MB, "
               f"in {time.monotonic() - started:.1f} s")


def init_cli() -> None:
    """Add `backup` to Flask-Migrate's `flask db` group."""
    from flask_migrate.cli import db as db_group

    db_group.add_command(backup_command)
