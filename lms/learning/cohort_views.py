"""Enrolling learners for them: a CSV upload with a preview, or one person by email.

For a course's educators and for admins. Learners and partners get 403; educators of other
courses get 404, so they cannot tell which courses exist.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional

from lms.accounts.access import role_required
from lms.accounts.queries import active_organisations
from lms.accounts.roles import ADMIN, EDUCATOR
from lms.catalog.models import Course
from lms.catalog.queries import staff_role
from lms.catalog.tracks import track_label
from lms.clock import utcnow
from lms.extensions import db
from lms.learning import cohorts

bp = Blueprint("cohorts", __name__, url_prefix="/manage")


EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.nhs.uk"


class UploadForm(FlaskForm):
    file = FileField("Upload a CSV file", validators=[FileRequired(message="Choose a CSV file to upload")],
                     description="Columns: email, name, track and, if you wish, organisation. "
                                 "One learner per line, saved as CSV UTF-8.")


class ConfirmForm(FlaskForm):
    """Confirms a stored upload: only the CSRF token."""


class EnrolOneForm(FlaskForm):
    email = EmailField("Email address",
                       validators=[InputRequired(message="Enter their email address"),
                                   Email(message=EMAIL_FORMAT),
                                   Length(max=254)],
                       render_kw={"spellcheck": "false", "autocomplete": "off"})
    name = StringField("Full name (needed if they have no account yet)", validators=[Optional(), Length(max=200)],
                       render_kw={"spellcheck": "false", "autocomplete": "off"})
    track = SelectField("Track", validators=[InputRequired()], validate_choice=True)
    organisation_id = SelectField("Organisation (optional)", validators=[Optional()], validate_choice=True)

    def set_choices(self, course: Course) -> None:
        self.track.choices = [SelectChoice(t, track_label(t)) for t in course.tracks]
        self.organisation_id.choices = [SelectChoice("", "Not given")] + [
            SelectChoice(o.id, o.name) for o in active_organisations()]


def course_for_enrolling(slug: str) -> Course:
    """The course if the current person is one of its educators or an admin; otherwise 404."""
    course = db.session.scalar(select(Course).where(Course.slug == slug)) or abort(404)
    if staff_role(current_user, course) not in (ADMIN, EDUCATOR):
        abort(404)
    return course


def _page(course: Course, upload_form=None, one_form=None, status: int = 200):
    one_form = one_form or EnrolOneForm()
    one_form.set_choices(course)
    return render_template("learning/enrol.html", course=course, upload_form=upload_form or UploadForm(),
                           one_form=one_form), status


@bp.get("/courses/<slug>/enrol")
@role_required(EDUCATOR, ADMIN)
def enrol_page(slug: str):
    return _page(course_for_enrolling(slug))


@bp.post("/courses/<slug>/enrol/upload")
@role_required(EDUCATOR, ADMIN)
def upload(slug: str):
    course = course_for_enrolling(slug)
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(course, upload_form=form)
    storage = form.file.data
    parsed = cohorts.read_cohort_csv(storage.read(cohorts.MAX_BYTES + 1), course)
    plan = cohorts.plan(parsed.rows, course) if not parsed.problems else None
    problems = sorted(parsed.problems + (plan.problems if plan else []), key=lambda p: p.line)
    if problems:
        return render_template("learning/enrol_problems.html", course=course, problems=problems,
                               filename=storage.filename), 422
    kept = cohorts.keep_upload(course, current_user, storage.filename, parsed.rows, utcnow())
    db.session.commit()
    return redirect(url_for("cohorts.preview", slug=course.slug, upload_id=kept.id))


@bp.route("/courses/<slug>/enrol/uploads/<upload_id>", methods=["GET", "POST"])
@role_required(EDUCATOR, ADMIN)
def preview(slug: str, upload_id: str):
    course = course_for_enrolling(slug)
    now = utcnow()
    kept = cohorts.find_upload(upload_id, course, current_user, now)
    if kept is None:
        flash("That upload has expired or has been confirmed already. Upload the file again.", "error")
        return redirect(url_for("cohorts.enrol_page", slug=course.slug))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            result = cohorts.confirm_upload(kept, course, current_user, now)
            db.session.commit()
        except (cohorts.CohortError, IntegrityError) as error:
            db.session.rollback()
            message = str(error) if isinstance(error, cohorts.CohortError) else (
                "Someone enrolled some of these learners at the same time. Nothing was saved; look at the preview "
                "again and confirm.")
            flash(message, "error")
            return redirect(url_for("cohorts.preview", slug=course.slug, upload_id=upload_id))
        flash(f"{result.enrolled} learner{'s' if result.enrolled != 1 else ''} enrolled, of whom "
              f"{result.new_accounts} new and invited by email; {result.already} were enrolled already.", "success")
        return redirect(url_for("cohorts.enrol_page", slug=course.slug))
    plan = cohorts.plan(kept.rows, course)
    return render_template("learning/enrol_preview.html", course=course, upload=kept, plan=plan, form=form,
                           outcomes=cohorts.OUTCOMES, track_label=track_label,
                           counts={o: plan.count(o) for o in cohorts.OUTCOMES})


@bp.post("/courses/<slug>/enrol/one")
@role_required(EDUCATOR, ADMIN)
def enrol_one(slug: str):
    course = course_for_enrolling(slug)
    form = EnrolOneForm()
    form.set_choices(course)
    if not form.validate_on_submit():
        return _page(course, one_form=form)
    try:
        outcome = cohorts.enrol_one(course, form.email.data, form.name.data or "", form.track.data,
                                    form.organisation_id.data or None, current_user, utcnow())
        db.session.commit()
    except cohorts.CohortError as error:
        db.session.rollback()
        form.email.errors.append(str(error))
        return _page(course, one_form=form)
    except IntegrityError:
        db.session.rollback()
        outcome = cohorts.ALREADY
    flash({cohorts.NEW: f"An account has been made for {form.email.data}, who has been enrolled and invited by email.",
           cohorts.ENROL: f"{form.email.data} has been enrolled.",
           cohorts.ALREADY: f"{form.email.data} was already enrolled; nothing changed."}[outcome], "success")
    return redirect(url_for("cohorts.enrol_page", slug=course.slug))
