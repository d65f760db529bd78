"""The enrolment counts behind the summary and the programme view: after every kind of write (enrol, progress,
complete, switch track, cohort enrolment, change of organisation or group, certificates revoked or expired,
erasure) the figures read from the counts equal the figures scanned from the raw rows, the counts equal a
rebuild, and concurrent enrolments lose nothing."""

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from lms.credentials.models import REVOKED, Certificate
from lms.extensions import db
from lms.learning import counts, services
from lms.learning.models import Enrolment
from lms.reports import queries, scans
from lms.reports.queries import Quarter
from tests.web.reports.factories import RIGHT_1, WRONG_1, answer, complete_course, enrol, make_course, read

pytestmark = pytest.mark.db


def agree():
    """The counts equal the raw rows, and every summary and programme figure equals a scan."""
    db.session.flush()
    assert counts.differences() == []
    assert scans.figure_differences() == []


def certificate(enrolment, status="valid", expires_at=None):
    """A certificate row as issuing leaves it (the PDF is beside the point here)."""
    db.session.add(Certificate(code=f"TEST-{enrolment.id}", user_id=enrolment.user_id, course_id=enrolment.course_id,
                               enrolment_id=enrolment.id, status=status, snapshot={}, pdf_sha256="0" * 64, pdf=b"",
                               issued_at=enrolment.completed_at, completed_at=enrolment.completed_at,
                               expires_at=expires_at))


def test_a_mix_of_writes_keeps_the_figures_equal_to_the_raw_rows(course, make_user):
    from lms.accounts.services import set_organisation, update_profile
    from lms.learning.cohorts import enrol_one
    from lms.privacy.services import erase_user

    other = make_course(slug="other", title="Another course", cpd_hours={"junior": 2, "ahp": 1})
    ada = make_user(organisation_id="cnwl", professional_group="doctor")
    ben = make_user(organisation_id="imperial-college-healthcare", professional_group="nurse")
    cy = make_user(organisation_id="cnwl", professional_group="ahp")
    eve = make_user(organisation_id="clch", professional_group="nurse")
    admin = make_user(role="admin")

    # 23:30 UTC on 31 March is 1 April in London: the second quarter.
    a = enrol(ada, course, "junior", datetime(2025, 3, 31, 23, 30))
    a2 = enrol(ada, other, "junior", datetime(2025, 1, 5))
    read(a2, other, "what", when=datetime(2025, 1, 6))
    agree()
    complete_course(a, course, datetime(2025, 4, 2))
    b = enrol(ben, course, "postgraduate", datetime(2025, 2, 10))
    read(b, course, "what", "problems", "appraisal", when=datetime(2025, 2, 11))
    answer(b, course, "check-1", WRONG_1, datetime(2025, 2, 11))
    services.switch_track(b, "junior", datetime(2025, 2, 12))
    agree()
    complete_course(b, course, datetime(2025, 6, 30, 23, 15))  # 1 July in London
    c = enrol(cy, course, "ahp", datetime(2025, 6, 30, 23, 30))
    read(c, course, "what", when=datetime(2025, 7, 1))
    answer(c, course, "check-1", RIGHT_1, datetime(2025, 7, 2))
    enrol_one(other.course, "new.person@example.nhs.uk", "New Person", "ahp", "brent-council", admin,
              datetime(2025, 8, 1))
    agree()

    # People move: their enrolments move with them, in every quarter.
    set_organisation(ada, "imperial-college-healthcare", actor_id=admin.id)
    update_profile(cy, professional_group="nurse")
    update_profile(ben, organisation_id=None, professional_group="doctor")
    agree()

    # Certificates void hours when revoked or expired; the newest decides.
    certificate(a, status=REVOKED)
    certificate(b, expires_at=datetime(2025, 7, 1))
    agree()
    assert queries.programme_breakdown(None, None)[0].cpd_hours == 0.0

    # Erasure keeps a certified enrolment (under no organisation) and drops the rest.
    e = enrol(eve, course, "junior", datetime(2025, 9, 1))
    complete_course(e, course, datetime(2025, 9, 2))
    certificate(e)
    e2 = enrol(eve, other, "ahp", datetime(2025, 9, 3))
    read(e2, other, "what", when=datetime(2025, 9, 4))
    agree()
    erase_user(eve, actor_id=admin.id, via="cli", reason="admin")
    agree()
    db.session.commit()

    totals = queries.programme_breakdown(None, None)[0]
    assert (totals.learners, totals.enrolments, totals.completions) == (5, 6, 3)
    assert [q.label for q, _row in queries.programme_by_quarter()] == ["2025 Q3", "2025 Q2", "2025 Q1"]
    assert {r.label: r.enrolments for r in queries.programme_breakdown("track", Quarter(2025, 2))} == {
        "Junior staff": 1}

    running = counts.stored()
    counts.rebuild()
    assert counts.stored() == running


def test_the_check_finds_a_planted_count_and_the_nightly_job_repairs_it(course, make_user, runner):
    from lms.reports.tallies_cli import check_and_rebuild

    enrol(make_user(organisation_id="cnwl"), course, "junior", datetime(2025, 2, 1))
    db.session.commit()
    assert runner.invoke(args=["reports", "check-tallies"]).exit_code == 0
    db.session.execute(counts.ProgrammeCount.__table__.update().values(enrolled=counts.ProgrammeCount.enrolled + 1))
    db.session.commit()
    result = runner.invoke(args=["reports", "check-tallies"])
    assert result.exit_code == 1 and "programme" in result.output and "raw rows" in result.output
    assert check_and_rebuild() > 0
    db.session.commit()
    assert counts.differences() == [] and scans.figure_differences() == []


def test_concurrent_enrolments_and_completions_lose_nothing(app, course, make_user):
    """Eight people enrol on the same day and complete a lesson at once: they share every count row."""
    people = [make_user(organisation_id="cnwl", professional_group="nurse") for _ in range(8)]
    db.session.commit()
    ids = [p.id for p in people]
    errors = []

    def work(user_id):
        try:
            with app.app_context():
                from lms.accounts.models import User
                made = type(course)(db.session.get(type(course.course), course.course.id),
                                    lessons={"what": db.session.get(type(course.lessons["what"]),
                                                                    course.lessons["what"].id)})
                enrolment = enrol(db.session.get(User, user_id), made, "junior", datetime(2025, 3, 3, 9))
                db.session.commit()
                read(enrolment, made, "what", when=datetime(2025, 3, 3, 10))
                db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(user_id,)) for user_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).select_from(Enrolment)) == 8
    assert queries.weekly_activity(course.course)[0].enrolments == 8
    assert counts.differences() == [] and scans.figure_differences() == []
    assert queries.programme_breakdown(None, Quarter(2025, 1))[0].learners == 8
    assert queries.programme_by_quarter()[0][1].enrolments == 8


def test_the_migration_fills_the_counts_from_the_rows_already_there(tmp_path_factory):
    from flask_migrate import downgrade, upgrade

    from lms import create_app
    from lms.accounts.services import create_user, sync_organisations
    from tests.conftest import drop_postgres_database, new_database_url

    url = new_database_url(tmp_path_factory, prefix="lms_counts")
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with app.app_context():
            upgrade()
            sync_organisations()
            made = make_course()
            for n, (track, org) in enumerate([("junior", "cnwl"), ("ahp", None), ("postgraduate", "clch")]):
                user = create_user(email=f"m{n}@example.nhs.uk", full_name=f"M {n}", password="correct horse battery",
                                   role="learner", organisation_id=org, professional_group="nurse", verified=True)
                enrolment = enrol(user, made, track, datetime(2025, 3, 31, 23, 30) + timedelta(days=31 * n))
                read(enrolment, made, "what", when=datetime(2025, 5, 1))
                if n == 0:
                    complete_course(enrolment, made, datetime(2025, 6, 30, 23, 30))
            db.session.commit()
            running = counts.stored()
            db.session.remove()  # no transaction of ours may hold the tables the downgrade drops
            downgrade(revision="7d41c0a9e2b3")
            upgrade()
            assert counts.stored() == running and counts.differences() == []
            db.session.remove()
            db.engine.dispose()
    finally:
        if url.startswith("postgresql"):
            drop_postgres_database(url)
