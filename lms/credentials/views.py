"""Public verification, certificate downloads, and the university partners' pages."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from certificates import normalise_code
from lms import addresses, jobs
from lms.accounts.access import role_required
from lms.catalog.models import Course
from lms.clock import utcnow
from lms.credentials import badges, on_dashboard, queries, services, standing, tasks, verification  # noqa: F401 - standing and on_dashboard register with learning
from lms.credentials.exports import register_rows
from lms.credentials.forms import (
    CertificateSearchForm,
    ExportForm,
    PartnerSettingsForm,
    ReinstateForm,
    RevokeForm,
    VerifyCodeForm,
    VerifyCredentialForm,
    VerifyUploadForm,
)
from lms.credentials.models import Certificate, PartnerSettings
from lms.credentials.verification import lookup_allowed
from lms.dates import utc_start_of
from lms.errors import render_error
from lms.exports import csv_response
from lms.extensions import db
from lms.forms import ActionForm
from lms.jobs.models import Job

bp = Blueprint("credentials", __name__)


@bp.app_context_processor
def certificate_helpers() -> dict:
    """Lets learners' pages show certificates without the learning domain knowing about them."""
    return {"my_certificates": lambda: queries.certificates_of(current_user) if current_user.is_authenticated else {},
            "utcnow": utcnow}


# --- public verification --------------------------------------------------------------------------


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    code_form = VerifyCodeForm(prefix="code")
    upload_form = VerifyUploadForm(prefix="upload")
    credential_form = VerifyCredentialForm(prefix="credential")
    forms = {"code_form": code_form, "upload_form": upload_form, "credential_form": credential_form}
    if request.method == "POST" and "code-code" in request.form and code_form.validate_on_submit():
        return redirect(url_for("credentials.verify_code", code=normalise_code(code_form.code.data) or
                                code_form.code.data.strip()[:40]))
    if request.method == "POST" and "credential-token" in request.form:
        return _verify_credential(credential_form, forms)
    if request.method == "POST" and "code-code" not in request.form and upload_form.validate_on_submit():
        if not lookup_allowed():
            return render_error(429, "Too many certificate checks from your network. Wait a minute and try again.")
        digest = hashlib.sha256(upload_form.pdf.data.read()).hexdigest()
        certificate = queries.find_by_pdf_hash(digest)
        if certificate is None:
            return render_template("credentials/verify.html", **forms, no_match_upload=True)
        return render_template("credentials/verified.html", certificate=certificate,
                               status=certificate.status_at(utcnow()), checked_file=True)
    return render_template("credentials/verify.html", **forms)


def _verify_credential(form: VerifyCredentialForm, forms: dict):
    """A pasted Open Badges credential: ours and unaltered? Then the certificate's status now."""
    if not form.validate_on_submit():
        return render_template("credentials/verify.html", **forms)
    if not lookup_allowed():
        return render_error(429, "Too many certificate checks from your network. Wait a minute and try again.")
    try:
        certificate = badges.certificate_of(form.token.data)
    except badges.NotOurCredential:
        certificate = None
    if certificate is None:
        return render_template("credentials/verify.html", **forms, no_match_credential=True)
    return render_template("credentials/verified.html", certificate=certificate,
                           status=certificate.status_at(utcnow()), checked_credential=True)


@bp.get("/verify/<code>")
def verify_code(code: str):
    if not lookup_allowed():
        return render_error(429, "Too many certificate checks from your network. Wait a minute and try again.")
    certificate = verification.find(code)
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
    unsigned = sorted({c.partner.name for c in courses if c.partner_id and c.partner_id not in _signed(courses)})
    return render_template("credentials/manage.html", courses=courses, pending=pending, settings=settings,
                           may_edit=queries.may_edit_signatory(current_user, current_user.organisation_id),
                           unsigned=unsigned)


def _signed(courses) -> set[str]:
    ids = {c.partner_id for c in courses if c.partner_id}
    return set(db.session.scalars(db.select(PartnerSettings.organisation_id).where(
        PartnerSettings.organisation_id.in_(ids)))) if ids else set()


@bp.route("/manage/certificates/settings", methods=["GET", "POST"])
@role_required("partner", "admin")
def settings():
    organisation_id = current_user.organisation_id
    if not queries.may_edit_signatory(current_user, organisation_id):
        return render_error(403, "Only a partner of a course your organisation certifies may set its signatory. "
                                 "Your organisation is set by the service's administrators: ask them if it is wrong.")
    existing = db.session.get(PartnerSettings, organisation_id)
    form = PartnerSettingsForm(obj=existing)
    if form.validate_on_submit():
        upload = form.signature.data.read() if form.signature.data else None
        try:
            services.save_partner_settings(organisation_id, form.signatory_name.data, form.signatory_title.data,
                                           upload, form.remove_signature.data, utcnow(), by=current_user)
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
    pending = services.pending_approval(course)
    search = CertificateSearchForm(request.args)
    search.validate()
    since = utc_start_of(search.issued_from.data) if search.issued_from.data else None
    until = utc_start_of(search.issued_to.data + timedelta(days=1)) if search.issued_to.data else None
    now = utcnow()
    found = queries.course_certificates(course, since, until, limit=CERTIFICATES_SHOWN, text=search.q.data or None,
                                        status=search.status.data or None, now=now)
    return render_template("credentials/course.html", course=course, pending=pending,
                           problems=queries.issue_problems([e.id for e in pending]), certificates=found,
                           limit=CERTIFICATES_SHOWN, search_form=search, revoke_form=RevokeForm(),
                           export_form=ExportForm(request.args), now=now)


CERTIFICATES_SHOWN = 200


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
    job_id = _start_job("certificates.issue_batch", course_id=course.id, enrolment_ids=[e.id for e in pending],
                        requested_by_id=current_user.id)
    return redirect(url_for("credentials.batch", job_id=job_id))


@bp.post("/manage/certificates/courses/<slug>/exports")
@role_required("partner", "admin")
def start_export(slug: str):
    course = partner_course_or_404(slug)
    form = ExportForm(request.form)
    kind = request.form.get("kind")
    if not ActionForm().validate_on_submit() or kind not in tasks.EXPORT_KINDS:
        abort(400)
    since, until = _export_range(form)
    job_id = _start_job("certificates.export", course_id=course.id, kind=kind, requested_by_id=current_user.id,
                        since=since.isoformat() if since else None, until=until.isoformat() if until else None)
    return redirect(url_for("credentials.batch", job_id=job_id))


def _start_job(task_name: str, **payload) -> int:
    key = f"{task_name}:{uuid.uuid4().hex}"
    jobs.enqueue(task_name, key=key, base_url=addresses.for_job(), **payload)
    db.session.flush()
    job_id = db.session.scalar(db.select(Job.id).where(Job.key == key))
    db.session.commit()
    return job_id


BATCH_TASKS = ("certificates.issue_batch", "certificates.export")
REFRESH_SECONDS = 2


def _my_batch_or_404(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or job.task not in BATCH_TASKS:
        abort(404)
    if job.payload.get("requested_by_id") != current_user.id and not current_user.has_role("admin"):
        abort(404)
    return job


@bp.get("/manage/certificates/batches/<int:job_id>")
@role_required("partner", "admin")
def batch(job_id: int):
    job = _my_batch_or_404(job_id)
    course = db.session.get(Course, job.payload["course_id"])
    response = make_response(render_template("credentials/batch.html", job=job, course=course,
                                             problem=tasks.problem_text(job.last_error)))
    if job.status == "pending":
        response.headers["Refresh"] = str(REFRESH_SECONDS)  # the page follows the job without any script
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/manage/certificates/batches/<int:job_id>/download")
@role_required("partner", "admin")
def batch_download(job_id: int):
    job = _my_batch_or_404(job_id)
    path = tasks.export_path(job) if job.task == "certificates.export" and job.status == "done" else None
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=tasks.EXPORT_KINDS[job.payload["kind"]][1], as_attachment=True,
                         download_name=job.result["filename"], conditional=False, etag=False)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/manage/certificates/<code>/revoke")
@role_required("partner", "admin")
def revoke(code: str):
    certificate = partner_certificate_or_404(code)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(form.reason.errors[0] if form.reason.errors else "The form expired; try again.", "error")
        return redirect(url_for("credentials.course", slug=certificate.course.slug))
    if form.confirm.data != "yes":
        return render_template("credentials/confirm_revoke.html", certificate=certificate, form=form)
    try:
        services.revoke_certificate(certificate, current_user, form.reason.data, utcnow())
    except services.CredentialError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Certificate {certificate.code} is revoked. The learner has been told by email.", "success")
    return redirect(url_for("credentials.course", slug=certificate.course.slug))


@bp.post("/manage/certificates/<code>/reinstate")
@role_required("partner", "admin")
def reinstate(code: str):
    certificate = partner_certificate_or_404(code)
    form = ReinstateForm()
    if not form.validate_on_submit():
        flash(form.reason.errors[0] if form.reason.errors else "The form expired; try again.", "error")
        return redirect(url_for("credentials.course", slug=certificate.course.slug))
    try:
        services.reinstate_certificate(certificate, current_user, form.reason.data, utcnow())
    except services.CredentialError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Certificate {certificate.code} is valid again. The learner has been told by email.", "success")
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
    since = utc_start_of(form.since.data) if form.since.data else None
    until = utc_start_of(form.until.data + timedelta(days=1)) if form.until.data else None
    return since, until


@bp.get("/manage/certificates/courses/<slug>/register.csv")
@role_required("partner", "admin")
def register_csv(slug: str):
    course = partner_course_or_404(slug)
    since, until = _export_range(ExportForm(request.args))
    return csv_response(register_rows(course, since, until), f"{course.slug}-certificates.csv")
