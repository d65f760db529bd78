"""A student opens the course from their university's VLE (the test LTI platform), inside its iframe,
passes the final assessment, and the VLE's grade book receives the score."""

from __future__ import annotations

from playwright.sync_api import expect

from lms.clock import utcnow
from lms.extensions import db
from lms.lti import services
from tests.browser.test_learning_journey import answer, answers_for
from tests.lti.platform import LaunchSpec, Platform


def test_a_student_launches_from_the_vle_passes_the_final_and_the_vle_gets_the_score(browser, live_server, axe):
    app = live_server.app
    # Without bypass_csp (unlike the other journeys): the browser itself enforces our frame-ancestors.
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.on("load", axe.check_on_load)  # the VLE's own page; the tool's framed pages are checked elsewhere
    platform = Platform().start()
    platform.tool_launch_urls = [live_server.url + "/lti/launch"]
    platform.tool_login_url = live_server.url + "/lti/login"
    platform.tool_jwks_url = live_server.url + "/lti/jwks.json"
    immediate = app.config.get("JOBS_IMMEDIATE")
    app.config["JOBS_IMMEDIATE"] = True
    try:
        with app.app_context():
            services.save_platform(None, {**platform.registration(), "name": "Browser VLE", "default_track": None,
                                          "organisation_id": "imperial-college-london", "active": True},
                                   actor_id=None, now=utcnow())
            db.session.commit()
        hint = platform.prepare(LaunchSpec(
            sub="student-42", email="student42@example.ac.uk", name="Sam Student",
            custom={"course": "innovation-in-practice", "track": "junior", "module": "final-assessment"}))
        page.set_default_timeout(15_000)
        page.goto(f"{platform.base_url}/modules/module-101/{hint}")
        frame = page.frame_locator("iframe[title='Course']")
        expect(frame.get_by_role("heading", level=1, name="Innovation in practice")).to_be_visible()

        frame.get_by_role("link", name="Final assessment: junior staff track").click()
        specs = answers_for(app, "final-assessment-junior", "junior", right=True)
        answer(frame, specs, right=True)
        frame.get_by_role("button", name="Submit answers").click()
        expect(frame.get_by_role("heading", name="You passed")).to_be_visible()

        scores = platform.scores_for("student-42")
        assert scores, "the VLE received no score"
        assert scores[-1]["score"]["scoreGiven"] == 100 and scores[-1]["score"]["scoreMaximum"] == 100
        assert scores[-1]["lineitem"] == "module-101/rl-1"
    finally:
        context.close()
        app.config["JOBS_IMMEDIATE"] = immediate
        platform.stop()
