"""Public verification, certificate downloads, and the university partners' pages."""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from certificates import normalise_code
from lms import ratelimit
from lms.accounts.access import role_required
from lms.catalog.models import Course
from lms.clock import utcnow
from lms.credentials import queries, services
from lms.credentials.exports import register_rows, zip_certificates
from lms.credentials.forms import (
    ExportForm,
    PartnerSettingsForm,
    RevokeForm,
    VerifyCodeForm,
    VerifyUploadForm,
)
from lms.credentials.models import Certificate, PartnerSettings
from lms.errors import render_error
from lms.exports import csv_response
from lms.extensions import db
from lms.forms import ActionForm

bp = Blueprint("credentials", __name__)


@bp.app_context_processor
def certificate_helpers() -> dict:
    """Lets learners' pages show certificates without the learning domain knowing about them."""
    return {"my_certificates": lambda: queries.certificates_of(current_user) if current_user.is_authenticated else {},
            "utcnow": utcnow}


# --- public verification --------------------------------------------------------------------------


def lookup_allowed() -> bool:
    """Every lookup counts against the address, so codes cannot be guessed in bulk."""
    key = f"verify:{request.remote_addr or 'unknown'}"
    now, window = utcnow(), timedelta(minutes=1)
    if ratelimit.limited_until(key, now, window, current_app.config["VERIFY_LOOKUPS_PER_MINUTE"]):
        return False
    ratelimit.record_event(key, now, keep=window * 2)
    db.session.commit()
    return True


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    code_form = VerifyCodeForm(prefix="code")
    upload_form = VerifyUploadForm(prefix="upload")
    if request.method == "POST" and "code-code" in request.form and code_form.validate_on_submit():
        return redirect(url_for("credentials.verify_code", code=normalise_code(code_form.code.data) or
                                code_form.code.data.strip()[:40]))
    if request.method == "POST" and "code-code" not in request.form and upload_form.validate_on_submit():
        if not lookup_allowed():
            return render_error(429, "Too many certificate checks from your network. Wait a minute and try again.")
        digest = hashlib.sha256(upload_form.pdf.data.read()).hexdigest()
        certificate = queries.find_by_pdf_hash(digest)
        if certificate is None:
            return render_template("credentials/verify.html", code_form=code_form, upload_form=upload_form,
                                   no_match_upload=True)
        return render_template("credentials/verified.html", certificate=certificate,
                               status=certificate.status_at(utcnow()), checked_file=True)
    return render_template("credentials/verify.html", code_form=code_form, upload_form=upload_form)


@bp.get("/verify/<code>")
def verify_code(code: str):
    if not lookup_allowed():
        return render_error(429, "Too many certificate checks from your network. Wait a minute and try again.")
    certificate = queries.find_by_code(normalise_code(code))
    if certificate is None:
        # The same answer for a mistyped, made-up or unknown code.
        return render_template("credentials/not_found.html", code=code), 404
    return render_template("credentials/verified.html", certificate=certificate,
                           status=certificate.status_at(utcnow()))


@bp.get("/certificates/<code>.pdf")
def download(code: str):
    certificate = queries.find_by_code(normalise_code(code))
    if certificate is None or not queries.may_download(current_user, certificate) or certificate.user.erased_at:
        abort(404)  # the same answer as for a code that does not exist (or whose holder's record was erased)
    pdf = services.certificate_pdf(certificate)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="certificate-{certificate.code}.pdf"',
        "Cache-Control": "private, no-store"})


# --- university partners ----------------------------------------------------------------------------


def partner_course_or_404(slug: str) -> Course:
    course = db.session.scalar(db.select(Course).where(Course.slug == slug))
    if course is None or course.id not in queries.partner_course_ids(current_user):
        abort(404)
    return course


def partner_certificate_or_404(code: str) -> Certificate:
    certificate = queries.find_by_code(normalise_code(code))
    if certificate is None or certificate.course_id not in queries.partner_course_ids(current_user):
        abort(404)
    return certificate


@bp.get("/manage/certificates")
@role_required("partner", "admin")
def manage():
    ids = queries.partner_course_ids(current_user)
    courses = list(db.session.scalars(db.select(Course).where(Course.id.in_(ids)).order_by(Course.title)))
    pending = {c.id: len(services.pending_approval(c)) for c in courses if c.certificate_issue == "approval"}
    settings = db.session.get(PartnerSettings, current_user.organisation_id) if current_user.organisation_id else None
    return render_template("credentials/manage.html", courses=courses, pending=pending, settings=settings)


@bp.route("/manage/certificates/settings", methods=["GET", "POST"])
@role_required("partner", "admin")
def settings():
    if not current_user.organisation_id:
        flash("Set your organisation in your details first: the signatory belongs to it.", "error")
        return redirect(url_for("accounts.profile"))
    existing = db.session.get(PartnerSettings, current_user.organisation_id)
    form = PartnerSettingsForm(obj=existing)
    if form.validate_on_submit():
        upload = form.signature.data.read() if form.signature.data else None
        try:
            services.save_partner_settings(current_user.organisation_id, form.signatory_name.data,
                                           form.signatory_title.data, upload, form.remove_signature.data, utcnow())
        except services.CredentialError as error:
            form.signature.errors = [str(error)]
        else:
            db.session.commit()
            flash("The signatory is saved. New certificates will carry it.", "success")
            return redirect(url_for("credentials.manage"))
    return render_template("credentials/settings.html", form=form, settings=existing)


@bp.get("/manage/certificates/courses/<slug>")
@role_required("partner", "admin")
def course(slug: str):
    course = partner_course_or_404(slug)
    return render_template("credentials/course.html", course=course, pending=services.pending_approval(course),
                           certificates=queries.course_certificates(course, limit=200), revoke_form=RevokeForm(),
                           export_form=ExportForm(request.args), now=utcnow())


@bp.post("/manage/certificates/courses/<slug>/issue")
@role_required("partner", "admin")
def issue(slug: str):
    course = partner_course_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    pending = services.pending_approval(course)
    if request.form.get("all") != "1":
        chosen = set(request.form.getlist("enrolment"))
        pending = [e for e in pending if str(e.id) in chosen]
    if not pending:
        flash("Select at least one learner to issue a certificate to.", "error")
        return redirect(url_for("credentials.course", slug=slug))
    now = utcnow()
    for enrolment in pending:
        services.issue_certificate(enrolment, now, issued_by=current_user)
    db.session.commit()
    flash(f"{len(pending)} certificate{'s' if len(pending) != 1 else ''} issued.", "success")
    return redirect(url_for("credentials.course", slug=slug))


@bp.post("/manage/certificates/<code>/revoke")
@role_required("partner", "admin")
def revoke(code: str):
    certificate = partner_certificate_or_404(code)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            services.revoke_certificate(certificate, current_user, form.reason.data, utcnow())
        except services.CredentialError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"Certificate {certificate.code} is revoked.", "success")
    else:
        flash(form.reason.errors[0] if form.reason.errors else "The form expired; try again.", "error")
    return redirect(url_for("credentials.course", slug=certificate.course.slug))


@bp.post("/manage/certificates/<code>/reissue")
@role_required("partner", "admin")
def reissue(code: str):
    certificate = partner_certificate_or_404(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        replacement = services.reissue_certificate(certificate, current_user, utcnow())
    except services.CredentialError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Reissued as {replacement.code}; {certificate.code} now says superseded.", "success")
    return redirect(url_for("credentials.course", slug=certificate.course.slug))


def _export_range(form: ExportForm) -> tuple[datetime | None, datetime | None]:
    since = datetime.combine(form.since.data, time.min) if form.since.data else None
    until = datetime.combine(form.until.data, time.min) + timedelta(days=1) if form.until.data else None
    return since, until


@bp.get("/manage/certificates/courses/<slug>/register.csv")
@role_required("partner", "admin")
def register_csv(slug: str):
    course = partner_course_or_404(slug)
    since, until = _export_range(ExportForm(request.args))
    return csv_response(register_rows(course, since, until), f"{course.slug}-certificates.csv")


@bp.get("/manage/certificates/courses/<slug>/certificates.zip")
@role_required("partner", "admin")
def export_zip(slug: str):
    course = partner_course_or_404(slug)
    since, until = _export_range(ExportForm(request.args))
    data = zip_certificates(queries.course_certificates(course, since, until))
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{course.slug}-certificates.zip"'})
