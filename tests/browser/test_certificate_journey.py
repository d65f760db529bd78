"""A junior learner finishes the shipped course; the partner approves; the QR code on the PDF
opens a page that says valid, and after the partner revokes it, revoked with the reason."""

import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.accounts.services import create_user
from lms.catalog.models import Course, CourseStaff, Lesson
from lms.clock import utcnow
from lms.credentials.models import PartnerSettings
from lms.extensions import db
from lms.learning.models import Enrolment, LessonProgress
from tests.browser.test_learning_journey import PASSWORD, answer, answers_for, log_in

FINAL = "/courses/innovation-in-practice/final-assessment/final-assessment-junior/"


def decode_qr(pdf: bytes) -> str:
    """Render the PDF's page to an image and read its QR code, as a phone camera would."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "certificate.pdf"
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(path), str(path.with_suffix(""))],
                       check=True)
        image = Image.open(path.with_suffix(".png"))
        results = zxingcpp.read_barcodes(image)
    assert results, "no QR code found on the certificate"
    return results[0].text


def seed(app) -> None:
    """A junior learner who has done everything but the final assessment, and the course's partner."""
    with app.app_context():
        learner = create_user(email="nurse@example.nhs.uk", full_name="Zoë Łukasiewicz-Nguyễn", password=PASSWORD,
                              organisation_id="cnwl", professional_group="nurse",
                              registration_body="NMC", registration_number="12A3456B", verified=True)
        partner = create_user(email="cpd@example.ac.uk", full_name="Dr Priya Shah", password=PASSWORD,
                              role="partner", organisation_id="imperial-college-london")
        course = db.session.scalar(select(Course).where(Course.key == "innovation-in-practice"))
        db.session.add(CourseStaff(course_id=course.id, user_id=partner.id, role="partner"))
        db.session.add(PartnerSettings(organisation_id="imperial-college-london", signatory_name="Dr Priya Shah",
                                       signatory_title="Director of Continuing Professional Development"))
        enrolment = Enrolment(user_id=learner.id, course_id=course.id, track="junior", last_activity_at=utcnow())
        db.session.add(enrolment)
        db.session.flush()
        for lesson in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)):
            if "junior" in lesson.tracks and lesson.key != "final-assessment-junior":
                db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id, completed_at=utcnow()))
        db.session.commit()


def test_certificate_from_completion_to_revocation(page, live_server):
    if not Path("/usr/bin/pdftoppm").exists():
        pytest.skip("pdftoppm (Debian package poppler-utils) is needed to read the QR code")
    seed(live_server.app)

    log_in(page, "nurse@example.nhs.uk")
    page.goto(FINAL)
    answer(page, answers_for(live_server.app, "final-assessment-junior", "junior", right=True), right=True)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="You passed")).to_be_visible()
    page.get_by_role("link", name="My learning").click()
    expect(page.get_by_text("waiting for approval by Imperial College London")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    log_in(page, "cpd@example.ac.uk")
    page.get_by_role("link", name="Certificates").click()
    page.get_by_role("link", name="Innovation in practice", exact=True).click()
    # Other journeys may leave learners waiting too: issue to ours alone.
    page.get_by_label(re.compile("Zoë Łukasiewicz-Nguyễn")).check()
    page.get_by_role("button", name="Issue to selected").click()
    expect(page.get_by_text("1 issued.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    log_in(page, "nurse@example.nhs.uk")
    page.get_by_role("link", name="My learning").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your certificate (PDF)").click()
    pdf = Path(download.value.path()).read_bytes()
    with page.expect_download() as download:  # issue 17: the same certificate as an Open Badges 3.0 credential
        page.get_by_role("link", name="Download it as an Open Badge").click()
    badge = Path(download.value.path()).read_text()
    verify_url = decode_qr(pdf)
    assert verify_url.startswith(live_server.url + "/verify/")

    page.goto(verify_url)
    expect(page.get_by_role("heading", name="This certificate is valid")).to_be_visible()
    expect(page.locator("#maincontent").get_by_text("Zoë Łukasiewicz-Nguyễn")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    log_in(page, "cpd@example.ac.uk")
    page.get_by_role("link", name="Certificates").click()
    page.get_by_role("link", name="Innovation in practice", exact=True).click()
    card = page.locator(".nhsuk-card", has_text="Zoë Łukasiewicz-Nguyễn")
    card.get_by_text("Revoke or reissue").click()
    card.get_by_label("Reason for revoking").fill("Completed under another learner's account")
    card.get_by_role("button", name="Revoke").click()
    page.get_by_role("button", name="Yes, revoke it").click()
    expect(page.get_by_text("is revoked.")).to_be_visible()

    page.goto(verify_url)
    expect(page.get_by_role("heading", name="This certificate has been revoked")).to_be_visible()
    expect(page.get_by_text("Completed under another learner's account")).to_be_visible()

    page.goto("/verify")
    page.get_by_label("Open Badges credential").fill(badge)
    page.get_by_role("button", name="Check credential").click()
    expect(page.get_by_role("heading", name="This certificate has been revoked")).to_be_visible()
    expect(page.get_by_text("signed by this service, but the certificate it stands for")).to_be_visible()
