"""An educator opens their course's progress, filters by track, opens a learner and downloads the CSV.

axe checks every page on the way (the `page` fixture).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from playwright.sync_api import expect

from lms.accounts.services import create_user
from lms.extensions import db
from tests.browser.test_learning_journey import PASSWORD, log_in
from tests.web.reports.factories import START, WRONG_1, add_staff, answer, complete_course, enrol, make_course, read


def seed(app) -> int:
    """A course with an educator and three learners on different tracks; returns the junior's enrolment id."""
    with app.app_context():
        made = make_course(slug="reports-journey", title="Spreading innovation")
        educator = create_user(email="reports.educator@example.nhs.uk", full_name="Sam Educator", password=PASSWORD,
                               role="educator", organisation_id="imperial-college-healthcare")
        add_staff(made.course, educator)
        people = [("Ada Junior", "junior", "cnwl"), ("Ben Postgraduate", "postgraduate", "clch"),
                  ("Cy Allied", "ahp", "cnwl")]
        enrolments = []
        for n, (name, track, org) in enumerate(people):
            learner = create_user(email=f"reports.learner{n}@example.nhs.uk", full_name=name, password=PASSWORD,
                                  organisation_id=org, professional_group="nurse", verified=True)
            enrolments.append(enrol(learner, made, track, START + timedelta(days=n)))
        complete_course(enrolments[0], made, START + timedelta(days=2))
        read(enrolments[1], made, "what", when=START + timedelta(days=3))
        answer(enrolments[1], made, "check-1", WRONG_1, START + timedelta(days=3))
        db.session.commit()
        return enrolments[0].id


def test_educator_follows_a_learners_progress_and_downloads_it(page, live_server):
    junior_id = seed(live_server.app)
    page.set_default_timeout(10_000)

    log_in(page, "reports.educator@example.nhs.uk")
    page.goto("/manage/reports")
    page.get_by_role("link", name="Progress of learners on Spreading innovation").click()
    expect(page.get_by_role("heading", name="Progress of learners")).to_be_visible()
    learners = page.get_by_role("table", name="Learners")
    expect(learners.get_by_role("row")).to_have_count(4)

    page.get_by_label("Track").select_option(label="Junior staff")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"track=junior"))
    expect(learners.get_by_role("row")).to_have_count(2)
    expect(learners.get_by_role("link", name="Ada Junior")).to_be_visible()
    expect(page.get_by_text("1 learner matches these filters")).to_be_visible()

    learners.get_by_role("link", name="Ada Junior").click()
    expect(page).to_have_url(re.compile(rf"/learners/{junior_id}$"))
    expect(page.get_by_role("heading", name="Ada Junior")).to_be_visible()
    expect(page.get_by_text("Awaiting approval")).to_be_visible()
    page.get_by_role("link", name="Progress of learners").first.click()

    page.get_by_label("Track").select_option(label="Junior staff")
    page.get_by_role("button", name="Apply filters").click()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download every learner that matches")).click()
    assert re.fullmatch(r"reports-journey-progress-\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename)
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert [(r["name"], r["track"], r["lessons_done"], r["certificate_status"]) for r in rows] == [
        ("Ada Junior", "Junior staff", "5", "Awaiting approval")]
