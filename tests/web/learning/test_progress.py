"""Progress, decided in one place: lessons, modules, courses; track switching; Continue; completion."""

import re

from sqlalchemy import select

from lms.extensions import db
from lms.learning import events
from lms.learning.models import Enrolment
from lms.learning.progress import OutlineLesson, compute_progress, progress_counts, track_plan
from tests.web.learning.helpers import CHECK, RIGHT, enrol, submit
from tests.web.markup import squash

READ = "/courses/tiny-course/m-one/l-read/"
MORE = "/courses/tiny-course/m-one/l-more/"
LAST = "/courses/tiny-course/m-two/l-last/"


def lesson(id_, module, tracks=("junior", "ahp"), required=True):
    return OutlineLesson(id_, f"l{id_}", f"Lesson {id_}", module, f"m{module}", tuple(tracks), required)


def test_compute_progress_rules():
    outline = [lesson(1, 1), lesson(2, 1, required=False), lesson(3, 1, tracks=("ahp",)), lesson(4, 2)]
    junior = compute_progress(outline, "junior", {1})
    assert (junior.lessons_done, junior.lessons_total, junior.modules_done, junior.modules_total) == (1, 2, 1, 2)
    assert not junior.complete and junior.next_lesson_id == 2
    ahp = compute_progress(outline, "ahp", {1})
    assert (ahp.lessons_done, ahp.lessons_total, ahp.modules_done) == (1, 3, 0)
    assert compute_progress(outline, "junior", {1, 4}).complete  # the optional lesson does not count


def test_the_dashboards_counts_are_compute_progress_s_for_every_state():
    # A module whose only lesson on a track is optional is complete from the start.
    outline = (lesson(1, 1), lesson(2, 1, required=False), lesson(3, 1, tracks=("ahp",)), lesson(4, 2),
               lesson(5, 3, required=False), lesson(6, 4, tracks=("ahp",)))
    for track in ("junior", "ahp", "postgraduate"):
        for done in ({}, {1}, {2}, {1, 4}, {3, 6}, {1, 2, 3, 4, 5, 6}, {99}):
            for last in (None, 1, 4, 6, 99):
                full = compute_progress(outline, track, done, last)
                assert progress_counts(track_plan(outline, track), set(done), last) == (
                    full.lessons_done, full.modules_done, full.next_lesson_id), (track, done, last)
    assert compute_progress(outline, "junior", {1, 2}, last_lesson_id=4).next_lesson_id == 4
    assert compute_progress([], "junior", set()).complete is False



def test_completing_every_lesson_completes_the_course_exactly_once(client, tiny_course, make_user, login):
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs["enrolment"].id)

    events.course_completed.connect(receiver)
    try:
        login(make_user())
        enrol(client)
        for url in (READ, MORE):
            assert client.post_form(url + "complete").status_code == 302
        submit(client, RIGHT)
        assert db.session.scalar(select(Enrolment)).completed_at is None
        client.post_form(LAST + "complete")
        enrolment = db.session.scalar(select(Enrolment))
        assert enrolment.completed_at is not None
        submit(client, RIGHT)  # passing again does not announce it again
        assert received == [enrolment.id]
    finally:
        events.course_completed.disconnect(receiver)


def test_a_lesson_with_questions_cannot_be_marked_complete(client, tiny_course, make_user, login):
    login(make_user())
    enrol(client)
    response = client.post_form(CHECK + "complete", follow_redirects=True)
    assert "completed by passing its knowledge check" in response.get_data(as_text=True)


def test_switching_track_keeps_shared_lessons_complete(client, tiny_course, make_user, login):
    login(make_user(professional_group="ahp"))
    enrol(client, track="junior")
    client.post_form(READ + "complete")
    client.post_form("/courses/tiny-course/track", {"track": "ahp"})
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment.track == "ahp"
    html = client.get("/courses/tiny-course/").get_data(as_text=True)
    assert "1 of 4 lessons complete" in html


def test_continue_opens_the_first_incomplete_lesson_from_where_i_was(client, tiny_course, make_user, login):
    login(make_user())
    enrol(client)
    client.post_form(READ + "complete")
    client.get(LAST)  # jumped ahead, then left
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/courses/tiny-course/m-two/l-last/"' in html
    client.post_form(LAST + "complete")
    html = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'href="/courses/tiny-course/m-one/l-more/"[^>]*>Continue', squash(html))


def test_enrolment_defaults_to_the_track_of_my_professional_group(client, tiny_course, make_user, login):
    login(make_user(professional_group="ahp"))
    html = client.get("/courses/tiny-course/").get_data(as_text=True)
    assert 'value="ahp" checked' in html
    client.post_form("/logout")
    login(make_user(professional_group="student"))
    assert 'value="postgraduate" checked' in client.get("/courses/tiny-course/").get_data(as_text=True)


def test_dashboard_shows_cpd_hours_earned_and_in_progress(client, tiny_course, make_user, login):
    login(make_user())
    enrol(client, track="junior")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Tiny course" in html and "0 of 4 lessons complete" in html
    for url in (READ, MORE, LAST):
        client.post_form(url + "complete")
    submit(client, RIGHT)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Completed" in html and "4 of 4 lessons complete" in html
