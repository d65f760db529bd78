"""An admin finds a failed job, retries it, and opens a batch job's self-refreshing status page.

axe checks every page on the way (the `page` fixture).
"""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from lms import jobs
from lms.accounts.services import create_user
from lms.extensions import db
from lms.jobs.models import FAILED, PENDING, Job
from tests.browser.test_learning_journey import PASSWORD, log_in
from tests.jobs import tasks  # noqa: F401 - registers the test handlers


def seed(app) -> tuple[int, int]:
    with app.app_context():
        admin = create_user(email="jobs.admin@example.nhs.uk", full_name="Jo Admin", password=PASSWORD, role="admin",
                            organisation_id="cnwl")
        db.session.commit()
        app.config["JOBS_MAX_ATTEMPTS"] = 1
        jobs.enqueue("tests.always_fails", "browser-broken")
        db.session.commit()
        app.config["JOBS_IMMEDIATE"] = False
        jobs.enqueue("tests.batch", "browser-batch", total=10, requested_by=admin.id)
        db.session.commit()
        batch = db.session.scalar(select(Job).where(Job.key == "browser-batch"))
        batch.progress_done, batch.progress_total = 3, 10
        db.session.commit()
        broken = db.session.scalar(select(Job.id).where(Job.key == "browser-broken"))
        return broken, batch.id


def test_admin_retries_a_failed_job_and_watches_a_batch(page, live_server):
    app = live_server.app
    broken, batch = seed(app)
    try:
        page.set_default_timeout(10_000)
        log_in(page, "jobs.admin@example.nhs.uk")
        page.get_by_role("link", name="Jobs").first.click()
        expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
        page.get_by_label("Status").select_option(label="Failed")
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"status=failed"))
        row = page.get_by_role("row").filter(has_text=f"{broken}: tests.always_fails")
        expect(row).to_contain_text("the drawing service is down")
        row.get_by_role("button", name=f"Retry job {broken}").click()
        expect(page.get_by_text(f"Job {broken} (tests.always_fails) will run again shortly.")).to_be_visible()
        with app.app_context():
            assert db.session.get(Job, broken).status == PENDING

        page.set_viewport_size({"width": 320, "height": 640})  # WCAG 1.4.10: no sideways scrolling of the page
        page.goto("/admin/jobs")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.goto(f"/jobs/{batch}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        expect(page.get_by_role("heading", name=f"Job {batch}: tests.batch")).to_be_visible()
        expect(page.get_by_text("3 of 10 done")).to_be_visible()
        page.get_by_role("link", name="Stop updating this page").click()
        expect(page.get_by_role("link", name="Check again")).to_be_visible()
    finally:
        app.config.update(JOBS_MAX_ATTEMPTS=8, JOBS_IMMEDIATE=True)
        with app.app_context():
            assert db.session.get(Job, broken).status in (PENDING, FAILED)
