"""Who may open which report: course staff their own courses, leads and admins everything."""

import pytest

from lms.extensions import db
from lms.learning.models import ReflectionNote
from tests.web.reports.factories import add_staff, enrol, make_course, read

COURSE_PAGES = ["progress", "summary", "questions", "progress?format=csv", "summary?format=csv&table=funnel",
                "questions?format=csv&table=options"]


@pytest.fixture
def other_course(app):
    made = make_course(slug="other-course", title="Another course")
    db.session.commit()
    return made


def test_educator_sees_their_own_courses_reports(fetch, login, educator):
    login(educator)
    for page in COURSE_PAGES:
        assert fetch(f"/manage/courses/innovation/{page}").status_code == 200, page


def test_educator_guessing_another_courses_url_gets_not_found(fetch, login, educator, other_course):
    login(educator)
    for page in COURSE_PAGES:
        assert fetch(f"/manage/courses/other-course/{page}").status_code == 404, page
        # The same answer as for a course that does not exist, so nothing can be probed.
        assert fetch(f"/manage/courses/no-such-course/{page}").status_code == 404, page


def test_partner_of_the_course_sees_it(fetch, login, make_user, course):
    partner = make_user(role="partner")
    add_staff(course.course, partner, "partner")
    db.session.commit()
    login(partner)
    assert fetch("/manage/courses/innovation/progress").status_code == 200


def test_partner_of_another_course_does_not(fetch, login, make_user, course, other_course):
    partner = make_user(role="partner")
    add_staff(other_course.course, partner, "partner")
    db.session.commit()
    login(partner)
    assert fetch("/manage/courses/innovation/progress").status_code == 404
    assert fetch("/manage/courses/other-course/progress").status_code == 200


def test_another_courses_enrolment_under_own_course_url_is_not_found(fetch, login, make_user, educator,
                                                                      course, other_course):
    learner = make_user()
    theirs = enrol(learner, other_course)
    mine = enrol(make_user(), course)
    db.session.commit()
    login(educator)
    assert fetch(f"/manage/courses/innovation/learners/{mine.id}").status_code == 200
    assert fetch(f"/manage/courses/innovation/learners/{theirs.id}").status_code == 404
    assert fetch(f"/manage/courses/innovation/learners/{theirs.id}?format=csv").status_code == 404
    assert fetch(f"/manage/courses/other-course/learners/{theirs.id}").status_code == 404


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_leads_and_admins_see_every_course_and_the_programme(fetch, login, make_user, course, other_course, role):
    login(make_user(role=role))
    for slug in ("innovation", "other-course"):
        for page in ("progress", "summary", "questions"):
            assert fetch(f"/manage/courses/{slug}/{page}").status_code == 200
    assert fetch("/manage/programme").status_code == 200
    assert fetch("/manage/programme?format=csv").status_code == 200
    assert fetch("/manage/reports").status_code == 200


def test_learners_are_refused(fetch, login, make_user, course):
    learner = make_user(role="learner")
    enrolment = enrol(learner, course)
    db.session.commit()
    login(learner)
    for url in ["/manage/courses/innovation/progress", "/manage/courses/innovation/summary",
                "/manage/courses/innovation/questions", "/manage/programme", "/manage/reports",
                "/manage/courses/innovation/progress?format=csv", f"/manage/courses/innovation/learners/{enrolment.id}",
                "/manage/courses/no-such-course/progress"]:
        assert fetch(url).status_code == 403, url


def test_course_staff_cannot_open_the_programme(fetch, client, login, educator, make_user):
    for person in (educator, make_user(role="partner")):
        login(person)
        assert fetch("/manage/programme").status_code == 403
        assert fetch("/manage/programme?format=csv&table=organisation").status_code == 403
        client.post_form("/logout")


def test_people_not_logged_in_are_sent_to_log_in(fetch, course):
    response = fetch("/manage/courses/innovation/progress")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_reports_index_lists_only_the_educators_courses(fetch, login, educator, other_course):
    login(educator)
    html = fetch("/manage/reports").get_data(as_text=True)
    assert "Innovation in practice" in html
    assert "Another course" not in html
    assert "/manage/programme" not in html


def test_reflection_notes_never_appear_to_staff(fetch, login, make_user, educator, course):
    from lms.catalog.models import ReflectionPrompt

    learner = make_user(full_name="Robin Reflective")
    enrolment = enrol(learner, course)
    read(enrolment, course, "what")
    prompt = ReflectionPrompt(course_id=course.course.id, lesson_id=course.lessons["what"].id, key="think",
                              position=1, tracks=["junior"], prompt_html="<p>What did you notice?</p>")
    db.session.add(prompt)
    db.session.flush()
    db.session.add(ReflectionNote(user_id=learner.id, prompt_id=prompt.id, text="My private worry about ward 7"))
    db.session.commit()
    login(educator)
    urls = [f"/manage/courses/innovation/{p}" for p in ("progress", "summary", "questions")]
    urls += [f"/manage/courses/innovation/learners/{enrolment.id}",
             f"/manage/courses/innovation/learners/{enrolment.id}?format=csv",
             f"/manage/courses/innovation/learners/{enrolment.id}?format=csv&table=attempts",
             "/manage/courses/innovation/progress?format=csv"]
    for url in urls:
        response = fetch(url)
        assert response.status_code == 200, url
        assert "private worry" not in response.get_data(as_text=True), url
    assert "Robin Reflective" in fetch(f"/manage/courses/innovation/learners/{enrolment.id}").get_data(as_text=True)
