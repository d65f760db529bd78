"""Learners submit assignments; educators mark them."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from lms.accounts import kept_forms
from lms.assignments import queries, services
from lms.assignments.forms import MarkForm, SubmissionForm
from lms.assignments.models import AGREED, FIRST, MODERATED, RELEASED, SECOND, SECOND_MARKING, Submission
from lms.catalog.views import course_or_404
from lms.clock import utcnow
from lms.extensions import db
from lms.forms import ActionForm
from lms.learning.views import LessonView, lesson_url, open_lesson, render_lesson

bp = Blueprint("assignments", __name__)
# An answer posted after the session ended is put back into the lesson page after sign-in.
kept_forms.refilled_by("assignments.save")


@bp.url_value_preprocessor
def _allow_large_upload(endpoint, values):
    # Runs before the CSRF check reads the form, so a 10 MB file is not refused by the app-wide 5 MB limit.
    if endpoint == "assignments.save":
        request.max_content_length = services.MAX_FILE_BYTES + 1024 * 1024


# --- the learner's side: on the lesson page ----------------------------------------------------


@bp.app_context_processor
def _lesson_panel():
    return {"assignment_panel": assignment_panel}


def assignment_panel(view: LessonView) -> dict:
    """What the lesson page shows of an assignment: brief extras, rubric, the learner's draft, results."""
    spec = services.spec_of(view.lesson)
    panel = {"spec": spec, "errors": getattr(g, "assignment_errors", {}), "attempts": [], "current": None,
             "file": None, "results": [], "may_resubmit": False, "form": None}
    if view.enrolment is None:
        return panel
    attempts = queries.attempts_of(view.enrolment, view.lesson)
    current = attempts[-1] if attempts else None
    kept = kept_forms.take("assignments.save")  # the lesson view commits after rendering
    kept_text = (kept or {}).get("text", [""])[0]
    form = SubmissionForm(formdata=None, text=kept_text or (current.text if current else ""))
    for field, message in panel["errors"].items():
        if field in form:
            form[field].errors = [message]
    panel.update(attempts=attempts, current=current, form=form, may_resubmit=services.may_resubmit(current),
                 file=queries.file_of(current) if current else None,
                 results=[(s, services.deciding_mark(s)) for s in attempts if s.status == RELEASED])
    return panel


def _assignment_lesson(slug: str, module_key: str, lesson_key: str) -> LessonView:
    view = open_lesson(slug, module_key, lesson_key)
    if view.lesson.kind != "assignment":
        abort(404)
    if view.enrolment is None:
        abort(403)  # staff preview the brief; only learners submit
    return view


def _show_errors(view: LessonView, errors: dict[str, str]):
    g.assignment_errors = errors
    return render_lesson(view, status=400)


@bp.post("/courses/<slug>/<module_key>/<lesson_key>/submission")
def save(slug: str, module_key: str, lesson_key: str):
    view = _assignment_lesson(slug, module_key, lesson_key)
    form = SubmissionForm()
    if not form.validate():
        return _show_errors(view, {name: field.errors[0] for name, field in form._fields.items() if field.errors})
    now = utcnow()
    try:
        submission = services.save_draft(view.enrolment, view.lesson, form.text.data or "", now)
    except services.AssignmentError as error:
        db.session.rollback()
        return _show_errors(view, {"text": str(error)})
    db.session.commit()  # the typed text is kept whatever happens to the file below
    action = request.form.get("action", "save")
    upload = form.upload.data
    try:
        if action == "remove-file":
            services.remove_file(submission, now)
        elif upload is not None and upload.filename:
            services.attach_file(submission, upload.filename, upload.read(services.MAX_FILE_BYTES + 1), now)
    except services.AssignmentError as error:
        db.session.rollback()
        return _show_errors(view, {"upload": str(error)})
    db.session.commit()
    if action == "submit":
        return redirect(url_for(".confirm", slug=slug, module_key=module_key, lesson_key=lesson_key))
    words = submission.word_count
    flash(f"Your draft is saved ({words:,} word{'s' if words != 1 else ''}).", "success")
    return redirect(lesson_url(view) + "#assignment")


@bp.route("/courses/<slug>/<module_key>/<lesson_key>/submission/confirm", methods=["GET", "POST"])
def confirm(slug: str, module_key: str, lesson_key: str):
    view = _assignment_lesson(slug, module_key, lesson_key)
    submission = services.find_current(view.enrolment, view.lesson)
    if submission is None or submission.status != "draft":
        return redirect(lesson_url(view) + "#assignment")
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.submit(submission, utcnow())
        except services.AssignmentError as error:
            flash(str(error), "error")
            return redirect(lesson_url(view) + "#assignment")
        db.session.commit()
        flash("Your assignment has been submitted for marking. You will get an email when your mark is released.",
              "success")
        return redirect(lesson_url(view) + "#assignment")
    return render_template("assignments/confirm.html", v=view, submission=submission, form=form,
                           spec=services.spec_of(view.lesson), file=queries.file_of(submission))


@bp.post("/courses/<slug>/<module_key>/<lesson_key>/submission/resubmit")
def resubmit(slug: str, module_key: str, lesson_key: str):
    view = _assignment_lesson(slug, module_key, lesson_key)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.start_resubmission(view.enrolment, view.lesson, utcnow())
    except services.AssignmentError as error:
        flash(str(error), "error")
        return redirect(lesson_url(view) + "#assignment")
    db.session.commit()
    flash("Your previous answer is copied below for you to improve. Submit it when it is ready.", "success")
    return redirect(lesson_url(view) + "#assignment")


@bp.get("/assignments/submissions/<int:submission_id>/file")
@login_required
def download(submission_id: int):
    submission = db.session.get(Submission, submission_id)
    if submission is None or not queries.may_read_submission(current_user, submission):
        abort(404)  # another person's work: not even whether it exists
    stored = services.find_file(submission)
    if stored is None:
        abort(404)
    response = send_file(BytesIO(stored.data), mimetype=stored.media_type, as_attachment=True,
                         download_name=stored.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the course's markers ------------------------------------------------------------------------


def _marking_course(slug: str):
    course = course_or_404(slug)
    role = queries.marker_role(current_user, course)
    if role is None:
        abort(403)
    return course, role


@bp.get("/manage/courses/<slug>/marking")
@login_required
def queue(slug: str):
    course, role = _marking_course(slug)
    return render_template("assignments/queue.html", course=course, role=role, queue=queries.marking_queue(course),
                           sections=queries.QUEUE_SECTIONS, settings=services.marking_settings(course))


def _read_mark(spec, form) -> services.MarkInput:
    levels: dict[int, float] = {}
    for index, _ in enumerate(spec.rubric):
        value = request.form.get(f"level-{index}", "")
        try:
            levels[index] = float(value)
        except ValueError:
            continue
    try:
        mark = float(request.form["mark"]) if request.form.get("mark", "").strip() else None
    except ValueError:
        mark = -1.0  # not a number: refused by the range check, with its message
    return services.MarkInput(levels=levels, mark=mark, feedback=form.feedback.data or "")


def _prefill(submission: Submission, stage: str | None):
    """The mark to start the form from: this stage's own, else what the stage builds on (never for blind
    second marking)."""
    if stage is None:
        return None
    row = submission.mark_at(stage)
    if row is None and stage == AGREED:
        row = submission.mark_at(FIRST)
    if row is None and stage == MODERATED:
        row = services.deciding_mark(submission)
    return row


def _visible_marks(submission: Submission, user) -> list:
    # Second marking is blind: while it is under way only the first marker sees the first mark.
    if submission.status == SECOND_MARKING:
        return [m for m in submission.marks if m.stage == FIRST and m.marker_id == user.id]
    return list(submission.marks)


@bp.route("/manage/courses/<slug>/marking/<int:submission_id>", methods=["GET", "POST"])
@login_required
def mark(slug: str, submission_id: int):
    course, role = _marking_course(slug)
    submission = queries.submission_on_course(course, submission_id)
    if submission is None:
        abort(404)
    spec = services.submitted_spec(submission)
    refusal = services.may_mark_stage(submission, current_user, role)
    stage = None if refusal else services.STAGE_OF_STATE[submission.status]
    form = MarkForm()
    errors: dict[str, str] = {}
    given = None
    if request.method == "POST":
        if refusal:
            abort(403)
        if form.validate_on_submit():
            given = _read_mark(spec, form)
            try:
                services.save_mark(submission, current_user, role, given,
                                   finish=request.form.get("action") == "finish", now=utcnow())
            except services.AssignmentError as error:
                db.session.rollback()
                submission = queries.submission_on_course(course, submission_id)
                errors["marks"] = str(error)
            else:
                db.session.commit()
                flash("The mark is saved." if request.form.get("action") != "finish"
                      else "The mark is saved and the submission has moved on.", "success")
                return redirect(url_for(".mark", slug=slug, submission_id=submission_id))
        else:
            errors.update({name: f.errors[0] for name, f in form._fields.items() if f.errors})
    prefill = _prefill(submission, stage)
    if request.method == "GET" and prefill is not None:
        form.feedback.data = prefill.feedback
    chosen = given.levels if given else {int(k): v for k, v in (prefill.levels if prefill else {}).items()}
    chosen_mark = (given.mark if given else (prefill.mark if prefill and not spec.rubric else None))
    return render_template(
        "assignments/mark.html", course=course, role=role, submission=submission, spec=spec, form=form,
        errors=errors, stage=stage, refusal=refusal, chosen=chosen, chosen_mark=chosen_mark,
        marks=_visible_marks(submission, current_user), file=queries.file_of(submission),
        learner=submission.enrolment.user, release_form=ActionForm(), stage_names=STAGE_NAMES,
        earlier=[s for s in queries.attempts_of(submission.enrolment, submission.lesson)
                 if s.attempt < submission.attempt and s.status == RELEASED],
    ), 400 if errors else 200


STAGE_NAMES = {FIRST: "First mark", SECOND: "Second mark", AGREED: "Agreed mark", MODERATED: "Moderated mark"}


@bp.post("/manage/courses/<slug>/marking/<int:submission_id>/release")
@login_required
def release(slug: str, submission_id: int):
    course, role = _marking_course(slug)
    submission = queries.submission_on_course(course, submission_id)
    if submission is None:
        abort(404)
    if role not in ("educator", "admin"):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.release(submission, current_user, utcnow())
    except services.AssignmentError as error:
        flash(str(error), "error")
        return redirect(url_for(".mark", slug=slug, submission_id=submission_id))
    db.session.commit()
    flash(f"The mark for {submission.enrolment.user.full_name} is released; they have been emailed.", "success")
    return redirect(url_for(".queue", slug=slug))


