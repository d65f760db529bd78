"""An educator edits a shipped lesson in the browser: introduces an error, follows it to its line, fixes it,
previews two tracks with the answer key, publishes, and rolls back. axe checks every page (the `page` fixture).
"""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from lms.accounts.services import create_user
from lms.catalog.models import Course, Lesson
from lms.catalog.services import add_course_staff
from lms.clock import utcnow
from lms.extensions import db
from lms.learning import services
from lms.learning.models import LessonProgress
from lms.publishing.models import SourceRevision
from tests.browser.test_learning_journey import PASSWORD, log_in

COURSE = "innovation-in-practice"
CHECK_FILE = "07-knowledge-check.md"  # module 1's check, the first link of that name


def seed(app) -> tuple[int, int]:
    """The shipped course's educator, and a learner who completed its first lesson: (progress id, lesson id)."""
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.key == COURSE))
        educator = create_user(email="editor.educator@example.nhs.uk", full_name="Eve Editor", password=PASSWORD,
                               role="educator", organisation_id="imperial-college-healthcare")
        learner = create_user(email="editor.learner@example.nhs.uk", full_name="Lee Learner", password=PASSWORD,
                              organisation_id="cnwl", professional_group="nurse", verified=True)
        add_course_staff(course, educator, "educator")
        enrolment = services.enrol(learner, course, "junior", utcnow())
        lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id,
                                                        Lesson.key == "what-is-innovation"))
        services.mark_lesson_complete(enrolment, lesson, utcnow())
        db.session.commit()
        progress = db.session.scalar(select(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id))
        return progress.id, lesson.id


def test_educator_edits_previews_publishes_and_rolls_back(page, live_server):
    app = live_server.app
    progress_id, _ = seed(app)
    page.set_default_timeout(15_000)
    with app.app_context():
        first = db.session.scalar(select(SourceRevision).where(SourceRevision.course_key == COURSE)
                                  .order_by(SourceRevision.number.desc()))
        first_number, first_compiled = first.number, first.compiled_revision

    log_in(page, "editor.educator@example.nhs.uk")
    page.goto("/manage/reports")
    page.get_by_role("link", name="source of Innovation in practice").click()
    expect(page.get_by_role("heading", name="Course source")).to_be_visible()
    page.get_by_role("link", name=CHECK_FILE).first.click()
    text = page.get_by_label("The file")
    original = text.input_value()

    # an error: the first correct choice made wrong, so that question has no correct choice
    broken = original.replace("- [x]", "- [ ]", 1)
    text.fill(broken)
    page.get_by_role("button", name="Save the draft").click()
    finding = page.get_by_role("link", name=re.compile(rf"{CHECK_FILE}:\d+: error Q001: ")).first
    expect(finding).to_be_visible()
    line = int(re.search(rf"{CHECK_FILE}:(\d+):", finding.inner_text()).group(1))
    finding.click()
    expect(page).to_have_url(re.compile(rf"#L{line}$"))
    expect(page.get_by_label("The file")).to_be_focused()

    # fixed, with a sentence added; the live preview follows the text area as typing pauses
    text = page.get_by_label("The file")
    text.fill(original.replace("\n## ", "\n## Revised: ", 1) if "\n## " in original else original + "\nRevised.\n")
    expect(page.locator("#live-preview")).to_contain_text("Correct:")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_role("link", name=re.compile(r"error Q001"))).to_have_count(0)

    for track in ("Postgraduate", "Junior"):
        page.get_by_role("link", name=re.compile(f"Preview for {track}")).click()
        expect(page.get_by_text("Correct:").first).to_be_visible()
        expect(page.get_by_text("Explanation:").first).to_be_visible()
        page.get_by_role("link", name=re.compile("Back to editing")).click()

    page.get_by_role("link", name=re.compile("^Source of")).first.click()
    page.get_by_label("What changed").fill("Sharper knowledge check")
    page.get_by_role("button", name="Publish the draft").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_role("cell", name="Sharper knowledge check")).to_be_visible()

    with app.app_context():
        progress = db.session.get(LessonProgress, progress_id)
        assert progress.completed_at is not None  # the learner's completion survives the publish

    page.get_by_role("button", name=f"Roll back to revision {first_number}").click()
    expect(page.get_by_text(f"Revision {first_number} published again")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Compare with")).first.click()
    expect(page.get_by_role("heading", name=re.compile("Changes from revision"))).to_be_visible()
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.key == COURSE))
        assert course.revision == first_compiled
        numbers = db.session.scalars(select(SourceRevision.number).where(SourceRevision.course_key == COURSE)).all()
        assert len(numbers) == first_number + 2


def test_admin_creates_a_course_and_a_second_editor_meets_the_conflict_page(page, live_server):
    from lms.authoring import drafts

    app = live_server.app
    page.set_default_timeout(15_000)
    with app.app_context():
        create_user(email="editor.admin@example.nhs.uk", full_name="Ada Admin", password=PASSWORD, role="admin",
                    organisation_id="cnwl")
        db.session.commit()
    log_in(page, "editor.admin@example.nhs.uk")
    page.goto("/admin/courses")
    page.get_by_role("link", name="Create a new course").click()
    page.get_by_label("Course id").fill("digital-basics")
    page.get_by_label("Title").fill("Digital basics")
    page.get_by_role("button", name="Create the course").click()
    expect(page.get_by_role("heading", name="Staff of Digital basics")).to_be_visible()

    page.goto("/manage/courses/digital-basics/source/")
    page.get_by_role("link", name="01-first-lesson.md").click()
    text = page.get_by_label("The file")
    mine = text.input_value().replace("Write the lesson here.", "My opening paragraph.")
    with app.app_context():  # another editor saves the same lesson first
        drafts.save_text("digital-basics", "01-first-module/01-first-lesson.md", "---\nid: digital-basics-l1\n"
                         "title: First lesson\n---\n\nTheir opening paragraph.\n", 0, author_id=None, now=utcnow())
        db.session.commit()
    text.fill(mine)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_role("heading", name="Someone else saved this draft")).to_be_visible()
    expect(page.get_by_text("Their opening paragraph.").first).to_be_visible()
    expect(page.get_by_label(re.compile("Your text"))).to_have_value(re.compile("My opening paragraph."))
