"""Question pools drawn per attempt, hint penalties and when answers are revealed, through the real pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from courses import Draw, QuestionSpec, draw_questions
from lms.catalog.models import Lesson, Question
from lms.extensions import db
from lms.learning.models import QuizAttempt, QuizDraft
from lms.reports.queries import question_statistics
from tests.web.learning.helpers import enrol, quiz_token
from tests.web.markup import squash
from tests.web.publishing.course_files import write_course

FINAL = "/courses/tiny-course/m-one/l-final/"


def pool_question(n: int) -> str:
    return f"""
/// question | q-pool-{n}
Pool question number {n}?

- [x] Right answer {n}
    > Feedback-right-{n}.
- [ ] Wrong answer {n}
    > Feedback-wrong-{n}.

Hint: Hint-one-for-{n}.
Hint: Hint-two-for-{n}.
Explanation: Explanation-for-{n}.
///
"""


SHORT_QUESTION = """
/// question | q-cycle
    type: short

Name the improvement cycle with four stages.

= Plan Do Study Act
Explanation: Explanation-for-cycle.
///
"""


def final_lesson(front: str, pool: int = 6, short: bool = False) -> str:
    body = "".join(pool_question(n) for n in range(1, pool + 1)) + (SHORT_QUESTION if short else "")
    return f"---\nid: l-final\ntitle: Final assessment\noutcomes: [lo-one]\npass_mark: 60\n{front}---\n" \
           f"Answer the questions.\n{body}"


@pytest.fixture
def final(runner, tmp_path):
    """final(front matter lines, pool=6, short=False) publishes the tiny course with a final assessment."""

    def publish_final(front: str = "", **options):
        folder = tmp_path / "content"
        course = write_course(folder)
        (course / "01-one" / "04-final.md").write_text(final_lesson(front, **options), encoding="utf-8")
        result = runner.invoke(args=["content", "build", str(folder)])
        assert result.exit_code == 0, result.output
        return db.session.scalar(select(Lesson).where(Lesson.key == "l-final"))

    return publish_final


def draft() -> QuizDraft:
    db.session.expire_all()
    return db.session.scalar(select(QuizDraft).join(Lesson, Lesson.id == QuizDraft.lesson_id)
                             .where(Lesson.key == "l-final"))


def attempts() -> list[QuizAttempt]:
    db.session.expire_all()
    return list(db.session.scalars(select(QuizAttempt).order_by(QuizAttempt.id)))


def specs() -> dict[str, QuestionSpec]:
    return {q.key: QuestionSpec.from_dict(q.spec) for q in db.session.scalars(select(Question))}


def final_pool() -> list[QuestionSpec]:
    """The final's questions in source order (every track has them all)."""
    return [QuestionSpec.from_dict(q.spec) for q in db.session.scalars(
        select(Question).join(Lesson, Lesson.id == Question.lesson_id).where(Lesson.key == "l-final")
        .order_by(Question.position))]


def answer_for(spec: QuestionSpec, right: bool) -> str:
    if spec.type == "short":
        return "Plan Do Study Act" if right else "Guess"
    return next(c.key for c in spec.choices if c.correct == right)


def answer_drawn(client, right: bool | dict[str, bool], action: str = "submit", **extra):
    """Answer the questions drawn for the open attempt: all right, all wrong, or per question key."""
    token = quiz_token(client, FINAL)
    found, all_specs = draft(), specs()
    data = {"token": token, "action": action, **extra}
    for key in found.question_keys:
        is_right = right.get(key, False) if isinstance(right, dict) else right
        data[f"answer-{key}"] = answer_for(all_specs[key], is_right)
    return client.post_form(FINAL + "quiz", data)


def shown_stems(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"Pool question number (\d+)\?", html)]


# --- drawn attempts -------------------------------------------------------------------------------


def test_an_attempt_shows_its_draw_and_keeps_it_on_reload_resume_and_review(client, final, make_user, login):
    final("attempts: 3\ndraw: 3\n")
    login(make_user())
    enrol(client)
    html = client.get(FINAL).get_data(as_text=True)
    opened = draft()
    drawn = list(opened.question_keys)
    assert len(drawn) == 3 and len(set(drawn)) == 3
    assert shown_stems(html) == [int(k.rsplit("-", 1)[1]) for k in opened.question_keys]
    assert "Each attempt asks 3 questions chosen at random from a bank of 6." in html
    # The draw is the one seeded by the attempt's token.
    pool = final_pool()
    assert tuple(opened.question_keys) == draw_questions(pool, Draw(count=3), seed=opened.token)
    assert set(opened.choice_order) == set(opened.question_keys)

    assert shown_stems(client.get(FINAL).get_data(as_text=True)) == shown_stems(html)  # a reload
    first_key = opened.question_keys[0]
    saved = client.post_form(FINAL + "quiz", {"token": opened.token, "action": "save",
                                              f"answer-{first_key}": "a"})
    assert saved.status_code == 302
    resumed = client.get(FINAL).get_data(as_text=True)
    assert shown_stems(resumed) == shown_stems(html)
    assert re.search(rf'name="answer-{first_key}" type="radio" value="a" checked', resumed)

    response = answer_drawn(client, right=True)
    assert response.status_code == 302
    attempt = attempts()[0]
    assert attempt.question_keys == drawn
    questions = {q.id: q.key for q in db.session.scalars(select(Question))}
    assert [questions[r.question_id] for r in attempt.responses] == drawn
    assert (attempt.score, attempt.max_score) == (3, 3)
    review = client.get(response.headers["Location"]).get_data(as_text=True)
    assert shown_stems(review) == shown_stems(html)


def test_the_next_attempt_is_drawn_again_with_its_own_seed(client, final, make_user, login):
    final("attempts: 3\ndraw: 3\n")
    login(make_user())
    enrol(client)
    client.get(FINAL)
    first_token = draft().token
    answer_drawn(client, right=False)
    client.get(FINAL)
    second = draft()
    assert second.token != first_token
    pool = final_pool()
    assert tuple(second.question_keys) == draw_questions(pool, Draw(count=3), seed=second.token)


def test_answers_to_questions_not_drawn_are_not_graded(client, final, make_user, login):
    final("draw: 2\n")
    login(make_user())
    enrol(client)
    token = quiz_token(client, FINAL)
    everything = {f"answer-q-pool-{n}": "a" for n in range(1, 7)}
    response = client.post_form(FINAL + "quiz", {"token": token, "action": "submit", **everything})
    assert response.status_code == 302
    attempt = attempts()[0]
    assert len(attempt.responses) == 2 and attempt.max_score == 2


def test_a_hint_for_a_question_not_drawn_is_refused(client, final, make_user, login):
    final("draw: 2\nhint_penalty: 25\n")
    login(make_user())
    enrol(client)
    token = quiz_token(client, FINAL)
    hidden = next(f"q-pool-{n}" for n in range(1, 7) if f"q-pool-{n}" not in draft().question_keys)
    assert client.post_form(FINAL + "quiz", {"token": token, "hint": hidden}).status_code == 400
    assert draft().hints_shown == {}


def test_shuffled_questions_show_in_the_stored_order_on_every_load(client, final, make_user, login):
    final("shuffle_questions: true\n")
    login(make_user())
    enrol(client)
    html = client.get(FINAL).get_data(as_text=True)
    keys = draft().question_keys
    assert sorted(keys) == [f"q-pool-{n}" for n in range(1, 7)]
    assert shown_stems(html) == [int(k.rsplit("-", 1)[1]) for k in keys]
    assert shown_stems(client.get(FINAL).get_data(as_text=True)) == shown_stems(html)
    # Errors number the questions as the page shows them.
    response = client.post_form(FINAL + "quiz", {"token": draft().token, "action": "submit",
                                                 f"answer-{keys[0]}": "a"})
    assert f'<a href="#question-{keys[1]}">Question 2: choose an answer</a>' in squash(response.get_data(as_text=True))


def test_staff_preview_the_whole_bank_and_are_told_how_many_each_attempt_draws(client, final, make_user, login,
                                                                              runner):
    final("draw: 2\nhint_penalty: 25\n")
    educator = make_user(role="educator")
    runner.invoke(args=["courses", "staff", "add", "tiny-course", educator.email, "--role", "educator"])
    login(educator)
    html = client.get(FINAL).get_data(as_text=True)
    assert shown_stems(html) == [1, 2, 3, 4, 5, 6]
    assert "Learners answer 2 of these 6 questions on each attempt, chosen at random." in html
    assert "Show hint" not in html and db.session.scalar(select(QuizDraft)) is None


# --- hint penalties -----------------------------------------------------------------------------


def test_the_hint_penalty_is_shown_before_a_hint_is_opened_and_taken_off_the_score(client, final, make_user, login):
    final("attempts: 3\ndraw: 3\nhint_penalty: 25\nreveal: always\n")
    login(make_user())
    enrol(client)
    html = client.get(FINAL).get_data(as_text=True)
    keys = draft().question_keys
    first = keys[0]
    number = first.rsplit("-", 1)[1]
    assert "Opening a hint costs 25% of this question&#39;s marks." in html or \
        "Opening a hint costs 25% of this question's marks." in html
    assert re.search(r"Show hint 1 \(costs 25%\)<span class=\"nhsuk-u-visually-hidden\"> for question 1</span>",
                     html)
    assert f"Hint-one-for-{number}" not in html

    second = keys[1]
    opened = client.post_form(FINAL + "quiz", {"token": draft().token, "hint": first,
                                               f"answer-{second}": "a"})
    assert opened.status_code == 302
    html = client.get(FINAL).get_data(as_text=True)
    assert f"Hint-one-for-{number}" in html and f"Hint-two-for-{number}" not in html
    assert "Show hint 2 (costs 25%)" in html
    assert "You have opened 1 hint, so this question" in html and "reduced by 25%" in html
    assert re.search(rf'name="answer-{second}" type="radio" value="a" checked', html)  # typed answers kept
    assert draft().hints_shown == {first: 1}

    response = answer_drawn(client, right=True)
    attempt = attempts()[0]
    assert attempt.score == 2.75 and attempt.percent == round(100 * 2.75 / 3, 2)
    by_question = {r.position: r for r in attempt.responses}
    assert (by_question[1].hints_used, by_question[1].hint_penalty, by_question[1].points_awarded) == (1, 0.25, 0.75)
    assert by_question[1].correct is True
    assert (by_question[2].hints_used, by_question[2].hint_penalty) == (0, 0)
    review = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You opened 1 hint, which cost 0.25 of this question" in review


def test_hints_are_free_without_a_penalty(client, final, make_user, login):
    final("draw: 2\n")
    login(make_user())
    enrol(client)
    html = client.get(FINAL).get_data(as_text=True)
    assert "costs" not in html and "Show a hint" in html
    first = draft().question_keys[0]
    client.post_form(FINAL + "quiz", {"token": draft().token, "hint": first})
    answer_drawn(client, right=True)
    assert attempts()[0].percent == 100


# --- when answers are revealed --------------------------------------------------------------------

KEY_TEXT = ("Correct answer", "Explanation-for-", "Feedback-right-", "Feedback-wrong-", "Accepted answers")
#: The accepted short answer: in the page only as the learner's own answer, once they typed it.
ACCEPTED = "plan do study act"


def review_of(client, attempt: QuizAttempt) -> str:
    response = client.get(f"{FINAL}attempts/{attempt.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def assert_no_key(html: str, answered_wrong: bool = True) -> None:
    lowered = html.lower()
    leaked = [text for text in (*KEY_TEXT, *([ACCEPTED] if answered_wrong else [])) if text.lower() in lowered]
    assert leaked == [], leaked
    assert "Correct" in html or "Incorrect" in html  # still right or wrong per question


def assert_key(html: str) -> None:
    assert "Correct answer" in html and "Explanation-for-" in html


def test_after_pass_keeps_the_key_until_the_learner_passes(client, final, make_user, login):
    final("attempts: 3\ndraw: 2\nreveal: after-pass\n", short=True)
    login(make_user())
    enrol(client)
    answer_drawn(client, right=False)
    failed = attempts()[0]
    html = review_of(client, failed)
    assert_no_key(html)
    assert "The answers are shown once you have passed." in html
    answer_drawn(client, right=True)
    passed = attempts()[1]
    assert passed.passed
    assert_key(review_of(client, passed))
    assert_key(review_of(client, failed))  # every attempt's review, once passed


def test_after_last_attempt_is_the_default_for_an_assessment(client, final, make_user, login):
    lesson = final("attempts: 2\n", pool=3, short=True)
    assert lesson.reveal == "after-last-attempt"
    login(make_user())
    enrol(client)
    answer_drawn(client, right=False)
    html = review_of(client, attempts()[0])
    assert_no_key(html)
    assert "The answers are shown once you have used all your attempts." in html
    answer_drawn(client, right=True)  # passes on the last attempt
    assert_key(review_of(client, attempts()[1]))
    assert ACCEPTED in review_of(client, attempts()[0]).lower()  # the accepted answers, under the wrong one


def test_after_last_attempt_keeps_the_key_from_a_learner_who_passed_early(client, final, make_user, login):
    final("attempts: 3\nreveal: after-last-attempt\n", pool=2)
    login(make_user())
    enrol(client)
    answer_drawn(client, right=True)
    assert_no_key(review_of(client, attempts()[0]), answered_wrong=False)


def test_never_keeps_the_key_even_after_passing_on_the_last_attempt(client, final, make_user, login):
    final("attempts: 1\nreveal: never\n", pool=2, short=True)
    login(make_user())
    enrol(client)
    answer_drawn(client, right=True)
    html = review_of(client, attempts()[0])
    assert_no_key(html, answered_wrong=False)
    assert "not shown" in html


def test_always_shows_the_key_on_the_first_failed_attempt(client, final, make_user, login):
    final("attempts: 3\nreveal: always\n", pool=2, short=True)
    login(make_user())
    enrol(client)
    answer_drawn(client, right=False)
    html = review_of(client, attempts()[0])
    assert_key(html)
    assert "Feedback-wrong-" in html and ACCEPTED in html.lower()


def test_a_practice_quiz_without_attempts_shows_the_key(client, final, make_user, login):
    assert final("", pool=2).reveal == "always"
    login(make_user())
    enrol(client)
    answer_drawn(client, right=False)
    assert_key(review_of(client, attempts()[0]))


# --- statistics -----------------------------------------------------------------------------------


def test_question_statistics_count_only_learners_shown_each_question(app, client, final, make_user, login):
    final("draw: 2\n")
    for _ in range(4):
        login(make_user())
        enrol(client)
        answer_drawn(client, right=True)
        client.post_form("/logout", {})
    made = attempts()
    assert len(made) == 4
    shown: dict[str, int] = {}
    for attempt in made:
        for key in attempt.question_keys:
            shown[key] = shown.get(key, 0) + 1
    course = db.session.scalar(select(Lesson).where(Lesson.key == "l-final")).course
    stats = {s.key: s for s in question_statistics(course) if s.key.startswith("q-pool-")}
    assert {key: s.responses for key, s in stats.items() if s.responses} == shown
    assert all(s.responses == shown.get(key, 0) for key, s in stats.items())
    assert all(s.correct == s.responses for s in stats.values())
    assert sum(s.responses for s in stats.values()) == 8  # two per attempt, not six
