"""`flask content check` works on a machine with no database (issue 13 part 5)."""

import json

import pytest

from lms import create_app
from tests.web.publishing.course_files import write_course


def _app_on(url: str, cache_dir: str):
    from config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        CONTENT_CACHE_DIR = cache_dir

    return create_app(Config)


@pytest.mark.parametrize("database", ["empty", "unreachable"])
def test_check_needs_no_migrated_database(tmp_path, database):
    # an empty file is a database nobody migrated; a file in a missing folder cannot be opened
    url = (f"sqlite:///{tmp_path / 'empty.sqlite3'}" if database == "empty"
           else f"sqlite:///{tmp_path / 'missing' / 'lms.sqlite3'}")
    folder = tmp_path / "content"
    write_course(folder)
    app = _app_on(url, str(tmp_path / "cache"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["content", "check", str(folder)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0, result.output
    assert "1 course checked: no problems found" in result.stdout
    assert "learner data not checked" in result.stderr
    as_json = runner.invoke(args=["content", "check", str(folder), "--json"])
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    assert report["courses"][0]["id"] == "tiny-course"
    assert report["learner_data_checked"] is False


def test_check_with_a_database_says_learner_data_was_checked(runner, tmp_path):
    folder = tmp_path / "content"
    write_course(folder)
    result = runner.invoke(args=["content", "check", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["learner_data_checked"] is True
    assert "learner data not checked" not in result.stderr
