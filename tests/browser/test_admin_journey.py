"""An admin manages a person, course staff, an organisation and reads the audit trail; an educator enrols
a cohort from a CSV (a file with problems first, then a good one). axe checks every page on the way."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from lms.accounts.services import create_user
from lms.extensions import db
from tests.browser.test_learning_journey import PASSWORD, log_in


def seed(app) -> None:
    with app.app_context():
        create_user(email="journey.admin@example.nhs.uk", full_name="Ada Admin", password=PASSWORD, role="admin",
                    organisation_id="nwl-icb")
        create_user(email="journey.educator@example.nhs.uk", full_name="Eve Educator", password=PASSWORD,
                    role="learner", organisation_id="cnwl")
        db.session.commit()


def test_admin_and_cohort_journey(page, live_server, tmp_path):
    seed(live_server.app)
    page.set_default_timeout(10_000)
    log_in(page, "journey.admin@example.nhs.uk")
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="People").first.click()
    page.get_by_label("Name or email address").fill("eve")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Eve Educator").click()
    page.get_by_label("Role").select_option(label="Educator")
    page.get_by_role("button", name="Change role").click()
    expect(page.get_by_text("Eve Educator is now educator")).to_be_visible()

    page.goto("/admin/courses")
    page.get_by_role("link", name="Innovation in practice", exact=True).click()
    page.get_by_label("Email address of their account").fill("journey.educator@example.nhs.uk")
    page.get_by_label("Role on this course").select_option("educator")
    page.get_by_role("button", name="Add to this course").click()
    expect(page.get_by_role("table", name="Educators and university partners")).to_contain_text("Eve Educator")

    page.goto("/admin/organisations")
    page.get_by_role("button", name="Add an organisation").click()
    page.get_by_label("Name").fill("Royal Brompton Hospital")
    page.get_by_role("button", name="Save organisation").click()
    expect(page.get_by_role("link", name="Royal Brompton Hospital")).to_be_visible()

    page.goto("/admin/audit")
    page.get_by_label("Action").select_option("user.role_changed")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"action=user.role_changed"))
    expect(page.get_by_text("1 entry matches these filters")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    log_in(page, "journey.educator@example.nhs.uk")
    page.goto("/manage/courses/innovation-in-practice/enrol")
    bad = tmp_path / "bad.csv"
    bad.write_text("email,name,track\nnot-an-email,A,junior\nb@example.nhs.uk,B,surgery\n", encoding="utf-8")
    page.get_by_label("Upload a CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("Line 2:")).to_be_visible()
    expect(page.get_by_text("Line 3:")).to_be_visible()
    page.get_by_role("link", name="Upload a corrected file").click()
    good = tmp_path / "good.csv"
    good.write_text("email,name,track,organisation\nnew.one@example.nhs.uk,New One,junior,cnwl\n", encoding="utf-8")
    page.get_by_label("Upload a CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("table", name="What will happen, line by line")).to_contain_text("new.one@example.nhs.uk")
    page.get_by_role("button", name="Confirm and enrol 1 learner").click()
    expect(page.get_by_text("1 learner enrolled")).to_be_visible()
