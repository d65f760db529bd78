"""Health checks for load balancers and monitoring: no login, no personal data, JSON."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from lms.extensions import db
from lms.jobs.queue import get_queue

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is alive: 200 {"status": "ok"}."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready to serve: the database and the job queue storage answer.

    200 {"status": "ok", "checks": {"database": "ok", "redis"|"job_queue": "ok"}}, or 503 with
    "status": "unavailable", the failing parts in "failing" and what went wrong in "checks".
    """
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        db.session.rollback()
        checks["database"] = f"unreachable: {type(error).__name__}"
    queue_part = "redis" if current_app.config.get("REDIS_URL") else "job_queue"
    try:
        get_queue(current_app._get_current_object()).ping()
        checks[queue_part] = "ok"
    except Exception as error:  # noqa: BLE001
        checks[queue_part] = f"unreachable: {type(error).__name__}"
    failing = [part for part, state in checks.items() if state != "ok"]
    if failing:
        log.warning("not ready: %s", ", ".join(f"{part} {checks[part]}" for part in failing))
        return jsonify(status="unavailable", failing=failing, checks=checks), 503
    return jsonify(status="ok", checks=checks)
