"""The course progress table, one learner's page, and their CSV downloads."""

import csv
import io
import re
from datetime import timedelta

from lms.extensions import db
from tests.web.reports.factories import START, enrol


def table_rows(html: str) -> list[str]:
    body = html.split('<tbody class="nhsuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    return body.split("</tr>")[:-1]


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_progress_shows_one_row_per_learner_with_their_figures(fetch, login, educator, learners):
    login(educator)
    compact = table_rows(fetch("/manage/courses/innovation/progress").get_data(as_text=True))
    # Compact by default (fits at 1280 px and on a phone): name, track, activity, lessons, completion, certificate.
    assert "5 of 5" in compact[0] and "Doctor" not in compact[0] and "2 of 2" not in compact[0]
    html = fetch("/manage/courses/innovation/progress?columns=all").get_data(as_text=True)
    assert "Show the main columns only" in html
    rows = table_rows(html)
    assert [("Ada" in r, "Ben" in r, "Cy" in r) for r in rows] == [(1, 0, 0), (0, 1, 0), (0, 0, 1)]
    ada, ben, cy = rows
    # Junior track: 5 required lessons (appraisal is postgraduate only, reading is optional).
    assert "5 of 5" in ada and "2 of 2" in ada and "13 January 2025" not in ada and "9 January 2025" in ada
    assert "Central and North West London NHS Foundation Trust" in ada and "Doctor" in ada
    # Postgraduate: 6 required; two read and the check passed on the second attempt (best 100%).
    assert "3 of 6" in ben and "1 of 2" in ben and "100%" in ben and "Postgraduate" in ben
    assert "0 of 5" in cy and "Not tried" in cy and "Allied health professionals" in cy
    assert "3 learners." in html


def test_filters_by_track_organisation_and_enrolment_dates(fetch, login, educator, learners):
    login(educator)
    url = "/manage/courses/innovation/progress"
    only = fetch(f"{url}?track=postgraduate").get_data(as_text=True)
    assert len(table_rows(only)) == 1 and "Ben Okri" in only
    cnwl = fetch(f"{url}?organisation=cnwl").get_data(as_text=True)
    assert [("Ada" in r, "Cy" in r) for r in table_rows(cnwl)] == [(True, False), (False, True)]
    dated = fetch(f"{url}?enrolled_from=2025-01-10&enrolled_to=2025-01-25").get_data(as_text=True)
    assert len(table_rows(dated)) == 1 and "Ben Okri" in dated
    typed = fetch(f"{url}?enrolled_from-day=10&enrolled_from-month=1&enrolled_from-year=2025"
                  "&enrolled_to-day=25&enrolled_to-month=01&enrolled_to-year=2025").get_data(as_text=True)
    assert len(table_rows(typed)) == 1 and "Ben Okri" in typed
    # The end date counts the whole of that day.
    assert "Cy Twombly" in fetch(f"{url}?enrolled_to=2025-01-26").get_data(as_text=True)
    assert "Cy Twombly" not in fetch(f"{url}?enrolled_to=2025-01-25").get_data(as_text=True)


def test_bad_filter_values_are_reported_and_ignored(fetch, login, educator, learners):
    login(educator)
    response = fetch("/manage/courses/innovation/progress?track=astronaut"
                     "&enrolled_from-day=31&enrolled_from-month=2&enrolled_from-year=2025")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and "The start date must be a real date" in html
    assert 'href="#enrolled_from-day"' in html  # the summary takes you to the boxes
    assert 'value="31"' in html  # what was typed comes back to be corrected
    assert len(table_rows(html)) == 3


def test_sorting_is_by_whitelisted_columns_only(fetch, login, educator, learners):
    login(educator)
    url = "/manage/courses/innovation/progress"
    newest = table_rows(fetch(f"{url}?sort=-enrolled").get_data(as_text=True))
    assert ["Cy" in newest[0], "Ben" in newest[1], "Ada" in newest[2]] == [True, True, True]
    completed = table_rows(fetch(f"{url}?sort=completed").get_data(as_text=True))
    assert "Ada" in completed[0]  # the others have not completed, and empty dates go last
    # Anything else falls back to name order rather than reaching the SQL.
    hostile = fetch(f"{url}?sort=-password_hash;drop table users").get_data(as_text=True)
    assert "Ada" in table_rows(hostile)[0]
    html = fetch(f"{url}?sort=-enrolled").get_data(as_text=True)
    assert 'aria-sort="descending"' in html and "sort=enrolled" in html  # the heading now flips the order


def test_pages_of_fifty(fetch, login, educator, course, make_user):
    for n in range(53):
        enrol(make_user(full_name=f"Learner {n:02d}"), course)
    db.session.commit()
    login(educator)
    first = fetch("/manage/courses/innovation/progress").get_data(as_text=True)
    assert len(table_rows(first)) == 50 and "page 1 of 2" in first and 'rel="next"' in first
    second = fetch("/manage/courses/innovation/progress?page=2").get_data(as_text=True)
    assert len(table_rows(second)) == 3 and "Learner 52" in second and 'rel="prev"' in second
    assert fetch("/manage/courses/innovation/progress?page=99").status_code == 200  # the last page instead


def test_progress_csv_has_every_matching_learner_and_documented_columns(fetch, login, educator, learners):
    login(educator)
    response = fetch("/manage/courses/innovation/progress?format=csv&organisation=cnwl&sort=-name")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'attachment; filename="innovation-progress-' in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert [r["name"] for r in rows] == ["Cy Twombly", "Ada Lovelace"]
    ada = rows[1]
    assert ada["lessons_done"] == "5" and ada["lessons_total"] == "5" and ada["modules_done"] == "2"
    assert ada["best_percent:check-1"] == "100.0" and ada["completed_at"].startswith("2025-01-09")
    assert ada["track"] == "Junior staff" and ada["certificate_status"] == "Awaiting approval"
    assert rows[0]["certificate_status"] == ""  # Cy has not completed


def test_learner_page_shows_lessons_for_their_track_and_every_attempt(fetch, login, educator, learners):
    login(educator)
    ben = learners["ben"]
    html = fetch(f"/manage/courses/innovation/learners/{ben.id}").get_data(as_text=True)
    assert "Ben Okri" in html and "Critical appraisal" in html  # a postgraduate lesson
    assert len(re.findall(r">\s*Complete\s*</strong>", html)) == 3 and "Not started" in html
    assert "Further reading" in html and "(optional)" in html
    assert "Not passed" in html and "Passed" in html and "5 min 0 s" in html
    assert "0 of 3" in html and "3 of 3" in html
    ada_html = fetch(f"/manage/courses/innovation/learners/{learners['ada'].id}").get_data(as_text=True)
    assert "Critical appraisal" not in ada_html  # not on the junior track


def test_learner_csvs(fetch, login, educator, learners):
    login(educator)
    base = f"/manage/courses/innovation/learners/{learners['ben'].id}?format=csv"
    lessons = read_csv(fetch(base))
    assert [r["lesson"] for r in lessons][:3] == ["What innovation is", "Spotting problems", "Knowledge check 1"]
    assert {r["status"] for r in lessons} == {"complete", "not started"}
    attempts = read_csv(fetch(base + "&table=attempts"))
    assert [(a["percent"], a["passed"], a["duration_seconds"]) for a in attempts] == [
        ("0.0", "no", "300"), ("100.0", "yes", "300")]


def test_certificate_status_is_the_newest_certificates(fetch, login, educator, course, make_user):
    from lms.credentials.models import Certificate

    def certificate(enrolment, generation, status, expires_at=None):
        db.session.add(Certificate(code=f"CODE-{enrolment.id}-{generation}", user_id=enrolment.user_id,
                                   course_id=course.course.id, enrolment_id=enrolment.id, generation=generation,
                                   status=status, snapshot={}, pdf_sha256="0" * 64, pdf=b"%PDF-", issued_at=START,
                                   completed_at=START, expires_at=expires_at))

    states = {}
    for name in ("Valid", "Revoked", "Reissued", "Expired"):
        enrolment = enrol(make_user(full_name=f"{name} Person"), course)
        enrolment.completed_at = START
        states[name] = enrolment
    db.session.flush()
    certificate(states["Valid"], 1, "valid")
    certificate(states["Revoked"], 1, "revoked")
    certificate(states["Reissued"], 1, "superseded")
    certificate(states["Reissued"], 2, "valid")
    certificate(states["Expired"], 1, "valid", expires_at=START + timedelta(days=1))
    db.session.commit()
    login(educator)
    rows = {r["name"]: r["certificate_status"] for r in read_csv(fetch(
        "/manage/courses/innovation/progress?format=csv"))}
    assert rows == {"Valid Person": "Valid", "Revoked Person": "Revoked", "Reissued Person": "Valid",
                    "Expired Person": "Expired"}
