"""An educator uploads a course ZIP with an error, reads the finding, uploads it fixed and watches it
publish (issue 13 part 4). axe checks every page on the way (the `page` fixture)."""

from __future__ import annotations

import io
import re
import zipfile

from playwright.sync_api import expect

from lms.accounts.services import create_user
from lms.extensions import db
from tests.browser.test_learning_journey import PASSWORD, log_in
from tests.web.publishing.course_files import write_course

EMAIL = "upload.educator@example.nhs.uk"


def zipped(folder) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()


def test_educator_uploads_a_course_fixes_its_error_and_publishes_it(page, live_server, tmp_path):
    app = live_server.app
    with app.app_context():
        create_user(email=EMAIL, full_name="Uma Loader", password=PASSWORD, role="educator", organisation_id="cnwl")
        db.session.commit()
    immediate = app.config.get("JOBS_IMMEDIATE")
    app.config["JOBS_IMMEDIATE"] = True  # another journey may have turned it off for this server
    folder = write_course(tmp_path / "content", status="draft")
    lesson = folder / "01-one" / "01-read.md"
    good = lesson.read_text()
    lesson.write_text(good.replace("First lesson.", "First lesson, see [the missing one](nowhere.md)."))
    try:
        page.set_default_timeout(15_000)
        log_in(page, EMAIL)
        page.get_by_role("link", name="Reports").first.click()
        page.get_by_role("link", name="Upload a course as a ZIP").click()
        expect(page.get_by_role("heading", name="Upload a course", exact=True)).to_be_visible()

        page.get_by_label("Course ZIP file").set_input_files(
            {"name": "tiny-course.zip", "mimeType": "application/zip", "buffer": zipped(folder)})
        page.get_by_role("button", name="Check and publish").click()
        expect(page.get_by_text("The course has 1 error")).to_be_visible()
        expect(page.get_by_text(re.compile(r"^tiny-course/01-one/01-read\.md:9: error E060: the link 'nowhere\.md'"))
               ).to_be_visible()

        page.set_viewport_size({"width": 320, "height": 640})  # WCAG 1.4.10: long paths wrap
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.set_viewport_size({"width": 1024, "height": 900})

        lesson.write_text(good)
        page.get_by_label("Course ZIP file").set_input_files(
            {"name": "tiny-course.zip", "mimeType": "application/zip", "buffer": zipped(folder)})
        page.get_by_label("What changed (optional)").fill("First version")
        page.get_by_role("button", name="Check and publish").click()
        expect(page.get_by_text("Revision 1 of tiny-course was published")).to_be_visible()
        page.get_by_role("link", name="Open the course").click()
        expect(page.get_by_role("heading", name="Tiny course")).to_be_visible()
    finally:
        app.config["JOBS_IMMEDIATE"] = immediate
