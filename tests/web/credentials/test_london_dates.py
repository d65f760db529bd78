"""Kind 7 of issue 10: every date shown to a person is the Europe/London date; stored times stay UTC."""

import subprocess
from datetime import date, datetime

import pytest
from sqlalchemy import select

from lms.credentials import services
from lms.dates import long_date, utc_start_of
from lms.extensions import db
from lms.learning import tallies
from lms.learning.completion import take_snapshot
from lms.learning.models import Enrolment
from lms.reports import queries as reports
from tests.web.credentials.test_certificates import certificates, partner  # noqa: F401

LATE = datetime(2024, 6, 30, 23, 30)  # 00:30 BST on 1 July 2024


@pytest.fixture
def late_completion(tiny_course, make_user):
    learner = make_user(full_name="Nigh Towl", email="owl@example.nhs.uk")
    enrolment = Enrolment(user_id=learner.id, course_id=tiny_course.id, track="junior", enrolled_at=LATE,
                          last_activity_at=LATE, completed_at=LATE)
    db.session.add(enrolment)
    db.session.flush()
    enrolment.completion_snapshot = take_snapshot(enrolment, LATE)
    services.issue_certificate(enrolment, LATE)
    tallies.rebuild()  # the enrolment was inserted behind the services' back: recount, as after a load
    db.session.commit()
    return learner


def test_the_helper():
    assert long_date(LATE) == "1 July 2024" and long_date(datetime(2024, 12, 31, 23, 30)) == "31 December 2024"
    assert utc_start_of(date(2024, 7, 1)) == datetime(2024, 6, 30, 23, 0)
    assert utc_start_of(date(2024, 12, 1)) == datetime(2024, 12, 1, 0, 0)


def test_long_dates_remembered_per_hour_stay_right_on_each_side_of_midnight_and_the_clock_changes():
    # London's midnight is 23:00 UTC in summer; the clocks change at 01:00 UTC (31 March, 27 October 2024).
    for _ in range(2):  # worked out, then remembered
        assert long_date(datetime(2024, 6, 30, 22, 59)) == "30 June 2024"
        assert long_date(datetime(2024, 6, 30, 23, 0)) == "1 July 2024"
        assert long_date(datetime(2024, 3, 30, 23, 59)) == "30 March 2024"
        assert long_date(datetime(2024, 10, 26, 23, 30)) == "27 October 2024"
        assert long_date(datetime(2024, 10, 27, 23, 30)) == "27 October 2024"
        assert long_date(date(2024, 7, 1)) == "1 July 2024" and long_date(None) == ""


def test_the_certificate_pdf_and_verify_page_print_the_london_date(client, late_completion):
    [certificate] = certificates()
    assert certificate.snapshot["completed_on"] == "2024-07-01" and certificate.snapshot["issued_on"] == "2024-07-01"
    assert certificate.completed_at == LATE  # stored as UTC
    text = subprocess.run(["pdftotext", "-", "-"], input=certificate.pdf, capture_output=True, check=True).stdout
    assert b"1 July 2024" in text and b"30 June 2024" not in text
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "1 July 2024" in page and "30 June" not in page


def test_learner_pages_and_csv_show_the_london_date(client, late_completion, login):
    login(late_completion)
    record = client.get("/record").get_data(as_text=True)
    assert "1 July 2024" in record and "30 June 2024" not in record
    assert "1 July 2024" in client.get("/courses/tiny-course/").get_data(as_text=True)
    csv_text = client.get("/record.csv").get_data(as_text=True)
    assert "2024-07-01" in csv_text and "2024-06-30" not in csv_text


def test_the_partner_register_and_search_use_london_dates(client, late_completion, partner, login):  # noqa: F811
    login(partner)
    register = client.get("/manage/certificates/courses/tiny-course/register.csv").get_data(as_text=True)
    assert "2024-07-01" in register and "2024-06-30" not in register
    found = client.get("/manage/certificates/courses/tiny-course?issued_from=2024-07-01&issued_to=2024-07-01")
    assert "Nigh Towl" in found.get_data(as_text=True)
    none = client.get("/manage/certificates/courses/tiny-course?issued_from=2024-06-30&issued_to=2024-06-30")
    assert "Nigh Towl" not in none.get_data(as_text=True).split("Issued certificates")[1]


def test_reports_put_the_completion_on_its_london_day(tiny_course, late_completion):
    weeks = reports.weekly_activity(tiny_course)
    # 30 June 2024 was a Sunday, 1 July a Monday: the completion belongs to the week of 1 July.
    assert [(w.week, w.completions) for w in weeks] == [(date(2024, 7, 1), 1)]
    [row] = list(reports.iter_progress(tiny_course, reports.ProgressFilters(), reports.Sort()))
    from lms.reports.exports import _when
    assert _when(row.completed_at) == "2024-07-01 00:30:00+01:00"


def test_stored_times_stay_utc(late_completion):
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment.completed_at == LATE and enrolment.completion_snapshot["completed_at"] == LATE.isoformat()


def test_programme_quarters_are_london_quarters(tiny_course, make_user):
    from lms.reports.queries import Quarter

    spring = datetime(2025, 3, 31, 23, 30)  # 00:30 BST on 1 April 2025: the second quarter in London
    new_year = datetime(2024, 12, 31, 23, 30)  # GMT: still the fourth quarter of 2024
    for when in (spring, new_year):
        db.session.add(Enrolment(user_id=make_user().id, course_id=tiny_course.id, track="junior",
                                 enrolled_at=when, last_activity_at=when, completed_at=when))
    db.session.flush()
    tallies.rebuild()  # rows inserted behind the services' back: recount, as after a load
    db.session.commit()
    by_quarter = {q.label: (r.enrolments, r.completions) for q, r in reports.programme_by_quarter()}
    assert by_quarter == {"2025 Q2": (1, 1), "2024 Q4": (1, 1)}
    q2 = reports.programme_breakdown(None, Quarter(2025, 2))[0]
    assert (q2.enrolments, q2.completions) == (1, 1)
    q1 = reports.programme_breakdown(None, Quarter(2025, 1))[0]
    assert (q1.enrolments, q1.completions) == (0, 0)
