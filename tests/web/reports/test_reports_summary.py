"""The course summary: weekly figures, the module funnel, completion by track and organisation, as SVG and tables."""

import re
from datetime import date, timedelta

import pytest

from lms.extensions import db
from lms.reports import queries
from tests.web.reports.factories import START, complete_course, enrol, read


def test_weekly_counts_fill_empty_weeks_and_start_on_monday(course, learners):
    weeks = queries.weekly_activity(course.course)
    # Ada enrolled on Mon 6 Jan and completed on 9 Jan; Ben enrolled 16 Jan; Cy 26 Jan (a Sunday).
    assert [(w.week, w.enrolments, w.completions) for w in weeks] == [
        (date(2025, 1, 6), 1, 1), (date(2025, 1, 13), 1, 0), (date(2025, 1, 20), 1, 0)]


def test_funnel_counts_modules_completed_by_learners_whose_track_has_them(course, learners, make_user):
    # A postgraduate learner who did all of module 1, and a junior learner who did all of module 2 only.
    pg = enrol(make_user(), course, "postgraduate")
    read(pg, course, "what", "problems")
    from tests.web.reports.factories import RIGHT_1, RIGHT_2, answer

    answer(pg, course, "check-1", RIGHT_1)
    junior = enrol(make_user(), course, "junior")
    read(junior, course, "pdsa")
    answer(junior, course, "check-2", RIGHT_2)
    db.session.commit()
    funnel = queries.module_funnel(course.course)
    assert [(s.label, s.eligible, s.reached) for s in funnel] == [
        ("Enrolled", 5, 5),
        ("Finding ideas", 5, 3),  # Ada, Ben (second attempt) and the new postgraduate
        ("Testing ideas", 5, 2),  # Ada and the junior learner (the postgraduate one also needs appraisal)
        ("Completed the course", 5, 1),
    ]


def test_completion_rates_by_track_and_organisation(course, learners):
    by_track = {r.label: (r.enrolled, r.completed) for r in queries.completion_by_track(course.course)}
    assert by_track == {"Postgraduate": (1, 0), "Allied health professionals": (1, 0), "Junior staff": (1, 1)}
    by_org = [(r.label, r.enrolled, r.completed, round(r.percent)) for r in
              queries.completion_by_organisation(course.course)]
    assert by_org == [("Central and North West London NHS Foundation Trust", 2, 1, 50),
                      ("Imperial College Healthcare NHS Trust", 1, 0, 0)]


def test_summary_page_draws_accessible_svg_charts_beside_tables(fetch, login, educator, learners):
    login(educator)
    html = fetch("/manage/courses/innovation/summary").get_data(as_text=True)
    charts = re.findall(r"<svg[^>]*class=\"app-chart\".*?</svg>", html, re.S)
    assert len(charts) == 4
    for svg in charts:
        assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg and "aria-labelledby=" in svg
        assert "style=" not in svg  # the CSP forbids inline styles
    assert "style=" not in html
    assert html.count('class="nhsuk-table"') == 4
    assert "Finding ideas" in html and "Completed the course" in html


def test_chart_labels_are_escaped(course, make_user):
    from lms.reports import charts

    svg = charts.bar_chart("c", "Title <b>", "Desc & more", ["<script>alert(1)</script>"], [50], maximum=100)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "Title &lt;b&gt;" in svg


def test_summary_csv_tables(fetch, login, educator, learners):
    login(educator)
    base = "/manage/courses/innovation/summary?format=csv&table="
    weekly = fetch(base + "weekly").get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert weekly[:2] == ["week_starting,enrolments,completions", "2025-01-06,1,1"]
    funnel = fetch(base + "funnel").get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert funnel[0] == "step,learners_eligible,learners_reached,percent"
    assert fetch(base + "tracks").get_data(as_text=True).lstrip("\ufeff").startswith(
        "track,enrolled,completed,completion_percent")
    assert fetch(base + "organisations").get_data(as_text=True).lstrip("\ufeff").startswith(
        "organisation,enrolled,completed,completion_percent")


def test_summary_of_a_course_without_learners(fetch, login, educator):
    login(educator)
    html = fetch("/manage/courses/innovation/summary").get_data(as_text=True)
    assert "No one has enrolled on this course yet." in html


def test_a_recorded_completion_stands_after_switching_to_a_longer_track(course, make_user):
    from lms.learning import counts, services

    enrolment = enrol(make_user(), course, "junior", START)
    complete_course(enrolment, course, START + timedelta(days=1))
    with pytest.raises(services.LearningError):  # refused since issue 10; older enrolments may have switched
        services.switch_track(enrolment, "postgraduate", START + timedelta(days=2))
    enrolment.track = "postgraduate"  # as an older enrolment was switched, behind today's services
    db.session.commit()
    counts.rebuild()  # recounted, as the nightly job would
    funnel = [(s.label, s.eligible, s.reached) for s in queries.module_funnel(course.course)]
    # Postgraduates also need Critical appraisal, so module 2 is no longer complete, but the course was.
    assert funnel == [("Enrolled", 1, 1), ("Finding ideas", 1, 1), ("Testing ideas", 1, 0),
                      ("Completed the course", 1, 1)]
