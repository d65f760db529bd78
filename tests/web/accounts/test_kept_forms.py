"""Text typed before the session ended survives: kept on the server, put back after logging in again."""

from datetime import timedelta

from sqlalchemy import func, select, update

from lms.accounts.models import KeptForm, UserSession
from lms.clock import utcnow
from lms.extensions import db
from lms.learning.models import QuizAttempt, ReflectionNote
from tests.web.learning.helpers import CHECK, enrol, quiz_token

RIGHT = "correct horse battery"
THOUGHT = "On the ward we could try the new handover sheet <for a week> & ask the night team."


def expire_sessions():
    with db.engine.begin() as conn:
        conn.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))


def lesson_referrer():
    return {"Referer": f"http://localhost{CHECK}"}


def test_a_reflection_posted_after_the_session_expired_comes_back_after_login(client, tiny_course, make_user,
                                                                               login):
    user = make_user()
    login(user)
    enrol(client)
    client.get(CHECK)
    expire_sessions()
    response = client.post_form(CHECK + "reflections/r-think", {"r-think-text": THOUGHT},
                                headers=lesson_referrer())
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "What you typed has been kept" in login_page
    assert db.session.scalar(select(func.count()).select_from(ReflectionNote)) == 0  # not saved as them

    back = client.post_form(response.headers["Location"], {"email": user.email, "password": RIGHT})
    assert back.headers["Location"] == CHECK
    page = client.get(CHECK).get_data(as_text=True)
    assert "What you typed is back in the form" in page
    assert "On the ward we could try the new handover sheet &lt;for a week&gt; &amp; ask the night team." in page
    assert db.session.scalar(select(func.count()).select_from(KeptForm)) == 0  # handed back once
    assert THOUGHT not in client.get(CHECK).get_data(as_text=True)  # the form was refilled, not saved
    client.post_form(CHECK + "reflections/r-think", {"r-think-text": THOUGHT})
    assert db.session.scalar(select(ReflectionNote.text)) == THOUGHT


def test_quiz_answers_posted_after_logout_in_another_tab_come_back(client, tiny_course, make_user, login):
    user = make_user()
    login(user)
    enrol(client)
    token = quiz_token(client)
    client.post_form("/logout")  # e.g. in another tab, on a shared PC
    response = client.post_form(CHECK + "quiz", {"token": token, "action": "submit", "answer-q-first": "b",
                                                 "answer-q-second": "Cobalt blue"}, headers=lesson_referrer())
    assert response.headers["Location"].startswith("/login")
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 0
    client.post_form("/login", {"email": user.email, "password": RIGHT})
    page = client.get(CHECK).get_data(as_text=True)
    assert 'value="Cobalt blue"' in page
    assert 'id="answer-q-first-b" name="answer-q-first" type="radio" value="b" checked' in page


def test_without_a_referer_the_text_goes_back_to_the_lesson_page(client, tiny_course, make_user, login):
    user = make_user()
    login(user)
    enrol(client)
    expire_sessions()
    response = client.post_form(CHECK + "reflections/r-think", {"r-think-text": THOUGHT})
    assert response.headers["Location"] == f"/login?next={CHECK}"
    assert client.post_form("/login", {"email": user.email, "password": RIGHT}).headers["Location"] == CHECK


def test_passwords_and_tokens_are_never_kept(client, tiny_course, make_user, login):
    login(make_user())
    enrol(client)
    expire_sessions()
    client.post_form(CHECK + "quiz", {"token": "draft-token", "answer-q-second": "typed", "password": "secret!",
                                      "new_password": "secret too"})
    fields = db.session.scalar(select(KeptForm.fields))
    assert fields == {"answer-q-second": ["typed"]}


def test_kept_text_goes_only_to_the_person_who_typed_it(app, client, tiny_course, make_user, login):
    typist, colleague = make_user(), make_user()
    login(typist)
    enrol(client)
    expire_sessions()
    client.post_form(CHECK + "reflections/r-think", {"r-think-text": THOUGHT}, headers=lesson_referrer())
    # A colleague logs in on the same shared computer: they do not see it...
    client.post_form("/login", {"email": colleague.email, "password": RIGHT})
    enrol(client)
    assert "handover sheet" not in client.get(CHECK).get_data(as_text=True)
    client.post_form("/logout")
    # ...and the person who typed it gets it back, even on another device.
    phone = app.test_client()
    assert phone.post_form("/login", {"email": typist.email, "password": RIGHT}).headers["Location"] == CHECK
    assert "handover sheet" in phone.get(CHECK).get_data(as_text=True)


def test_a_post_from_someone_never_logged_in_is_not_kept(client, tiny_course):
    response = client.post_form(CHECK + "reflections/r-think", {"r-think-text": THOUGHT})
    assert response.headers["Location"].startswith("/login")
    assert db.session.scalar(select(func.count()).select_from(KeptForm)) == 0


def test_forms_whose_page_cannot_refill_them_are_shown_on_their_own_page(client, make_user, login):
    user = make_user()
    login(user)
    expire_sessions()
    client.post_form("/profile", {"full_name": "A name typed late", "organisation_id": "cnwl",
                                  "professional_group": "nurse"}, headers={"Referer": "http://localhost/profile"})
    response = client.post_form("/login", {"email": user.email, "password": RIGHT})
    assert response.headers["Location"] == "/profile/kept-text"
    page = client.get("/profile/kept-text").get_data(as_text=True)
    assert "A name typed late" in page
    client.post_form("/profile/kept-text")
    assert db.session.scalar(select(func.count()).select_from(KeptForm)) == 0


def test_kept_text_is_forgotten_after_a_day(client, tiny_course, make_user, login):
    user = make_user()
    login(user)
    enrol(client)
    expire_sessions()
    client.post_form(CHECK + "reflections/r-think", {"r-think-text": THOUGHT}, headers=lesson_referrer())
    with db.engine.begin() as conn:
        conn.execute(update(KeptForm).values(created_at=utcnow() - timedelta(hours=25)))
    assert client.post_form("/login", {"email": user.email, "password": RIGHT}).headers["Location"] == "/"
