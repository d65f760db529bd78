"""Databases for the benchmarks: a PostgreSQL database made and dropped per run, and the app on it."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import Flask

from config import DevelopmentConfig
from lms import create_app

SECRET_KEY = "bench-secret-" + "x" * 40


def create_postgres_database(admin: str, prefix: str, say=print) -> str | None:
    """A new empty database next to `admin`; None (with a message) when PostgreSQL does not answer."""
    admin_url = sa.make_url(admin)
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        say(f"PostgreSQL skipped: it does not answer at {admin_url.render_as_string()}: "
            f"{str(error).splitlines()[0]}")
        return None
    finally:
        engine.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin: str, url: str) -> None:
    engine = sa.create_engine(sa.make_url(admin), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)'))
    finally:
        engine.dispose()


def make_app(url: str) -> Flask:
    """The development app on `url`, with a fixed secret so session cookies made here work in gunicorn."""
    config = type("BenchConfig", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    return create_app(config)


def seed_completed_learners(app: Flask, count: int, name_of) -> tuple[int, list[int], list[int]]:
    """On `app`'s empty database: the migrations, the organisations and the shipped courses, then `count`
    verified learners (`name_of(i)` their names) who completed foundations-of-safety on the AHP track, its
    partner's signatory set so certificates can be issued. Returns (course id, enrolment ids, user ids)."""
    from pathlib import Path

    from flask_migrate import upgrade
    from sqlalchemy import select

    from lms.accounts.models import User
    from lms.accounts.services import sync_organisations
    from lms.catalog.models import Course
    from lms.clock import utcnow
    from lms.credentials.models import PartnerSettings
    from lms.extensions import db
    from lms.learning.models import Enrolment

    with app.app_context():
        upgrade()
        sync_organisations()
        db.session.commit()
        result = app.test_cli_runner().invoke(args=["content", "build", str(Path(__file__).parents[1] / "content")])
        assert result.exit_code == 0, result.output
        course = db.session.scalar(select(Course).where(Course.key == "foundations-of-safety"))
        now = utcnow()
        db.session.execute(db.insert(User), [
            {"email": f"learner{i}@example.nhs.uk", "full_name": name_of(i), "password_hash": "x",
             "role": "learner", "organisation_id": "cnwl", "professional_group": "nurse",
             "session_token": f"t{i}", "email_verified_at": now} for i in range(count)])
        if course.partner_id:  # certificates wait for the partner's signatory
            db.session.add(PartnerSettings(organisation_id=course.partner_id, signatory_name="Professor Ima Signer",
                                           signatory_title="Director of Continuing Professional Development"))
        users = db.session.scalars(select(User.id).where(User.email.like("learner%"))).all()
        db.session.execute(db.insert(Enrolment), [
            {"user_id": u, "course_id": course.id, "track": "ahp", "completed_at": now} for u in users])
        db.session.commit()
        enrolments = db.session.scalars(select(Enrolment.id).order_by(Enrolment.id)).all()
        course_id = course.id
        db.engine.dispose()
    return course_id, list(enrolments), list(users)
