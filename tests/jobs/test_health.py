"""/healthz and /readyz: JSON, no login, and the failing part named."""

from __future__ import annotations

import json

from lms.extensions import db


def test_healthz_says_the_process_is_alive(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok"})


def test_readyz_checks_the_database_and_the_sqlite_queue(app, client, tmp_path):
    app.config["JOBS_SQLITE_PATH"] = str(tmp_path / "huey.sqlite3")
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "job_queue": "ok"}}


def test_readyz_is_503_naming_redis_when_redis_does_not_answer(app, client, free_port):
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port}/0"
    app.extensions.pop("lms_jobs_queue", None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["failing"] == ["redis"]
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"].startswith("unreachable")


def test_readyz_is_ok_with_redis_when_it_answers(app, client, redis_url):
    app.config.update(REDIS_URL=redis_url, JOBS_HUEY_NAME="readyz-test")
    app.extensions.pop("lms_jobs_queue", None)
    response = client.get("/readyz")
    assert (response.status_code, response.json["checks"]) == (200, {"database": "ok", "redis": "ok"})


def test_readyz_is_503_naming_the_database_when_it_does_not_answer(app, client, tmp_path, monkeypatch):
    app.config["JOBS_SQLITE_PATH"] = str(tmp_path / "huey.sqlite3")

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr(db.session, "execute", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["failing"] == ["database"]
    assert "@" not in json.dumps(response.json)  # no addresses, no personal data
