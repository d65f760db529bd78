"""Who may open what: a learner never sees another learner's work."""

from sqlalchemy import select

from lms.extensions import db
from lms.learning.models import QuizAttempt, ReflectionNote
from tests.web.learning.helpers import CHECK, RIGHT, enrol, submit

READ = "/courses/tiny-course/m-one/l-read/"


def test_lessons_need_enrolment_or_a_staff_role(client, tiny_course, make_user, login):
    assert client.get(READ).status_code == 302  # to the login page
    login(make_user())
    assert client.get(READ).status_code == 403
    assert client.get("/courses/tiny-course/").status_code == 200  # the course page is public
    enrol(client)
    assert client.get(READ).status_code == 200


def test_learner_cannot_open_another_learners_attempt(app, client, tiny_course, make_user, login):
    login(make_user())
    enrol(client)
    mine = submit(client, RIGHT).headers["Location"]
    client.post_form("/logout")
    login(make_user())
    enrol(client)
    assert client.get(mine).status_code == 404
    theirs_id = db.session.scalar(select(QuizAttempt.id))
    assert client.get(f"{CHECK}attempts/{theirs_id + 1000}").status_code == 404


def test_reflection_notes_are_private_and_editable(client, tiny_course, make_user, login):
    first = make_user()
    login(first)
    enrol(client)
    url = CHECK + "reflections/r-think"
    assert client.post_form(url, {"r-think-text": "A private thought"}).status_code == 302
    assert "A private thought" in client.get(CHECK).get_data(as_text=True)
    client.post_form(url, {"r-think-text": "An edited thought"})
    assert db.session.scalar(select(ReflectionNote)).text == "An edited thought"
    assert "An edited thought" in client.get("/record").get_data(as_text=True)
    client.post_form("/logout")

    second = make_user()
    login(second)
    enrol(client)
    assert "An edited thought" not in client.get(CHECK).get_data(as_text=True)
    assert "An edited thought" not in client.get("/record").get_data(as_text=True)
    assert "An edited thought" not in client.get("/record.csv").get_data(as_text=True)


def test_an_overlong_reflection_is_refused_and_kept_on_the_page(client, tiny_course, make_user, login):
    login(make_user())
    enrol(client)
    text = "x" * 20_001
    response = client.post_form(CHECK + "reflections/r-think", {"r-think-text": text})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Keep your note under 20,000 characters" in html and text in html
    assert db.session.scalar(select(ReflectionNote)) is None


def test_staff_preview_lessons_without_taking_the_quiz(client, tiny_course, make_user, login, runner):
    educator = make_user(role="educator")
    runner.invoke(args=["courses", "staff", "add", "tiny-course", educator.email, "--role", "educator"])
    login(educator)
    html = client.get(CHECK + "?track=postgraduate").get_data(as_text=True)
    assert "Preview of the" in html and "Which one is right?" in html and 'name="token"' not in html
    assert client.post_form(CHECK + "quiz", {"token": "x", "action": "submit"}).status_code == 403


def test_learning_record_csv(client, tiny_course, make_user, login):
    login(make_user())
    enrol(client)
    client.post_form(CHECK + "reflections/r-think", {"r-think-text": "=HYPERLINK(\"http://evil\")"})
    response = client.get("/record.csv")
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert "Tiny course,Junior staff" in text
    assert "'=HYPERLINK" in text  # formulas are neutralised for spreadsheets
    assert client.get("/record/print").status_code == 200
