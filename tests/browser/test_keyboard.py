"""Keyboard only: tabbing through a quiz and the partner's page for issuing certificates reaches every
control in the order they are read, and each control shows where the focus is (WCAG 2.4.3, 2.4.7).

Focus order: the controls Tab reaches inside <main> are exactly the visible focusable ones in the
order of the page (no positive tabindex, nothing skipped), and the focus never jumps back up the
page except into a column to the right. Visible focus: while focused, a control (or, for the NHS
radios and checkboxes whose inputs are hidden, the box drawn before its label) looks different from
when it is not focused: its outline, box shadow, background, colour or underline changes.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.accounts.services import create_user
from lms.catalog.models import Course, CourseStaff, Lesson, Module
from lms.clock import utcnow
from lms.credentials.models import PartnerSettings
from lms.extensions import db
from lms.learning import services
from lms.learning.models import LessonProgress
from tests.browser.test_learning_journey import PASSWORD, log_in

COURSE_KEY = "innovation-in-practice"

#: How the test names a control: its id, else a button's or link's words, else its name.
NAME_JS = """(el) => el.id || (['A', 'BUTTON', 'SUMMARY'].includes(el.tagName)
                               ? el.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40) : el.name)"""

#: What a focused control is, where it is, and how it looks; for a hidden radio or checkbox input, the
#: look is that of the box its label draws.
LOOK = """(el) => {
  const NAME = NAME_JS;
  const r = el.getBoundingClientRect();
  const label = (el.type === 'radio' || el.type === 'checkbox') && el.labels && el.labels[0];
  const styled = label ? getComputedStyle(label, '::before') : getComputedStyle(el);
  return {
    id: NAME(el),
    tag: el.tagName.toLowerCase(),
    top: r.top + window.scrollY, left: r.left + window.scrollX, right: r.right + window.scrollX,
    look: [styled.outlineStyle, styled.outlineWidth, styled.outlineColor, styled.boxShadow,
           styled.backgroundColor, styled.color, styled.textDecorationLine, styled.borderColor].join('|'),
  };
}""".replace("NAME_JS", NAME_JS)

#: Visible, focusable controls inside <main>, in the order of the page.
FOCUSABLE = """() => { const NAME = NAME_JS; return [...document.querySelectorAll(
    'main a[href], main button, main input, main select, main textarea, main summary, main [tabindex]')]
  .filter(el => !el.disabled && el.type !== 'hidden' && el.tabIndex >= 0 && !el.closest('[hidden]')
          // inside a closed <details> only its summary can take focus
          && !(el.closest('details:not([open])') && !(el.tagName === 'SUMMARY'
                                                      && el.parentElement === el.closest('details:not([open])')))
          && (el.getClientRects().length > 0
              || ((el.type === 'radio' || el.type === 'checkbox') && el.labels && el.labels.length)))
  .filter((el, i, all) => !(el.type === 'radio' && all.slice(0, i).some(o => o.type === 'radio' && o.name === el.name)))
  .map(NAME); }""".replace("NAME_JS", NAME_JS)


def seed(app) -> tuple[str, str]:
    """A learner part-way through the course, and a partner with one learner awaiting a certificate.
    Returns the address of a lesson with questions and of the partner's page for the course."""
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.key == COURSE_KEY))
        learner = create_user(email="keys.learner@example.nhs.uk", full_name="Kim Keys", password=PASSWORD,
                              organisation_id="cnwl", professional_group="nurse", verified=True)
        done = create_user(email="keys.done@example.nhs.uk", full_name="Dana Done", password=PASSWORD,
                           organisation_id="cnwl", professional_group="nurse", verified=True)
        partner = create_user(email="keys.partner@example.ac.uk", full_name="Pat Partner", password=PASSWORD,
                              role="partner", organisation_id="imperial-college-london")
        db.session.add(CourseStaff(course_id=course.id, user_id=partner.id, role="partner"))
        if db.session.get(PartnerSettings, "imperial-college-london") is None:
            db.session.add(PartnerSettings(organisation_id="imperial-college-london", signatory_name="Dr Keys",
                                           signatory_title="Director of Continuing Professional Development"))
        start = utcnow() - timedelta(days=2)
        services.enrol(learner, course, "postgraduate", start)
        finished = services.enrol(done, course, "junior", start)
        lessons = db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)
                                     .order_by(Lesson.module_id, Lesson.position)).all()
        for lesson in lessons:
            if "junior" in lesson.tracks:
                db.session.add(LessonProgress(enrolment_id=finished.id, lesson_id=lesson.id, completed_at=start))
        db.session.flush()
        services.update_progress(finished, start + timedelta(minutes=10))
        assert finished.completed_at is not None
        db.session.commit()
        quiz = next(les for les in lessons if services.questions_for(les, "postgraduate"))
        module = db.session.get(Module, quiz.module_id)
        return (f"/courses/{course.slug}/{module.key}/{quiz.key}/",
                f"/manage/certificates/courses/{course.slug}")


def tab_through_main(page) -> list[dict]:
    """Press Tab from the top of the page until the focus has been through <main> and left it."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    seen, entered = [], False
    for _ in range(300):
        page.keyboard.press("Tab")
        inside = page.evaluate("() => !!document.activeElement.closest('main')")
        if inside:
            entered = True
            focused = page.evaluate_handle("() => document.activeElement")
            seen.append({**page.evaluate(LOOK, focused), "handle": focused})
        elif entered:
            break
    assert seen, "Tab never reached the main content"
    return seen


def check_page(page, url: str) -> list[str]:
    page.goto(url)
    expected = page.evaluate(FOCUSABLE)
    visits = tab_through_main(page)
    problems = []
    order = [v["id"] for v in visits]
    if order != expected:
        problems.append(f"{url}: Tab order {order} is not the page's order {expected}")
    for before, after in zip(visits, visits[1:], strict=False):
        if after["top"] < before["top"] - 4 and after["left"] < before["right"]:
            problems.append(f"{url}: focus goes back up from {before['id']} to {after['id']}")
    for visit in visits:
        focused_look = visit["look"]
        page.evaluate("(el) => el.blur()", visit["handle"])
        resting_look = page.evaluate(LOOK, visit["handle"])["look"]
        if focused_look == resting_look:
            problems.append(f"{url}: no visible focus on {visit['tag']} {visit['id']}")
    return problems


def test_quiz_and_certificate_issuing_by_keyboard(browser, live_server):
    quiz_url, issue_url = seed(live_server.app)
    problems = []
    for email, url, must_reach in [("keys.learner@example.nhs.uk", quiz_url, "Submit answers"),
                                   ("keys.partner@example.ac.uk", issue_url, "Issue to selected")]:
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        log_in(page, email)
        problems += check_page(page, url)
        if must_reach not in page.evaluate(FOCUSABLE):
            problems.append(f"{url}: {must_reach} is not a control in main")
        context.close()
    assert problems == [], "\n".join(problems)
