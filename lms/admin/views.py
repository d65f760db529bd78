"""Admin screens: people, course staff, organisations and the audit trail.

Admins only (others get 403). Each POST parses its form, calls one service (which writes the
audit entry in the same transaction), commits once and redirects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms.accounts import services as accounts
from lms.accounts import throttle
from lms.accounts.access import role_required
from lms.accounts.models import Organisation, User
from lms.accounts.organisations import KINDS
from lms.accounts.roles import ADMIN, ROLES
from lms.admin import queries
from lms.admin.forms import (
    STATUSES,
    AuditFilterForm,
    ConfirmForm,
    OrganisationForm,
    RoleForm,
    StaffAddForm,
    StaffRemoveForm,
    UserFilterForm,
    UserOrganisationForm,
)
from lms.catalog import services as catalog
from lms.catalog.models import Course
from lms.catalog.queries import course_staff
from lms.clock import to_london, utcnow
from lms.extensions import db
from lms.privacy import services as privacy
from lms.reports.exports import stream_csv
from lms.reports.views import pagination, url_with

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(ADMIN)
def admins_only() -> None:
    """Every admin page: log in first, then 403 for anyone who is not an admin."""


@bp.app_template_filter("london")
def london(value, fmt: str = "%-d %B %Y, %H:%M") -> str:
    """A stored UTC time as London wall-clock time."""
    return to_london(value).strftime(fmt) if value else "—"


@bp.context_processor
def admin_helpers() -> dict[str, Any]:
    return {"url_with": url_with, "role_names": ROLES, "org_kinds": KINDS, "statuses": STATUSES,
            "changes": changes}


def changes(before: dict | None, after: dict | None) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each field an audit entry mentions, for display."""
    before, after = before or {}, after or {}
    return [(key, before.get(key, "—"), after.get(key, "—")) for key in dict.fromkeys([*before, *after])]


def page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() else 1


def valid(field) -> Any:
    """A filter's value, or None when it has an error (the error is shown, the filter ignored)."""
    return None if field.errors else (field.data or None)


@bp.get("/")
def index():
    return render_template("admin/index.html")


# --- people ---------------------------------------------------------------------------------


@bp.get("/users")
def users():
    form = UserFilterForm(request.args)
    form.set_organisations(queries.organisation_choices())
    form.validate()
    filters = queries.UserFilters(valid(form.q), valid(form.role), valid(form.organisation), valid(form.status))
    result = queries.users_page(filters, page_number())
    return render_template("admin/users.html", form=form, result=result, filtered=filters != queries.UserFilters(),
                           pages=pagination(result.page, result.pages))


def user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    person = user_or_404(user_id)
    role_form = RoleForm(role=person.role)
    org_form = UserOrganisationForm(organisation_id=person.organisation_id or "")
    org_form.set_organisations(queries.organisation_choices())
    return render_template("admin/user.html", person=person, role_form=role_form, org_form=org_form,
                           confirm=ConfirmForm(), staff=queries.staff_roles_of(person),
                           locked=person.erased_at is None and throttle.is_locked(person.email, utcnow()),
                           history=queries.entries_about("user", str(person.id)))


def _back_to_user(person: User):
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/role")
def set_role(user_id: int):
    person = user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = accounts.set_role(person, form.role.data, actor_id=current_user.id, via="web")
    except accounts.AccountError as error:
        flash(str(error), "error")
        return _back_to_user(person)
    db.session.commit()
    if changed:
        flash(f"{person.full_name} is now {ROLES[person.role].lower()}; they have been signed out everywhere.",
              "success")
    return _back_to_user(person)


@bp.post("/users/<int:user_id>/organisation")
def set_organisation(user_id: int):
    person = user_or_404(user_id)
    form = UserOrganisationForm()
    form.set_organisations(queries.organisation_choices())
    if not form.validate_on_submit():
        abort(400)
    accounts.set_organisation(person, form.organisation_id.data or None, actor_id=current_user.id, via="web")
    db.session.commit()
    flash(f"{person.full_name}'s organisation has been saved.", "success")
    return _back_to_user(person)


def _set_active(user_id: int, active: bool):
    person = user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        accounts.set_active(person, active, utcnow(), actor_id=current_user.id, via="web")
    except accounts.AccountError as error:
        flash(str(error), "error")
        return _back_to_user(person)
    db.session.commit()
    flash(f"{person.full_name}'s account has been {'reactivated' if active else 'deactivated'}.", "success")
    return _back_to_user(person)


@bp.post("/users/<int:user_id>/deactivate")
def deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/reactivate")
def reactivate(user_id: int):
    return _set_active(user_id, True)


@bp.post("/users/<int:user_id>/clear-lockout")
def clear_lockout(user_id: int):
    person = user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    accounts.clear_lockout(person, current_user.id, via="web")
    db.session.commit()
    flash(f"{person.full_name} can sign in with their password again.", "success")
    return _back_to_user(person)


@bp.post("/users/<int:user_id>/reset-link")
def send_reset_link(user_id: int):
    person = user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    accounts.send_reset_link_for_admin(person, utcnow(), actor_id=current_user.id)
    db.session.commit()
    flash(f"A link to set a new password has been emailed to {person.email}. It works for 1 hour.", "success")
    return _back_to_user(person)


@bp.post("/users/<int:user_id>/erase")
def erase(user_id: int):
    """Erase a person's personal data on their request (UK GDPR); certificates still verify."""
    person = user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        privacy.erase_user(person, actor_id=current_user.id, via="web", reason="admin")
    except privacy.ErasureError as error:
        flash(str(error), "error")
        return _back_to_user(person)
    db.session.commit()
    flash("The account's personal data has been erased.", "success")
    return _back_to_user(person)


# --- course staff ---------------------------------------------------------------------------


@bp.get("/courses")
def courses():
    return render_template("admin/courses.html", courses=queries.courses_with_staff())


def course_or_404(slug: str) -> Course:
    return db.session.scalar(db.select(Course).where(Course.slug == slug)) or abort(404)


@bp.route("/courses/<slug>/staff", methods=["GET", "POST"])
def course_staff_page(slug: str):
    course = course_or_404(slug)
    form = StaffAddForm()
    if form.validate_on_submit():
        person = accounts.find_user_by_email(form.email.data)
        if person is None:
            form.email.errors.append("There is no account with this email address")
        else:
            try:
                catalog.add_course_staff(course, person, form.role.data, actor_id=current_user.id, via="web")
            except catalog.StaffError as error:
                form.email.errors.append(f"{error} on their account page")
            else:
                db.session.commit()
                flash(f"{person.full_name} is now {form.role.data} of {course.title}.", "success")
                return redirect(url_for("admin.course_staff_page", slug=course.slug))
    return render_template("admin/course_staff.html", course=course, form=form, staff=course_staff(course),
                           remove_form=StaffRemoveForm())


@bp.post("/courses/<slug>/staff/remove")
def remove_staff(slug: str):
    course = course_or_404(slug)
    form = StaffRemoveForm()
    if not form.validate_on_submit() or not form.user_id.data.isdigit():
        abort(400)
    person = user_or_404(int(form.user_id.data))
    if catalog.remove_course_staff(course, person, actor_id=current_user.id, via="web"):
        db.session.commit()
        flash(f"{person.full_name} is no longer staff of {course.title}.", "success")
    return redirect(url_for("admin.course_staff_page", slug=course.slug))


# --- organisations --------------------------------------------------------------------------


@bp.get("/organisations")
def organisations():
    orgs = db.session.scalars(db.select(Organisation).order_by(Organisation.kind, Organisation.name))
    return render_template("admin/organisations.html", organisations=list(orgs))


@bp.route("/organisations/new", methods=["GET", "POST"])
@bp.route("/organisations/<org_id>/edit", methods=["GET", "POST"])
def edit_organisation(org_id: str | None = None):
    org = (db.session.get(Organisation, org_id) or abort(404)) if org_id else None
    form = OrganisationForm(obj=org)
    if form.validate_on_submit():
        try:
            saved = accounts.save_organisation(org, name=form.name.data, kind=form.kind.data,
                                               active=form.active.data, actor_id=current_user.id, via="web")
        except accounts.AccountError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{saved.name} has been saved.", "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisation.html", form=form, org=org)


# --- audit trail ----------------------------------------------------------------------------

AUDIT_CSV_HEADER = ["at_london", "at_utc", "actor_email", "actor_name", "via", "action", "target_type",
                    "target_id", "before", "after"]


def audit_csv_rows(rows) -> Iterator[list[Any]]:
    for entry, email, name in rows:
        yield [to_london(entry.at).isoformat(timespec="seconds"),
               entry.at.replace(tzinfo=UTC).isoformat(timespec="seconds"), email or "", name or "", entry.via,
               entry.action, entry.target_type, entry.target_id,
               json.dumps(entry.before, sort_keys=True, ensure_ascii=False) if entry.before is not None else "",
               json.dumps(entry.after, sort_keys=True, ensure_ascii=False) if entry.after is not None else ""]


@bp.get("/audit")
def audit():
    form = AuditFilterForm(request.args)
    form.set_choices(queries.audit_actions(), queries.audit_target_types())
    form.validate()
    filters = queries.AuditFilters(valid(form.action), valid(form.actor), valid(form.target_type),
                                   valid(form.target_id), valid(form.date_from), valid(form.date_to))
    if request.args.get("format") == "csv":
        return stream_csv(AUDIT_CSV_HEADER, audit_csv_rows(queries.iter_audit(filters)),
                          f"audit-trail-{utcnow():%Y-%m-%d}.csv")
    result = queries.audit_page(filters, page_number())
    return render_template("admin/audit.html", form=form, result=result, filtered=filters != queries.AuditFilters(),
                           pages=pagination(result.page, result.pages))
