"""Upload a course as a ZIP at /manage/courses/upload (educators and administrators).

The page lists every finding as `flask content check` prints it; nothing is published while there is
an error. Publishing records the files as the course's next source revision and runs as a job, whose
page the uploader is sent to.
"""

from __future__ import annotations

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import Length, Optional

from courses.source import ZIP_MAX_BYTES, ZIP_MAX_FILES, ZIP_MAX_RATIO
from lms.accounts.access import role_required
from lms.accounts.roles import ADMIN, EDUCATOR
from lms.authoring import uploads
from lms.clock import utcnow
from lms.extensions import db
from lms.jobs.models import DONE, FAILED

bp = Blueprint("upload", __name__, url_prefix="/manage/courses")

#: The largest request the upload page reads: an archive is never much larger than what it unpacks to.
UPLOAD_MAX_BYTES = ZIP_MAX_BYTES + 1024 * 1024
REFRESH_SECONDS = 3  # the publishing page reloads itself this often until the job is finished
LIMITS = {"files": ZIP_MAX_FILES, "megabytes": ZIP_MAX_BYTES // 1024 // 1024, "ratio": ZIP_MAX_RATIO}


class UploadForm(FlaskForm):
    archive = FileField("Course ZIP file", validators=[FileRequired(message="Choose a ZIP file to upload")],
                        description="The course folder (with course.md, its module folders and images) as a "
                                    "ZIP file.")
    message = StringField("What changed (optional)", validators=[Optional(), Length(max=500)],
                          description="Kept in the course's history with your name, e.g. “Updated the "
                                      "sepsis lesson to the 2026 guidance”.")


@bp.url_value_preprocessor
def _allow_a_course_archive(endpoint: str | None, values: dict | None) -> None:
    # runs before every before_request (CSRF reads the form), so the larger limit applies to this page only
    if endpoint == "upload.upload" and request.method == "POST":
        request.max_content_length = UPLOAD_MAX_BYTES


def _page(form: UploadForm, checked: uploads.CheckedUpload | None = None, status: int = 200):
    return render_template("authoring/upload.html", form=form, checked=checked, limits=LIMITS), status


@bp.get("/upload")
@role_required(EDUCATOR, ADMIN)
def upload_page():
    return _page(UploadForm())


@bp.post("/upload")
@role_required(EDUCATOR, ADMIN)
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    storage = form.archive.data
    filename = storage.filename or "course.zip"
    try:
        upload = uploads.upload_course(storage.read(), filename, current_user, message=form.message.data or "",
                                       publish=request.form.get("action") == "publish", now=utcnow())
    except uploads.UploadRefused as refusal:
        form.archive.errors.append(str(refusal))
        return _page(form, status=422)
    if upload.job_key is None:
        return _page(form, upload.checked, status=422 if upload.checked.course is None else 200)
    db.session.commit()
    return redirect(url_for("upload.publishing", job_id=uploads.find_job(upload.job_key).id))


@bp.errorhandler(413)
def too_large(error):
    form = UploadForm(formdata=None)
    form.archive.errors = [f"The file is larger than {LIMITS['megabytes']} MB; make the images smaller or "
                           "leave out files learners do not see"]
    return _page(form, status=413)


@bp.get("/upload/publishing/<int:job_id>")
@role_required(EDUCATOR, ADMIN)
def publishing(job_id: int):
    """How publishing an upload is going, for its uploader and administrators; others 404."""
    job = uploads.job_for(job_id, current_user) or abort(404)
    finished = job.status in (DONE, FAILED)
    # WCAG 2.2.1: the updates can be stopped (?refresh=off); a Refresh header, not a meta tag or script
    refreshing = not finished and request.args.get("refresh") != "off"
    response = make_response(render_template("authoring/upload_status.html", job=job, finished=finished,
                                             result=job.result or {}, refreshing=refreshing,
                                             refresh_seconds=REFRESH_SECONDS))
    if refreshing:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response
