"""The course source editor at /manage/courses/<course>/source/.

Educators of the course and admins edit; the course's partners may read (tree, files, preview,
history, diffs); everyone else gets 403 (no staff role at all) or 404 (not this course's staff).
"""

from __future__ import annotations

import mimetypes
import uuid

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from courses.model import TRACKS
from lms import jobs
from lms.accounts.models import User
from lms.accounts.roles import ADMIN, EDUCATOR, PARTNER
from lms.authoring import drafts, preview
from lms.authoring import tasks as _tasks  # noqa: F401 - registers the publishing job
from lms.catalog.models import Course
from lms.catalog.queries import staff_role
from lms.catalog.tracks import track_label
from lms.catalog.views import INLINE_TYPES
from lms.clock import utcnow
from lms.extensions import db
from lms.jobs.models import DONE, FAILED, Job
from lms.publishing.sources import find_revision

bp = Blueprint("editor", __name__, url_prefix="/manage/courses")
bp.add_app_template_global(track_label, "track_label")

WRITERS = ("admin", EDUCATOR)
#: a course with more files than this is published as a job (the shipped course has about 45)
PUBLISH_IN_REQUEST_MAX_FILES = 400


def course_or_abort(slug: str, *, write: bool = False) -> Course:
    """The course at this URL if the current person may read (or, with ``write``, change) its source."""
    if not current_user.has_role(ADMIN, EDUCATOR, PARTNER):
        abort(403)
    course = db.session.query(Course).filter_by(slug=slug).one_or_none()
    if course is None:
        abort(404)
    role = staff_role(current_user, course)
    if role is None:
        abort(404)
    if write and role not in WRITERS:
        abort(403)
    return course


def working_or_404(course: Course) -> drafts.Working:
    working = drafts.working_copy(course.key)
    if working is None:
        abort(404)
    return working


def may_edit(course: Course) -> bool:
    return staff_role(current_user, course) in WRITERS


def _version() -> int:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        abort(400)


def _show_index(course: Course, working: drafts.Working, error: str | None = None, status: int = 200,
                refused: tuple = ()):
    result = drafts.compile_working(working)
    top, modules = drafts.tree(working.source)
    return render_template(
        "authoring/index.html", course=course, working=working, top=top, modules=modules,
        findings=preview.shown_findings(result, working.source), error=error, refused=refused,
        editable=may_edit(course), changed=working.changed()), status


@bp.get("/<slug>/source/")
@login_required
def index(slug: str):
    course = course_or_abort(slug)
    if drafts.working_copy(course.key) is None:  # published before sources were kept
        return render_template("authoring/no_source.html", course=course)
    return _show_index(course, working_or_404(course))


@bp.get("/<slug>/source/edit/<path:path>")
@login_required
def edit(slug: str, path: str):
    course = course_or_abort(slug)
    working = working_or_404(course)
    if not working.is_file(path):
        abort(404)
    text = working.text(path)
    if text is None or not path.endswith((".md", ".txt")):  # an image or other file: shown, moved, deleted
        return render_template("authoring/file.html", course=course, working=working, path=path,
                               editable=may_edit(course), changed=path in working.changed(),
                               is_image=(mimetypes.guess_type(path)[0] or "") in INLINE_TYPES)
    return _show_edit(course, working, path, text)


def _show_edit(course, working, path, text, error=None, status=200):
    digest = working.source.digest(path)  # of the file as saved, before the text shown is put in
    result = drafts.compile_working(working.source.with_unsaved(path, text.encode("utf-8")))
    findings = preview.shown_findings(result, working.source)
    is_lesson = path in preview.lesson_paths(working.source)
    return render_template(
        "authoring/edit.html", course=course, working=working, path=path, text=text, error=error,
        digest=digest,
        lines=text.split("\n"), findings=[f for f in findings if f.path == path],
        others=[f for f in findings if f.path != path and f.is_error], is_lesson=is_lesson,
        editable=may_edit(course), tracks=TRACKS, changed=path in working.changed(),
        image_max_mb=drafts.IMAGE_MAX_BYTES // 1024 // 1024), status


@bp.post("/<slug>/source/edit/<path:path>")
@login_required
def save(slug: str, path: str):
    course = course_or_abort(slug, write=True)
    text = request.form.get("text", "")
    try:
        drafts.save_text(course.key, path, text, _version(), author_id=current_user.id, now=utcnow(),
                         seen_digest=request.form.get("digest", ""))
    except drafts.DraftConflict as conflict:
        db.session.rollback()
        mine = text.replace("\r\n", "\n")
        theirs = conflict.theirs or ""
        return render_template(
            "authoring/conflict.html", course=course, path=path, mine=mine, theirs=theirs,
            version=conflict.version,
            diff=preview.diff({path: theirs}, {path: mine}, {}, {})), 409
    except drafts.EditError as error:
        db.session.rollback()
        return _show_edit(course, working_or_404(course), path, text, str(error), 400)
    db.session.commit()
    flash("Draft saved. Learners see it only when you publish.", "success")
    return redirect(url_for("editor.edit", slug=slug, path=path))


@bp.route("/<slug>/source/preview/<path:path>", methods=["GET", "POST"])
@login_required
def lesson_preview(slug: str, path: str):
    """GET: the saved draft's lesson for one track. POST (the editor's script, as typing pauses):
    the text area's unsaved text, as a fragment; it writes nothing."""
    course = course_or_abort(slug)
    working = working_or_404(course)
    if working.source.kind(path) != "file":
        abort(404)
    source = working.source
    if request.method == "POST":
        source = source.with_unsaved(path, request.form.get("text", "").replace("\r\n", "\n").encode("utf-8"))
    shown = preview.preview(source, path)
    if shown is None:
        abort(404)
    track = request.values.get("track") or (shown.tracks[0] if shown.tracks else TRACKS[0])
    if track not in TRACKS:
        abort(404)
    template = "authoring/_preview.html" if request.method == "POST" else "authoring/preview.html"
    return render_template(template, course=course, path=path, shown=shown, track=track,
                           findings=[f for f in shown.findings if f.path == path])


@bp.get("/<slug>/source/raw/<path:path>")
@login_required
def raw(slug: str, path: str):
    """A working copy's image, so the preview shows images not yet published (staff only, never cached)."""
    course = course_or_abort(slug)
    working = working_or_404(course)
    media_type = mimetypes.guess_type(path)[0] or ""
    if working.source.kind(path) != "file" or media_type not in INLINE_TYPES or not media_type.startswith("image/"):
        abort(404)
    response = Response(working.source.read(path), mimetype=media_type)
    response.headers["Cache-Control"] = "private, no-store"
    # An SVG opened on its own must not run scripts, as for published assets.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


@bp.post("/<slug>/source/lessons")
@login_required
def add_lesson(slug: str):
    course = course_or_abort(slug, write=True)
    form = request.form
    return _change(course, lambda version, **who: drafts.add_lesson(
        course.key, version, form.get("module", ""), form.get("name", ""), form.get("title", ""), **who))


@bp.post("/<slug>/source/modules")
@login_required
def add_module(slug: str):
    course = course_or_abort(slug, write=True)
    form = request.form
    return _change(course, lambda version, **who: drafts.add_module(
        course.key, version, form.get("name", ""), form.get("title", ""), **who))


@bp.post("/<slug>/source/move")
@login_required
def move(slug: str):
    course = course_or_abort(slug, write=True)
    form = request.form
    return _change(course, lambda version, **who: drafts.move(
        course.key, version, form.get("path", ""), form.get("new_path", ""), **who))


@bp.post("/<slug>/source/delete")
@login_required
def delete(slug: str):
    course = course_or_abort(slug, write=True)
    return _change(course, lambda version, **who: drafts.delete(course.key, version, request.form.get("path", ""),
                                                                **who))


@bp.post("/<slug>/source/images")
@login_required
def add_image(slug: str):
    course = course_or_abort(slug, write=True)
    upload = request.files.get("image")
    lesson = request.form.get("lesson", "")
    if upload is None or not upload.filename:
        return _show_edit(course, working_or_404(course), lesson, working_or_404(course).text(lesson) or "",
                          "choose an image file", 400)
    data = upload.stream.read(drafts.IMAGE_MAX_BYTES + 1)  # one byte more is enough to refuse
    upload.close()
    try:
        drafts.add_image(course.key, _version(), lesson, upload.filename, data, request.form.get("alt", ""),
                         author_id=current_user.id, now=utcnow())
    except (drafts.EditError, drafts.DraftConflict) as error:
        db.session.rollback()
        working = working_or_404(course)
        if working.text(lesson) is None:
            abort(404)
        message = str(error) if isinstance(error, drafts.EditError) else \
            "someone saved the draft since you opened it; the image was not added, try again"
        return _show_edit(course, working, lesson, working.text(lesson), message, 400)
    db.session.commit()
    flash("Image added at the end of the lesson.", "success")
    return redirect(url_for("editor.edit", slug=slug, path=lesson))


def _change(course: Course, change):
    """Run one change to the draft; on success back to the tree, else the tree with the reason."""
    try:
        result = change(_version(), author_id=current_user.id, now=utcnow())
    except drafts.EditError as error:
        db.session.rollback()
        return _show_index(course, working_or_404(course), str(error), 400)
    except drafts.DraftConflict:
        db.session.rollback()
        return _show_index(course, working_or_404(course), "someone saved the draft since you opened this "
                           "page; nothing was changed. Look at the tree again and retry", 409)
    db.session.commit()
    if isinstance(result, str) and drafts.working_copy(course.key).source.kind(result) == "file":
        return redirect(url_for("editor.edit", slug=course.slug, path=result))
    return redirect(url_for("editor.index", slug=course.slug))


@bp.post("/<slug>/source/discard")
@login_required
def discard(slug: str):
    course = course_or_abort(slug, write=True)
    drafts.discard_draft(course.key, author_id=current_user.id, now=utcnow())
    db.session.commit()
    flash("Draft discarded.", "success")
    return redirect(url_for("editor.index", slug=slug))


@bp.post("/<slug>/source/publish")
@login_required
def publish(slug: str):
    """In the request for a course of usual size (the shipped course: about half a second, see
    bench/editor_preview.py); a larger one as a job with a status page."""
    course = course_or_abort(slug, write=True)
    working = working_or_404(course)
    if len(working.source.files) > PUBLISH_IN_REQUEST_MAX_FILES:
        key = f"editor.publish:{course.key}:{uuid.uuid4().hex}"
        jobs.enqueue("editor.publish", key, course_key=course.key, version=_version(),
                     message=request.form.get("message", ""), requested_by=current_user.id)
        db.session.flush()
        job_id = db.session.scalar(select(Job.id).where(Job.key == key))
        db.session.commit()
        return redirect(url_for("editor.publishing", slug=slug, job_id=job_id))
    try:
        summary, revision = drafts.publish_draft(course.key, _version(), request.form.get("message", ""),
                                                 author_id=current_user.id, now=utcnow())
    except (drafts.PublishRefused, drafts.DraftConflict, drafts.EditError) as error:
        db.session.rollback()
        message = str(error) if not isinstance(error, drafts.DraftConflict) else \
            "someone saved the draft since you opened this page; check it and publish again"
        return _show_index(course, working_or_404(course), f"Not published: {message}", 400,
                           getattr(error, "findings", ()))
    db.session.commit()
    number = f" as revision {revision.number}" if revision else ""
    flash(f"Published{number}: {summary.created} created, {summary.updated} updated, "
          f"{summary.retired} retired, {summary.removed} removed.", "success")
    return redirect(url_for("editor.history", slug=db.session.get(Course, course.id).slug))


@bp.get("/<slug>/source/publishing/<int:job_id>")
@login_required
def publishing(slug: str, job_id: int):
    """How a publishing job is getting on; refreshes itself (a Refresh header) until it has finished."""
    course = course_or_abort(slug, write=True)
    job = db.session.get(Job, job_id)
    if job is None or job.task != "editor.publish" or job.payload.get("course_key") != course.key:
        abort(404)
    finished = job.status in (DONE, FAILED)
    refreshing = not finished and request.args.get("refresh") != "off"
    response = make_response(render_template("authoring/publishing.html", course=course, job=job,
                                             result=job.result or {}, finished=finished, refreshing=refreshing))
    if refreshing:
        response.headers["Refresh"] = "3"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<slug>/source/history")
@login_required
def history(slug: str):
    course = course_or_abort(slug)
    revisions = drafts.history(course.key)
    authors = dict(db.session.execute(select(User.id, User.full_name).where(
        User.id.in_({r.author_id for r in revisions if r.author_id}))).all())
    return render_template("authoring/history.html", course=course, revisions=revisions, authors=authors,
                           editable=may_edit(course))


@bp.post("/<slug>/source/history/<int:number>/rollback")
@login_required
def rollback(slug: str, number: int):
    course = course_or_abort(slug, write=True)
    try:
        revision = drafts.rollback(course.key, number, author_id=current_user.id, now=utcnow())
    except (drafts.PublishRefused, drafts.EditError) as error:
        db.session.rollback()
        flash(f"Not rolled back: {error}", "error")
        return redirect(url_for("editor.history", slug=slug))
    db.session.commit()
    flash(f"Revision {number} published again as revision {revision.number}." if revision
          else f"Revision {number} is what is published already.", "success")
    return redirect(url_for("editor.history", slug=db.session.get(Course, course.id).slug))


@bp.get("/<slug>/source/diff")
@login_required
def diff(slug: str):
    """Between two revisions (?from=1&to=2), or from a revision to the draft (to=draft)."""
    course = course_or_abort(slug)
    working = working_or_404(course)
    old_number = request.args.get("from", type=int)
    to = request.args.get("to", "draft")
    old = find_revision(course.key, old_number) if old_number else working.revision
    if old is None:
        abort(404)
    if to == "draft":
        new_files, new_label = preview.file_texts(working.source), "the draft"
    else:
        new = find_revision(course.key, int(to)) if to.isdigit() else None
        if new is None:
            abort(404)
        new_files, new_label = preview.file_texts(new), f"revision {new.number}"
    old_files = preview.file_texts(old)
    changes = preview.diff(preview.texts(old_files), preview.texts(new_files), old_files, new_files)
    return render_template("authoring/diff.html", course=course, changes=changes, old_label=f"revision {old.number}",
                           new_label=new_label, revisions=drafts.history(course.key), old=old.number, to=to)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_course():
    """Admins start a course (a draft nobody learns from yet), then assign its educators."""
    if not current_user.has_role(ADMIN):
        abort(403)
    error, values = None, {"key": "", "title": "", "tracks": list(TRACKS)}
    if request.method == "POST":
        values = {"key": request.form.get("key", ""), "title": request.form.get("title", ""),
                  "tracks": [t for t in request.form.getlist("tracks") if t in TRACKS]}
        try:
            drafts.create_course(values["key"], values["title"], values["tracks"],
                                 author_id=current_user.id, now=utcnow())
        except drafts.EditError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash("Course created as a draft. Assign its educators, then write it in the editor.", "success")
            course = db.session.query(Course).filter_by(key=values["key"].strip().lower()).one()
            return redirect(url_for("admin.course_staff_page", slug=course.slug))
    return render_template("authoring/new_course.html", error=error, values=values, tracks=TRACKS), \
        400 if error else 200
