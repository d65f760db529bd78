"""Typed work is never lost: a reflection typed before "Mark as complete", a quiz submitted again after Back."""

from __future__ import annotations

import re

from sqlalchemy import select

from lms.catalog.models import ReflectionPrompt
from lms.catalog.queries import find_course
from lms.extensions import db
from lms.learning.models import LessonProgress, QuizAttempt, QuizDraft, ReflectionNote
from tests.web.learning.helpers import CHECK, RIGHT, WRONG, enrol, quiz_token, submit
from tests.web.publishing.course_files import write_course

READ = "/courses/tiny-course/m-one/l-read/"
PROMPTS = """
/// reflection | r-read
What will you try on your ward?
///

/// reflection | r-read-two
Who will you ask for help?
///
"""


def publish_with_reflections_on_a_reading(runner, tmp_path):
    folder = tmp_path / "content"
    course = write_course(folder)
    lesson = course / "01-one" / "01-read.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + PROMPTS, encoding="utf-8")
    result = runner.invoke(args=["content", "build", str(folder)])
    assert result.exit_code == 0, result.output
    return find_course("tiny-course")


def notes() -> dict[str, str]:
    db.session.expire_all()
    return dict(db.session.execute(select(ReflectionPrompt.key, ReflectionNote.text)
                                   .join(ReflectionPrompt, ReflectionPrompt.id == ReflectionNote.prompt_id)).all())


def lesson_complete() -> bool:
    db.session.expire_all()
    return db.session.scalar(select(LessonProgress.completed_at)) is not None


def complete_form(html: str) -> str:
    match = re.search(r'<form[^>]*action="[^"]*/complete"[^>]*>(.*?)</form>', html, re.S)
    assert match, "no Mark as complete form"
    return match.group(1)


def test_reflection_typed_before_mark_as_complete_is_saved_with_the_completion(client, runner, tmp_path,
                                                                                make_user, login):
    publish_with_reflections_on_a_reading(runner, tmp_path)
    login(make_user())
    enrol(client)
    form = complete_form(client.get(READ).get_data(as_text=True))
    assert 'name="r-read-text"' in form and 'name="r-read-two-text"' in form and "Mark as complete" in form

    response = client.post_form(READ + "complete", {"r-read-text": "Try a huddle board.", "r-read-two-text": ""})
    assert response.status_code == 302
    assert notes() == {"r-read": "Try a huddle board."}
    assert lesson_complete()


def test_a_reflection_and_a_search_with_nul_characters_are_kept_without_them(client, runner, tmp_path,
                                                                             make_user, login):
    # PostgreSQL refuses NUL in text: one pasted from a corrupted document must not lose the note.
    publish_with_reflections_on_a_reading(runner, tmp_path)
    login(make_user())
    enrol(client)
    response = client.post_form(READ + "complete", {"r-read-text": "Try a\x00 huddle board.", "r-read-two-text": ""})
    assert response.status_code == 302
    assert notes() == {"r-read": "Try a huddle board."}
    assert lesson_complete()
    assert client.get("/?q=tiny\x00").status_code == 200


def test_an_overlong_reflection_stops_the_completion_and_keeps_every_text(client, runner, tmp_path, make_user, login):
    publish_with_reflections_on_a_reading(runner, tmp_path)
    login(make_user())
    enrol(client)
    long_text = "x" * 20_001
    response = client.post_form(READ + "complete", {"r-read-text": long_text, "r-read-two-text": "Ask Sam."})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Keep your note under 20,000 characters" in html and long_text in html and "Ask Sam." in html
    assert notes() == {} and not lesson_complete()


def test_saving_one_reflection_keeps_what_was_typed_in_the_other(client, runner, tmp_path, make_user, login):
    publish_with_reflections_on_a_reading(runner, tmp_path)
    login(make_user())
    enrol(client)
    html = client.get(READ).get_data(as_text=True)
    assert 'formaction="/courses/tiny-course/m-one/l-read/reflections/r-read"' in html
    response = client.post_form(READ + "reflections/r-read", {"r-read-text": "One.", "r-read-two-text": "Two."})
    assert response.status_code == 302
    assert notes() == {"r-read": "One.", "r-read-two": "Two."}
    assert not lesson_complete()


def test_a_lesson_already_complete_keeps_a_separate_reflection_form(client, runner, tmp_path, make_user, login):
    publish_with_reflections_on_a_reading(runner, tmp_path)
    login(make_user())
    enrol(client)
    client.post_form(READ + "complete", {})
    html = client.get(READ).get_data(as_text=True)
    assert "Mark as complete" not in html
    assert re.search(r'<form[^>]*action="[^"]*/reflections/r-read"', html)


def test_submitting_a_finished_attempt_again_says_so_and_links_to_the_results(client, tiny_course, make_user, login):
    login(make_user())
    enrol(client)
    token = quiz_token(client)  # the page as it was before submitting
    first = submit(client, WRONG, token=token)
    results = first.headers["Location"]
    client.get(CHECK)  # the next attempt's page opens a new draft
    client.post_form(CHECK + "quiz", {"token": quiz_token(client), "action": "save", "answer-q-second": "navy"})

    again = submit(client, RIGHT, token=token)  # Back in the browser, other answers, submit
    assert again.status_code == 200
    html = again.get_data(as_text=True)
    assert "You have already submitted these answers" in html
    assert f'href="{results}"' in html
    assert re.search(r'value="a" checked', html) and 'value="Blue"' in html  # what was sent is on the page
    assert len(db.session.scalars(select(QuizAttempt)).all()) == 1  # nothing recorded twice or overwritten
    assert db.session.scalar(select(QuizDraft)).answers == {"q-second": "navy"}  # the new draft untouched


def test_saving_or_asking_a_hint_on_a_finished_attempt_changes_nothing(client, tiny_course, make_user, login):
    login(make_user())
    enrol(client)
    token = quiz_token(client)
    submit(client, WRONG, token=token)
    client.post_form(CHECK + "quiz", {"token": quiz_token(client), "action": "save", "answer-q-second": "navy"})
    for extra in ({"action": "save"}, {"hint": "q-first"}, {"action": "submit"}):  # the last one incomplete
        response = client.post_form(CHECK + "quiz", {"token": token, "answer-q-second": "teal", **extra})
        assert response.status_code == 200
        assert "You have already submitted these answers" in response.get_data(as_text=True)
    draft = db.session.scalar(select(QuizDraft))
    assert draft.answers == {"q-second": "navy"} and draft.hints_shown == {}


def test_the_same_answers_sent_twice_go_to_the_results_with_the_message(client, tiny_course, make_user, login):
    login(make_user())
    enrol(client)
    token = quiz_token(client)
    first = submit(client, RIGHT, token=token)
    second = submit(client, RIGHT, token=token)
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    assert "You have already submitted these answers" in client.get(second.headers["Location"]).get_data(
        as_text=True)


def quiz_form(html: str) -> str:
    match = re.search(r'<form[^>]*action="[^"]*/quiz"[^>]*>(.*?)</form>', html, re.S)
    assert match, "no quiz form"
    return match.group(1)


def test_reflection_typed_on_a_quiz_lesson_is_saved_when_the_answers_are_submitted(client, tiny_course, make_user,
                                                                                    login):
    login(make_user())
    enrol(client)
    form = quiz_form(client.get(CHECK).get_data(as_text=True))
    assert 'name="r-think-text"' in form and "Submit answers" in form
    response = client.post_form(CHECK + "quiz", {"token": quiz_token(client), "action": "submit",
                                                 "r-think-text": "Ask before changing.",
                                                 **{f"answer-{k}": v for k, v in RIGHT.items()}})
    assert response.status_code == 302 and "/attempts/" in response.headers["Location"]
    assert notes() == {"r-think": "Ask before changing."}
    assert len(db.session.scalars(select(QuizAttempt)).all()) == 1


def test_saving_a_reflection_on_a_quiz_lesson_keeps_the_answers_typed_so_far(client, tiny_course, make_user, login):
    login(make_user())
    enrol(client)
    html = client.get(CHECK).get_data(as_text=True)
    assert re.search(r'name="action"[^>]*value="reflection-r-think"', html)
    response = client.post_form(CHECK + "quiz", {"token": quiz_token(client), "action": "reflection-r-think",
                                                 "r-think-text": "A thought.", "answer-q-second": "blue-ish"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#reflection-r-think")
    assert notes() == {"r-think": "A thought."}
    assert db.session.scalar(select(QuizDraft)).answers == {"q-second": "blue-ish"}
    assert db.session.scalar(select(QuizAttempt)) is None


def test_reflection_sent_with_a_finished_attempt_again_is_still_saved(client, tiny_course, make_user, login):
    login(make_user())
    enrol(client)
    token = quiz_token(client)
    submit(client, WRONG, token=token)
    response = client.post_form(CHECK + "quiz", {"token": token, "action": "submit", "r-think-text": "Kept.",
                                                 **{f"answer-{k}": v for k, v in RIGHT.items()}})
    assert "You have already submitted these answers" in response.get_data(as_text=True)
    assert notes() == {"r-think": "Kept."}


def test_a_stale_mark_as_complete_on_a_quiz_lesson_still_keeps_the_reflection(client, tiny_course, make_user, login):
    login(make_user())
    enrol(client)
    response = client.post_form(CHECK + "complete", {"r-think-text": "Typed on an old page."})
    assert response.status_code == 302
    assert notes() == {"r-think": "Typed on an old page."}
    assert "completed by passing its knowledge check" in client.get(CHECK).get_data(as_text=True)
    assert not lesson_complete()
