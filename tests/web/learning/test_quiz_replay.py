"""Review: replayed, forged and borrowed attempt tokens at a knowledge check (services.posted_quiz, submit_attempt)."""

from sqlalchemy import select

from lms.catalog.models import Lesson
from lms.extensions import db
from lms.learning.models import QuizAttempt, QuizDraft
from tests.conftest import log_in
from tests.web.learning.helpers import CHECK, RIGHT, WRONG, enrol, quiz_token, submit


def recorded():
    return [(a.enrolment_id, a.token) for a in db.session.scalars(select(QuizAttempt).order_by(QuizAttempt.id))]


def test_borrowed_forged_replayed_and_late_tokens(app, tiny_course, make_user):
    ann, bob = app.test_client(), app.test_client()
    for client in (ann, bob):
        assert log_in(client, make_user().email).status_code == 302
        enrol(client)
    ann_token, bob_token = quiz_token(ann), quiz_token(bob)

    # Bob posts Ann's token (and a made-up one): nothing is recorded for either, and Ann's draft stands.
    for token in (ann_token, "forged-token"):
        response = submit(bob, RIGHT, token=token)
        assert response.status_code in (200, 400) and recorded() == []
    empty = bob.post_form(CHECK + "quiz", {"token": "", "action": "submit",
                                           **{f"answer-{key}": value for key, value in RIGHT.items()}})
    assert empty.status_code in (200, 400) and recorded() == []
    assert "restarted somewhere else" in submit(bob, RIGHT, token=ann_token).get_data(as_text=True)
    assert db.session.scalar(select(QuizDraft.token).where(QuizDraft.token == ann_token)) == ann_token

    # Ann submits; the same form again changes nothing and says so.
    first = submit(ann, WRONG, token=ann_token)
    assert first.status_code == 302 and len(recorded()) == 1
    again = submit(ann, RIGHT, token=ann_token)
    assert len(recorded()) == 1
    assert again.status_code in (200, 302)
    # Bob replaying Ann's recorded token is not told about Ann's attempt.
    borrowed = submit(bob, RIGHT, token=ann_token)
    assert "already submitted" not in borrowed.get_data(as_text=True) and len(recorded()) == 1

    # Ann opens another attempt, then the author allows only one: the open draft's token is refused.
    late = quiz_token(ann)
    lesson = db.session.scalar(select(Lesson).where(Lesson.key == "l-check"))
    lesson.attempts = 1
    db.session.commit()
    refused = submit(ann, RIGHT, token=late)
    assert len(recorded()) == 1
    assert "used all" in refused.get_data(as_text=True)

    # Bob's own token still works once.
    assert submit(bob, RIGHT, token=bob_token).status_code == 302
    assert submit(bob, RIGHT, token=bob_token).status_code in (200, 302)
    assert len(recorded()) == 2


def test_a_token_from_another_knowledge_check_is_not_taken_as_this_ones(app, make_user):
    """A recorded attempt's token posted to another knowledge check of the same course (a forged or mixed-up
    form) must not be answered with that other lesson's attempt: this check's attempt is not recorded."""
    import pytest

    from lms.learning import services
    from tests.web.reports.factories import RIGHT_1, RIGHT_2, make_course

    made = make_course()
    enrolment = services.enrol(make_user(), made.course, "junior", made.course.published_at)
    first, second = made.lessons["check-1"], made.lessons["check-2"]
    draft = services.open_quiz(enrolment, first, made.course.published_at)
    one = services.submit_attempt(enrolment, first, RIGHT_1, draft.token, made.course.published_at)
    services.open_quiz(enrolment, second, made.course.published_at)
    with pytest.raises(services.LearningError):
        services.submit_attempt(enrolment, second, RIGHT_2, draft.token, made.course.published_at)
    assert services.posted_quiz(enrolment, second, "junior", draft.token).recorded is None
    assert [a.lesson_id for a in db.session.scalars(select(QuizAttempt))] == [first.id]
    assert one


def test_staff_enrolled_as_learners_are_graded_on_their_own_tracks_questions(app, make_user):
    """An educator (or admin) enrolled on a course may preview another track with ?track=; posting their own
    attempt to the quiz with ?track= must not grade it on the other track's questions (before issue 15's
    change submit_attempt read the enrolment's track; now it takes what posted_quiz read with the view's)."""
    from tests.web.reports.factories import add_staff, make_course

    made = make_course()
    made.questions["q1"].tracks = ["junior"]  # only junior staff answer q1
    db.session.commit()
    educator = make_user(role="educator")
    add_staff(made.course, educator)
    db.session.commit()
    client = app.test_client()
    assert log_in(client, educator.email).status_code == 302
    client.post_form("/courses/innovation/enrol", {"track": "junior"})
    url = "/courses/innovation/finding/check-1/"
    token = quiz_token(client, url)
    # q1 answered wrong, q2 and q3 right: on junior that is 2 of 3 questions.
    client.post_form(url + "quiz?track=postgraduate", {"token": token, "action": "submit", "answer-q1": "a",
                                                       "answer-q2": ["a", "c"], "answer-q3": "true"})
    attempt = db.session.scalar(select(QuizAttempt))
    assert attempt is not None and attempt.question_keys == ["q1", "q2", "q3"]
    assert attempt.percent < 100
