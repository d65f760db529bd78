"""Double clicks, two tabs and retries: the same attempt posted at once records exactly one."""

import threading

from sqlalchemy import func, select

from lms.extensions import db
from lms.learning.models import Enrolment, LessonProgress, QuizAttempt
from tests.web.learning.helpers import CHECK, RIGHT, enrol, quiz_token

POSTS = 4


def test_the_same_attempt_posted_concurrently_is_recorded_once(app, client, tiny_course, make_user, login):
    user = make_user()
    login(user)
    enrol(client)
    token = quiz_token(client)
    tabs = []
    for _ in range(POSTS):
        tab = app.test_client()
        tab.post_form("/login", {"email": user.email, "password": "correct horse battery"})
        tabs.append((tab, tab.csrf_token()))
    db.session.commit()
    barrier = threading.Barrier(POSTS, timeout=60)  # never wait forever if one request fails early
    responses = [None] * POSTS

    def post(i):
        tab, csrf = tabs[i]
        data = {"csrf_token": csrf, "token": token, "action": "submit",
                **{f"answer-{k}": v for k, v in RIGHT.items()}}
        barrier.wait()
        responses[i] = tab.post(CHECK + "quiz", data=data)

    threads = [threading.Thread(target=post, args=(i,), daemon=True) for i in range(POSTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a racing request did not finish"

    assert [r.status_code for r in responses] == [302] * POSTS, [r.get_data(as_text=True)[:300] for r in responses]
    assert len({r.headers["Location"] for r in responses}) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 1
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 1
    assert db.session.scalar(select(Enrolment)).user_id == user.id
