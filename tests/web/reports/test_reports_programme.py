"""The programme view: every course by organisation, professional group and track, per calendar quarter."""

from datetime import datetime

import pytest

from lms.extensions import db
from lms.reports import queries
from lms.reports.queries import Quarter
from tests.web.reports.factories import complete_course, enrol, make_course


@pytest.fixture
def programme(course, make_user):
    """Two courses; Ada completes both (Q1 and Q2), Ben enrols in Q1 and completes in Q2, Cy only enrols."""
    other = make_course(slug="other", title="Another course", cpd_hours={"junior": 2})
    ada = make_user(full_name="Ada", organisation_id="cnwl", professional_group="doctor")
    ben = make_user(full_name="Ben", organisation_id="imperial-college-healthcare", professional_group="nurse")
    cy = make_user(full_name="Cy", organisation_id="cnwl", professional_group="ahp")
    complete_course(enrol(ada, course, "junior", datetime(2025, 1, 6)), course, datetime(2025, 1, 9))
    complete_course(enrol(ada, other, "junior", datetime(2025, 4, 2)), other, datetime(2025, 4, 3))
    complete_course(enrol(ben, course, "postgraduate", datetime(2025, 3, 30)), course, datetime(2025, 4, 5))
    enrol(cy, course, "ahp", datetime(2025, 5, 1))
    db.session.commit()


def figures(rows):
    return {r.label: (r.learners, r.enrolments, r.completions, r.cpd_hours) for r in rows}


def test_all_time_by_organisation_group_and_track(programme):
    assert figures([queries.programme_breakdown(None, None)[0]]) == {"All": (3, 4, 3, 16.5)}
    assert figures(queries.programme_breakdown("organisation", None)) == {
        "Central and North West London NHS Foundation Trust": (2, 3, 2, 6.5),
        "Imperial College Healthcare NHS Trust": (1, 1, 1, 10.0)}
    assert figures(queries.programme_breakdown("group", None)) == {
        "Doctor": (1, 2, 2, 6.5), "Nurse": (1, 1, 1, 10.0), "Allied health professional": (1, 1, 0, 0.0)}
    assert figures(queries.programme_breakdown("track", None)) == {
        "Junior staff": (1, 2, 2, 6.5), "Postgraduate": (1, 1, 1, 10.0), "Allied health professionals": (1, 1, 0, 0.0)}


def test_a_quarter_counts_enrolments_and_completions_that_fell_in_it(programme):
    q2 = Quarter(2025, 2)
    assert figures(queries.programme_breakdown("organisation", q2)) == {
        "Central and North West London NHS Foundation Trust": (2, 2, 1, 2.0),
        "Imperial College Healthcare NHS Trust": (0, 0, 1, 10.0)}
    assert [(q.label, r.learners, r.enrolments, r.completions, r.cpd_hours)
            for q, r in queries.programme_by_quarter()] == [("2025 Q2", 2, 2, 2, 12.0), ("2025 Q1", 2, 2, 1, 4.5)]


def test_quarters():
    assert Quarter.parse("2025-q4") == Quarter(2025, 4) and Quarter.parse("2025-Q1") == Quarter(2025, 1)
    assert Quarter.parse("2025-q5") is None and Quarter.parse("drop table") is None and Quarter.parse(None) is None
    assert Quarter(2025, 4).start == datetime(2025, 10, 1) and Quarter(2025, 4).end == datetime(2026, 1, 1)
    assert Quarter(2025, 1).end == datetime(2025, 4, 1)


def test_programme_page_and_csvs(fetch, login, make_user, programme):
    login(make_user(role="lead"))
    html = fetch("/manage/programme").get_data(as_text=True)
    assert "Imperial College Healthcare NHS Trust" in html and "16.5" in html and "2025 Q2" in html
    q1 = fetch("/manage/programme?quarter=2025-q1").get_data(as_text=True)
    assert "Imperial College Healthcare NHS Trust" in q1 and "<h2>2025 Q1</h2>" in q1
    bad = fetch("/manage/programme?quarter=someday").get_data(as_text=True)
    assert "Choose a period from the list" in bad and "<h2>All time</h2>" in bad
    lines = fetch("/manage/programme?format=csv&table=group&quarter=2025-q2").get_data(as_text=True)
    assert lines.lstrip("\ufeff").splitlines() == [
        "period,professional_group,learners,enrolments,completions,cpd_hours",
        "2025 Q2,Doctor,1,1,1,2.0", "2025 Q2,Allied health professional,1,1,0,0.0", "2025 Q2,Nurse,0,0,1,10.0"]
    quarters = fetch("/manage/programme?format=csv&table=quarters").get_data(as_text=True)
    assert quarters.lstrip("\ufeff").splitlines()[:2] == ["quarter,learners,enrolments,completions,cpd_hours",
                                                          "2025 Q2,2,2,2,12.0"]


def test_the_header_menu_shows_programme_to_leads_only(fetch, login, make_user, client, educator):
    login(make_user(role="lead"))
    assert 'href="/manage/programme"' in fetch("/manage/reports").get_data(as_text=True)
    client.post_form("/logout")
    login(educator)
    assert 'href="/manage/programme"' not in fetch("/manage/reports").get_data(as_text=True)
