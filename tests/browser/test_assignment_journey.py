"""A postgraduate learner submits the marked assignment; an educator marks it with the rubric and releases
it; only then is the course complete."""

from playwright.sync_api import expect
from sqlalchemy import select

from lms.accounts.services import create_user
from lms.catalog.models import Course, CourseStaff, Lesson
from lms.clock import utcnow
from lms.extensions import db
from lms.learning.models import Enrolment, LessonProgress
from tests.browser.test_learning_journey import PASSWORD, log_in

ASSIGNMENT = "/courses/innovation-in-practice/final-assessment/critical-appraisal-assignment/"
ESSAY = ("The innovation I appraise is a video consultation service for physiotherapy follow-up. "
         "The main evaluation is an uncontrolled before-and-after study, so secular trends and "
         "regression to the mean cannot be ruled out. ") * 3


def seed(app):
    """A postgraduate learner with everything done but the assignment, and one of the course's educators."""
    with app.app_context():
        learner = create_user(email="pg.student@example.ac.uk", full_name="Sam Rivera", password=PASSWORD,
                              organisation_id="cnwl", professional_group="nurse", verified=True)
        educator = create_user(email="module.lead@example.ac.uk", full_name="Dr Ada Marker", password=PASSWORD,
                               role="educator", organisation_id="imperial-college-london", verified=True)
        course = db.session.scalar(select(Course).where(Course.key == "innovation-in-practice"))
        db.session.add(CourseStaff(course_id=course.id, user_id=educator.id, role="educator"))
        enrolment = Enrolment(user_id=learner.id, course_id=course.id, track="postgraduate", last_activity_at=utcnow())
        db.session.add(enrolment)
        db.session.flush()
        for lesson in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)):
            if "postgraduate" in lesson.tracks and lesson.kind != "assignment":
                db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id, completed_at=utcnow()))
        db.session.commit()


def log_out(page):
    page.get_by_role("button", name="Log out").click()


def test_assignment_marked_with_the_rubric_released_and_the_course_completes(page, live_server):
    seed(live_server.app)
    log_in(page, "pg.student@example.ac.uk")
    page.goto(ASSIGNMENT)
    expect(page.get_by_text("Word limit: 1,500 words.", exact=True)).to_be_visible()
    expect(page.get_by_text("Critical appraisal of the evidence (35% of the mark)")).to_be_visible()
    page.get_by_label("Your answer").fill(ESSAY)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Your draft is saved (96 words).")).to_be_visible()
    page.get_by_role("button", name="Save and submit for marking").click()
    page.get_by_role("button", name="Yes, submit it for marking").click()
    expect(page.get_by_text("Your assignment has been submitted for marking.")).to_be_visible()
    log_out(page)

    log_in(page, "module.lead@example.ac.uk")
    page.goto("/manage/courses/innovation-in-practice/progress")
    page.get_by_role("link", name="Mark assignments on this course").click()
    page.get_by_role("link", name="Sam Rivera").click()
    expect(page.get_by_text("secular trends and regression to the mean").first).to_be_visible()
    for criterion, level in (("Critical appraisal of the evidence", "65%"), ("Value, equity and context", "55%"),
                             ("Adoption and spread plan", "65%"), ("Argument and academic practice", "55%")):
        page.get_by_role("group", name=criterion).get_by_label(level).check()
    page.get_by_label("Feedback for the learner").fill("A careful appraisal; say more about transferability.")
    page.get_by_role("button", name="Save and finish marking").click()
    expect(page.get_by_text("First mark: 61.5%")).to_be_visible()  # 0.35 x 65 + 0.15 x 55 + 0.3 x 65 + 0.2 x 55
    page.get_by_role("button", name="Release the mark").click()
    expect(page.get_by_text("The mark for Sam Rivera is released")).to_be_visible()
    log_out(page)

    log_in(page, "pg.student@example.ac.uk")
    page.goto(ASSIGNMENT)
    expect(page.get_by_text("your mark is 61.5%")).to_be_visible()
    expect(page.get_by_text("say more about transferability")).to_be_visible()
    page.goto("/courses/innovation-in-practice/")
    expect(page.get_by_text("complete", exact=False).first).to_be_visible()
    with live_server.app.app_context():
        enrolment = db.session.scalar(select(Enrolment).join(Enrolment.user).where(
            Enrolment.track == "postgraduate", Enrolment.completed_at.is_not(None)))
        assert enrolment is not None and enrolment.user.email == "pg.student@example.ac.uk"
