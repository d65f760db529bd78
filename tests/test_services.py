"""The throwaway PostgreSQL and Redis servers, and what a run says when it had to do without one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import services

ROOT = Path(__file__).resolve().parents[1]


def closed_port() -> int:
    return services.free_port()  # bound and released: nothing listens there


@pytest.mark.skipif(not services.find_program("initdb"), reason="PostgreSQL server programs not installed")
def test_a_throwaway_postgres_server_starts_answers_and_is_removed():
    server = services.start_postgres()
    try:
        engine = sa.create_engine(server.url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_user")).scalar() == "postgres"
        engine.dispose()
    finally:
        server.stop()
    assert not server.folder.exists()


@pytest.mark.skipif(not services.find_program("redis-server"), reason="redis-server not installed")
def test_a_throwaway_redis_server_starts_answers_and_stops():
    server = services.start_redis()
    try:
        assert services.redis_answers(server.url)
    finally:
        server.stop()
    assert not services.redis_answers(server.url)


def test_nothing_answers_on_a_closed_port():
    assert not services.redis_answers(f"redis://127.0.0.1:{closed_port()}/0", timeout=0.5)


def test_the_redis_url_fixture_gives_a_server_that_answers(redis_url):
    assert redis_url.startswith("redis://127.0.0.1:")
    assert services.redis_answers(redis_url)


def run_pytest_without_servers(tmp_path, **env) -> subprocess.CompletedProcess:
    """A database test on PostgreSQL where nothing answers and no server programs are found."""
    (tmp_path / "no_server_programs.py").write_text(textwrap.dedent("""
        from tests import services
        services.find_program = lambda name: None
    """))
    environment = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
        "LMS_TEST_DB": "postgres",
        "LMS_TEST_POSTGRES_URL": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test",
        "LMS_REQUIRE_ALL": "0",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no_server_programs", "-p", "no:cacheprovider",
         "tests/web/test_accounts.py", "-m", "db", "-k", "login"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False,
    )


def test_a_run_that_cannot_reach_or_start_postgres_says_so_on_its_last_line(tmp_path):
    result = run_pytest_without_servers(tmp_path)
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 0, result.stdout[-2000:]
    assert "skipped" in lines[-2]
    assert lines[-1].startswith("PostgreSQL run SKIPPED: nothing answers at postgresql+psycopg://postgres@127.0.0.1:")
    assert "apt-get install postgresql" in lines[-1]


def test_lms_require_all_turns_that_skip_into_a_failure(tmp_path):
    result = run_pytest_without_servers(tmp_path, LMS_REQUIRE_ALL="1")
    assert result.returncode == 1, result.stdout[-2000:]
    assert "LMS_REQUIRE_ALL=1 turns this skip into a failure" in result.stdout
