"""`flask db backup PATH`: an online copy of the SQLite database."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from lms import create_app
from lms.backup import backup_sqlite
from lms.extensions import db


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on a SQLite file with the schema and one learner (independent of LMS_TEST_DB)."""
    from config import TestingConfig
    from lms.accounts.services import create_user, sync_organisations

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'live.sqlite3'}"

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        sync_organisations()
        create_user(email="ada@example.nhs.uk", full_name="Ada Lovelace", password="correct horse battery",
                    role="learner", organisation_id="cnwl", professional_group="nurse")
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def emails(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT email FROM users").fetchall()
    conn.close()
    return [email for (email,) in rows]


def test_the_backup_is_a_working_copy_of_the_database(sqlite_app, tmp_path):
    target = tmp_path / "backups" / "lms-2026-11-29.sqlite3"
    target.parent.mkdir()
    result = sqlite_app.test_cli_runner().invoke(args=["db", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert f"to {target}:" in result.output and "pages" in result.output
    assert emails(target) == ["ada@example.nhs.uk"]
    assert list(target.parent.iterdir()) == [target]  # no partial file left beside it


def test_an_existing_file_is_never_overwritten(sqlite_app, tmp_path):
    target = tmp_path / "old.sqlite3"
    target.write_bytes(b"yesterday's backup")
    result = sqlite_app.test_cli_runner().invoke(args=["db", "backup", str(target)])
    assert result.exit_code == 1 and "already exists" in result.output
    assert target.read_bytes() == b"yesterday's backup"


def test_postgres_is_pointed_to_pg_dump(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql://lms:secret@db.internal/lms"})
    result = app.test_cli_runner().invoke(args=["db", "backup", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "pg_dump --format=custom" in result.output and "postgresql://lms:***@db.internal/lms" in result.output
    assert "secret" not in result.output


def test_the_copy_is_one_moment_even_while_someone_writes(sqlite_app, tmp_path):
    source = tmp_path / "live.sqlite3"
    stop = threading.Event()

    def keep_writing():
        with sqlite3.connect(source, timeout=15) as conn:
            n = 0
            while not stop.is_set():
                n += 1
                conn.execute("UPDATE users SET full_name = ?", (f"Ada {n}",))
                conn.commit()
        conn.close()

    writer = threading.Thread(target=keep_writing, daemon=True)
    writer.start()
    try:
        target = tmp_path / "copy.sqlite3"
        backup_sqlite(source, target)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert not writer.is_alive()
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        (name,) = conn.execute("SELECT full_name FROM users").fetchone()
    conn.close()
    assert name.startswith("Ada")


def test_a_missing_database_gives_no_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        backup_sqlite(tmp_path / "nothing.sqlite3", tmp_path / "copy.sqlite3")
    assert list(tmp_path.iterdir()) == []
