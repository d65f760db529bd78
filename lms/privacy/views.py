"""Download my data, delete my account, and the sign-in bookkeeping retention relies on."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required, logout_user, user_logged_in
from sqlalchemy import select
from werkzeug.local import LocalProxy
from werkzeug.security import check_password_hash

from lms.clock import utcnow
from lms.extensions import db
from lms.jobs.models import FAILED, Job
from lms.privacy import services
from lms.privacy.forms import DeleteAccountForm, RequestExportForm
from lms.privacy.models import DataExport

bp = Blueprint("privacy", __name__)
RECENT_SIGN_IN = timedelta(minutes=10)
SIGNED_IN_AT = "signed_in_at"


@user_logged_in.connect
def _on_sign_in(app, user) -> None:
    """Any sign-in (password or single sign-on) keeps the account from the retention job."""
    if isinstance(user, LocalProxy):
        return  # a re-login of current_user (after a password change) is not a new sign-in
    session[SIGNED_IN_AT] = utcnow().isoformat()
    user.last_seen_at = utcnow()
    user.retention_warned_at = None
    db.session.commit()


def signed_in_recently() -> bool:
    from datetime import datetime

    value = session.get(SIGNED_IN_AT)
    return bool(value) and utcnow() - datetime.fromisoformat(value) <= RECENT_SIGN_IN


@bp.route("/profile/data", methods=["GET", "POST"])
@login_required
def data():
    form = RequestExportForm()
    if form.validate_on_submit():
        export = services.request_export(current_user)
        db.session.commit()
        return redirect(url_for("privacy.export_status", export_id=export.id))
    exports = list(db.session.scalars(select(DataExport).where(DataExport.user_id == current_user.id)
                                      .order_by(DataExport.id.desc()).limit(5)))
    return render_template("privacy/data.html", form=form, exports=exports, keep_days=services.EXPORT_KEEP_DAYS)


def own_export_or_404(export_id: int) -> DataExport:
    export = db.session.get(DataExport, export_id)
    if export is None or export.user_id != current_user.id:
        abort(404)  # somebody else's export does not exist, as far as this person can tell
    return export


@bp.get("/profile/data/<int:export_id>")
@login_required
def export_status(export_id: int):
    export = own_export_or_404(export_id)
    job = db.session.scalar(select(Job).where(Job.key == f"privacy-export:{export.id}"))
    failed = job is not None and job.status == FAILED
    response = Response(render_template("privacy/status.html", export=export, job=job, failed=failed))
    if export.ready_at is None and not failed:
        response.headers["Refresh"] = "3"  # the page reloads itself until the ZIP is ready; no script
    return response


@bp.get("/profile/data/<int:export_id>/download")
@login_required
def export_download(export_id: int):
    export = own_export_or_404(export_id)
    if export.ready_at is None:
        return redirect(url_for("privacy.export_status", export_id=export.id))
    name = f"my-data-{export.ready_at:%Y-%m-%d}.zip"
    return Response(export.data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


@bp.route("/profile/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if form.password.data:
            if not check_password_hash(current_user.password_hash, form.password.data):
                form.password.errors.append("Your password is not correct")
        elif not signed_in_recently():
            form.password.errors.append("Enter your password, or log out and sign in again, then delete "
                                        "your account within 10 minutes")
        if not form.password.errors:
            try:
                services.erase_user(current_user, actor_id=current_user.id, via="web", reason="request")
            except services.ErasureError as error:
                form.confirm.errors.append(str(error))
                return render_template("privacy/delete.html", form=form,
                                       contact=current_app.config["PRIVACY_CONTACT_EMAIL"])
            db.session.commit()
            logout_user()
            session.clear()
            flash("Your account has been deleted. Your certificates can still be checked by their code.", "success")
            return redirect(url_for("privacy.account_deleted"))
    return render_template("privacy/delete.html", form=form, contact=current_app.config["PRIVACY_CONTACT_EMAIL"])


@bp.get("/account-deleted")
def account_deleted():
    return render_template("privacy/deleted.html")
