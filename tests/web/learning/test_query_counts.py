"""Pages issue a fixed number of SQL queries however much data there is."""

from sqlalchemy import select

from lms.catalog.models import Course, Lesson, Module
from lms.clock import utcnow
from lms.extensions import db
from lms.learning.models import Enrolment, LessonProgress
from tests.web.learning.helpers import enrol

READ = "/courses/tiny-course/m-one/l-read/"


def add_learners(course: Course, n: int, make_user) -> None:
    lessons = list(db.session.scalars(select(Lesson)))
    for _ in range(n):
        user = make_user()
        enrolment = Enrolment(user_id=user.id, course_id=course.id, track="junior", last_activity_at=utcnow())
        db.session.add(enrolment)
        db.session.flush()
        for lesson in lessons:
            db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id, completed_at=utcnow()))
    db.session.commit()


def add_my_courses(user, n: int) -> None:
    """n more published courses, each with a module and a lesson, and me enrolled on each."""
    for i in range(n):
        course = Course(key=f"extra-{i}", slug=f"extra-{i}", title=f"Extra {i}", tracks=["junior"],
                        cpd_hours={"junior": 1}, outcomes=[], pass_mark=70, overview_html={}, revision=str(i),
                        content_hash=str(i))
        db.session.add(course)
        db.session.flush()
        module = Module(course_id=course.id, key="m", title="M", tracks=["junior"], position=1, intro_html={},
                        content_hash="x")
        db.session.add(module)
        db.session.flush()
        lesson = Lesson(course_id=course.id, module_id=module.id, key="l", title="L", tracks=["junior"], position=1,
                        estimated_minutes={}, outcomes=[], pass_mark=70, html={"junior": "<p>x</p>"},
                        content_hash="x")
        db.session.add(lesson)
        db.session.flush()
        enrolment = Enrolment(user_id=user.id, course_id=course.id, track="junior", last_activity_at=utcnow())
        db.session.add(enrolment)
        db.session.flush()
        db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id, completed_at=utcnow()))
    db.session.commit()


def page_queries(client, count_queries, url: str) -> int:
    client.get(url)  # warm: first visits create the quiz draft and remember the lesson
    return count_queries(lambda: client.get(url)).count


def test_lesson_course_and_dashboard_pages_keep_a_constant_query_count(
        client, publish, make_user, login, count_queries, runner, tmp_path):
    course = publish()
    me = make_user()
    login(me)
    enrol(client)
    urls = ["/courses/tiny-course/", READ, "/courses/tiny-course/m-one/l-check/", "/dashboard", "/"]
    with_one = {url: page_queries(client, count_queries, url) for url in urls}
    add_learners(course, 49, make_user)
    add_my_courses(me, 49)
    with_fifty = {url: page_queries(client, count_queries, url) for url in urls}
    assert with_one == with_fifty
    assert all(n < 25 for n in with_fifty.values()), with_fifty
