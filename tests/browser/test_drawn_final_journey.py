"""A learner takes a drawn, shuffled final: opens a hint (its cost shown first), fails and sees no answers,
passes on the last attempt, and then sees the answers."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from courses import QuestionSpec
from lms.accounts.services import create_user
from lms.catalog.models import Lesson, Question
from lms.extensions import db
from lms.learning.models import QuizAttempt

PASSWORD = "a drawn final password"
COURSE = "/courses/drawn-final-practice/"
FINAL = COURSE + "final/final-drawn/"

COURSE_MD = """---
id: drawn-final-practice
title: Drawn final practice
summary: A short course whose final draws its questions from a bank.
tracks: [postgraduate, ahp, junior]
learning_outcomes:
  - id: lo-drawn-one
    text: Answer questions drawn from a bank.
---
A course for the drawn final journey.
"""

MODULE_MD = """---
id: final
title: Final assessment
---
The final assessment.
"""


def final_md() -> str:
    questions = "".join(f"""
/// question | q-drawn-{n}
Which is answer number {n}?

- [x] Answer {n} is right
- [ ] Answer {n} is wrong
    > Feedback-wrong-{n}.

Hint: The first hint for question {n}.
Hint: The second hint for question {n}.
Explanation: Explanation-of-{n}.
///
""" for n in range(1, 7))
    return ("---\nid: final-drawn\ntitle: Drawn final\noutcomes: [lo-drawn-one]\npass_mark: 80\nattempts: 2\n"
            "draw: 3\nshuffle_questions: true\nhint_penalty: 25\n---\nAnswer every question.\n" + questions)


def publish(app, tmp_path) -> None:
    folder = tmp_path / "content" / "drawn-final-practice"
    (folder / "01-final").mkdir(parents=True)
    (folder / "course.md").write_text(COURSE_MD, encoding="utf-8")
    (folder / "01-final" / "module.md").write_text(MODULE_MD, encoding="utf-8")
    (folder / "01-final" / "01-final-drawn.md").write_text(final_md(), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["content", "build", str(tmp_path / "content")])
    assert result.exit_code == 0, result.output


def specs(app) -> dict[str, QuestionSpec]:
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.key == "final-drawn"))
        return {q.key: QuestionSpec.from_dict(q.spec)
                for q in db.session.scalars(select(Question).where(Question.lesson_id == lesson.id))}


def shown_keys(page) -> list[str]:
    """The keys of the questions on the page, in the order shown."""
    names = page.locator('input[name^="answer-"]').evaluate_all("els => els.map(e => e.name)")
    return list(dict.fromkeys(name.removeprefix("answer-") for name in names))


def answer_shown(page, bank: dict[str, QuestionSpec], right: bool) -> list[str]:
    keys = shown_keys(page)
    for key in keys:
        choice = next(c for c in bank[key].choices if c.correct == right)
        page.locator(f'input[name="answer-{key}"][value="{choice.key}"]').check()
    return keys


def test_drawn_final_with_hint_penalty_and_answers_revealed_after_the_last_attempt(page, live_server, tmp_path):
    app = live_server.app
    publish(app, tmp_path)
    with app.app_context():
        create_user(email="drawn.final@example.nhs.uk", full_name="Dara Final", password=PASSWORD,
                    organisation_id="london-north-west", professional_group="doctor", verified=True)
        db.session.commit()
    page.goto("/login")
    page.get_by_label("Email address").fill("drawn.final@example.nhs.uk")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(COURSE)
    page.get_by_role("button", name="Enrol on this course").click()
    bank = specs(app)

    page.goto(FINAL)
    expect(page.get_by_text("Each attempt asks 3 questions chosen at random from a bank of 6.")).to_be_visible()
    first_keys = shown_keys(page)
    assert len(first_keys) == 3
    first = first_keys[0].rsplit("-", 1)[1]
    # The cost is on the page before any hint is opened.
    expect(page.get_by_text("Opening a hint costs 25% of this question's marks.").first).to_be_visible()
    expect(page.get_by_text(f"The first hint for question {first}")).to_have_count(0)
    page.locator(f'input[name="answer-{first_keys[1]}"]').first.check()
    page.get_by_role("button", name="Show hint 1 (costs 25%) for question 1").click()
    expect(page.get_by_text(f"The first hint for question {first}")).to_be_visible()
    expect(page.get_by_role("button", name="Show hint 2 (costs 25%) for question 1")).to_be_visible()
    expect(page.locator(f'input[name="answer-{first_keys[1]}"]').first).to_be_checked()  # kept across the hint
    assert shown_keys(page) == first_keys  # the same draw, in the same order

    answer_shown(page, bank, right=False)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Not passed yet")).to_be_visible()
    expect(page.get_by_text("The answers are shown once you have used all your attempts.")).to_be_visible()
    content = page.content()
    assert "Correct answer" not in content and "Explanation-of-" not in content and "Feedback-wrong-" not in content
    expect(page.get_by_text("You opened 1 hint").first).to_be_visible()

    page.get_by_role("link", name="try the knowledge check again").click()
    second_keys = answer_shown(page, bank, right=True)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="You passed")).to_be_visible()
    expect(page.get_by_text("Correct answer").first).to_be_visible()
    expect(page.get_by_role("heading", name="Explanation").first).to_be_visible()

    with app.app_context():
        made = db.session.scalars(select(QuizAttempt).join(Lesson, Lesson.id == QuizAttempt.lesson_id)
                                  .where(Lesson.key == "final-drawn").order_by(QuizAttempt.id)).all()
        assert [a.question_keys for a in made] == [first_keys, second_keys]
        first_attempt = made[0].id
    # The first attempt's results now show the answers too, with the feedback on the wrong choices.
    page.goto(f"{FINAL}attempts/{first_attempt}")
    expect(page.get_by_text("Correct answer").first).to_be_visible()
    expect(page.get_by_text("Feedback-wrong-").first).to_be_visible()
