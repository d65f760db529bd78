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
