"""A junior doctor learns on a shared ward PC: enrols, reads, fails then passes a check, comes back later."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from courses import QuestionSpec
from lms.accounts.services import create_user
from lms.catalog.models import Lesson, Question
from lms.extensions import db

COURSE = "/courses/innovation-in-practice/"
PASSWORD = "a shared ward pc password"


def answers_for(app, lesson_key: str, track: str, right: bool) -> dict[str, QuestionSpec]:
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.key == lesson_key))
        questions = db.session.scalars(select(Question).where(Question.lesson_id == lesson.id)
                                       .order_by(Question.position)).all()
        return {q.key: QuestionSpec.from_dict(q.spec) for q in questions if track in q.tracks}


def answer(page, specs: dict[str, QuestionSpec], right: bool) -> None:
    """Answer the questions shown on the page (a lesson that draws from a pool shows only some)."""
    page.get_by_role("button", name="Submit answers").wait_for()  # the quiz is on the page before we look
    shown = 0
    for key, spec in specs.items():
        name = f"answer-{key}"
        if page.locator(f'[name="{name}"]').count() == 0:
            continue
        shown += 1
        if spec.type in ("single", "truefalse"):
            choice = next(c for c in spec.choices if c.correct == right)
            page.locator(f'input[name="{name}"][value="{choice.key}"]').check()
        elif spec.type == "multiple":
            for c in spec.choices:
                box = page.locator(f'input[name="{name}"][value="{c.key}"]')
                box.check() if c.correct == right else box.uncheck()
        elif spec.type == "short":
            page.locator(f'input[name="{name}"]').fill(spec.accepted[0] if right else "not the answer")
        else:
            n = spec.numeric[0]
            page.locator(f'input[name="{name}"]').fill(f"{(n.low + n.high) / 2:g}" if right else "-99999")
    assert shown, "none of the lesson's questions is on the page"


def log_in(page, email):
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_junior_learner_journey(page, live_server):
    app = live_server.app
    with app.app_context():
        create_user(email="f1.doctor@example.nhs.uk", full_name="Amara Okafor", password=PASSWORD,
                    organisation_id="london-north-west", professional_group="doctor",
                    verified=True)
        db.session.commit()
    log_in(page, "f1.doctor@example.nhs.uk")

    page.goto("/")
    page.get_by_role("link", name="Innovation in practice", exact=True).click()
    expect(page.get_by_label("Junior staff")).to_be_checked()  # suggested from the professional group
    page.get_by_role("button", name="Enrol on this course").click()
    expect(page.get_by_text("You are enrolled on Innovation in practice (Junior staff track).")).to_be_visible()

    page.get_by_role("button", name="Start the course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What is innovation in health and care?")
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_text("is complete.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Why the NHS needs innovation")
    page.get_by_role("button", name="Mark as complete").click()

    check = "why-innovate-knowledge-check"
    specs = answers_for(app, check, "junior", right=False)
    page.goto(f"{COURSE}why-innovate/{check}/")
    answer(page, specs, right=False)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Not passed yet")).to_be_visible()
    expect(page.get_by_text("Incorrect").first).to_be_visible()
    expect(page.get_by_role("heading", name="Explanation").first).to_be_visible()

    page.get_by_role("link", name="try the knowledge check again").click()
    answer(page, specs, right=True)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="You passed")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    log_in(page, "f1.doctor@example.nhs.uk")
    page.get_by_role("link", name="My learning").click()
    with live_server.app.app_context():
        junior_lessons = sum("junior" in tracks for tracks in db.session.scalars(
            select(Lesson.tracks).where(Lesson.retired.is_(False), Lesson.course.has(key="innovation-in-practice"))))
    expect(page.get_by_text(f"3 of {junior_lessons} lessons complete")).to_be_visible()
    page.get_by_role("button", name=re.compile("^Continue")).click()
    # The first lesson not yet done after the knowledge check where the learner stopped.
    expect(page).to_have_url(re.compile(r"/understanding-problems/patient-safety-systems-thinking/$"))
