"""Admin pages for the VLEs (LTI platforms) we are registered with: list, add, change.

Admins only. Each POST parses its form, calls one service (which writes the audit entry), commits once.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from lms.accounts.access import role_required
from lms.accounts.models import Organisation
from lms.accounts.roles import ADMIN
from lms.clock import utcnow
from lms.extensions import db
from lms.lti import services
from lms.lti.forms import PlatformForm
from lms.lti.models import LtiPlatform
from lms.lti.views import absolute

bp = Blueprint("lti_admin", __name__, url_prefix="/admin/lti")


@bp.before_request
@role_required(ADMIN)
def admins_only() -> None:
    """Every page here: log in first, then 403 for anyone who is not an admin."""


def tool_addresses() -> dict[str, str]:
    """What a VLE's administrator types into their side of the registration."""
    return {"Login initiation URL": absolute("lti.login"), "Launch (redirect) URL": absolute("lti.launch"),
            "Deep linking URL": absolute("lti.launch"), "Public keyset (JWKS) URL": absolute("lti.jwks")}


@bp.get("/")
def platforms():
    rows = db.session.scalars(select(LtiPlatform).order_by(LtiPlatform.name)).all()
    return render_template("lti/admin/platforms.html", platforms=rows, addresses=tool_addresses())


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:platform_id>", methods=["GET", "POST"])
def edit_platform(platform_id: int | None = None):
    platform = (db.session.get(LtiPlatform, platform_id) or abort(404)) if platform_id else None
    form = PlatformForm(obj=platform)
    if platform is not None and not form.is_submitted():
        form.deployment_ids.data = "\n".join(platform.deployment_ids)
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    form.organisation_id.choices = [("", "None")] + [(org.id, org.name) for org in organisations]
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in services.PLATFORM_FIELDS}
        values["deployment_ids"] = form.deployment_id_list()
        values["default_track"] = values["default_track"] or None
        values["organisation_id"] = values["organisation_id"] or None
        try:
            saved = services.save_platform(platform, values, actor_id=current_user.id, now=utcnow())
        except services.LtiError as error:
            form.client_id.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{saved.name} has been saved.", "success")
            return redirect(url_for("lti_admin.platforms"))
    return render_template("lti/admin/platform.html", form=form, platform=platform)
