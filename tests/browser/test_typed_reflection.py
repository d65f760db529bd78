"""In a real browser: a reflection typed on a lesson survives pressing "Mark as complete" or "Save reflection"."""

from playwright.sync_api import expect
from sqlalchemy import select

from lms.accounts.models import User
from lms.accounts.services import create_user
from lms.catalog.models import ReflectionPrompt
from lms.extensions import db
from lms.learning.models import ReflectionNote
from tests.browser.test_learning_journey import PASSWORD, log_in

LESSON = "/courses/innovation-in-practice/understanding-problems/first-ward-improvement-project/"


def note_text(app, prompt_key: str, email: str = "reflective.nurse@example.nhs.uk") -> str | None:
    """This learner's note (the live server's database is shared by the browser tests)."""
    with app.app_context():
        return db.session.scalar(
            select(ReflectionNote.text).join(ReflectionPrompt, ReflectionPrompt.id == ReflectionNote.prompt_id)
            .join(User, User.id == ReflectionNote.user_id)
            .where(ReflectionPrompt.key == prompt_key, User.email == email))


def test_reflection_is_saved_by_either_button(page, live_server):
    app = live_server.app
    with app.app_context():
        create_user(email="reflective.nurse@example.nhs.uk", full_name="Kofi Mensah", password=PASSWORD,
                    organisation_id="london-north-west", professional_group="nurse")
        db.session.commit()
    log_in(page, "reflective.nurse@example.nhs.uk")
    page.goto("/courses/innovation-in-practice/")
    page.get_by_label("Junior staff").check()
    page.get_by_role("button", name="Enrol on this course").click()

    page.goto(LESSON)
    page.get_by_label("Your reflection").fill("Falls at night on bay 3; ask the night sister.")
    page.get_by_role("button", name="Save reflection").click()
    expect(page.get_by_text("Your reflection is saved.")).to_be_visible()
    assert note_text(app, "r-02-first-project") == "Falls at night on bay 3; ask the night sister."

    page.get_by_label("Your reflection").fill("Falls at night on bay 3; first test: a huddle at 22:00.")
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_text("is complete.")).to_be_visible()
    assert note_text(app, "r-02-first-project") == "Falls at night on bay 3; first test: a huddle at 22:00."
