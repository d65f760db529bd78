"""/sso/<provider>/start and /callback (code flow with PKCE, state and nonce), and /sso/complete
(organisation and professional group for a new account)."""

from __future__ import annotations

import logging

from authlib.integrations.base_client import OAuthError
from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user
from requests import RequestException

from lms import addresses
from lms.accounts import queries
from lms.accounts.forms import ProfileFields
from lms.accounts.views import safe_next, start_session
from lms.extensions import db
from lms.sso import providers, services

bp = Blueprint("sso", __name__, url_prefix="/sso")
log = logging.getLogger(__name__)
SIGNUP_KEY = "sso_signup"
NEXT_KEY = "sso_next"


def refused(message: str, status: int = 403):
    return render_template("sso/refused.html", message=message), status


def callback_url(name: str) -> str:
    """The redirect URI registered with the provider: from PUBLIC_BASE_URL, not the request's Host header."""
    return addresses.public_base_url() + url_for("sso.callback", name=name)


@bp.get("/<name>/start")
def start(name: str):
    provider = providers.get(name) or abort(404)
    session[NEXT_KEY] = safe_next(request.args.get("next"))
    try:
        return providers.client(name).authorize_redirect(callback_url(name))
    except (RequestException, OAuthError, ValueError) as error:
        log.warning("cannot reach identity provider %s: %s", name, error)
        return refused(f"{provider.label} cannot be reached just now. Try again later, "
                       "or log in with your password.", 503)


@bp.get("/<name>/callback")
def callback(name: str):
    provider = providers.get(name) or abort(404)
    client = providers.client(name)
    if request.args.get("error"):
        reason = request.args.get("error_description") or request.args["error"]
        return refused(f"{provider.label} did not sign you in ({reason}).")
    state = request.args.get("state")
    kept = client.framework.get_state_data(session, state) if state else None
    if not kept:
        # A sign-in this browser did not start (or started too long ago): never redeem its code.
        return refused("This sign-in was not started from this browser, or took too long. Start again.", 400)
    client.framework.clear_state_data(session, state)
    try:
        token = client.fetch_access_token(code=request.args.get("code"), redirect_uri=kept.get("redirect_uri"),
                                          code_verifier=kept.get("code_verifier"))
        claims = services.verify_id_token(client, provider, token, kept.get("nonce"))
        identity = services.identity_from(provider, claims)
        user = services.find_account(identity)
    except services.SSOError as error:
        db.session.rollback()
        return refused(str(error))
    except (RequestException, OAuthError) as error:
        log.warning("token request to %s failed: %s", name, error)
        return refused(f"{provider.label} did not complete the sign-in. Start again.", 400)
    if user is None:
        session[SIGNUP_KEY] = {"provider": identity.provider, "subject": identity.subject,
                               "email": identity.email, "name": identity.name}
        return redirect(url_for("sso.complete"))
    if getattr(user, "erased_at", None) is not None or not user.is_active:
        db.session.rollback()
        return refused("This account cannot be used. Ask your administrator if you think this is wrong.")
    db.session.commit()
    target = session.get(NEXT_KEY)
    start_session(user)
    return redirect(target or url_for("catalog.index"))


@bp.route("/complete", methods=["GET", "POST"])
def complete():
    """First sign-in with no account: ask for what certificates and reports need, then create it."""
    pending = session.get(SIGNUP_KEY)
    if not pending or current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    form = ProfileFields(data={"full_name": pending["name"]} if request.method == "GET" else None)
    form.set_organisations(queries.active_organisations())
    if form.validate_on_submit():
        identity = services.Identity(**pending)
        try:
            if services.find_account(identity):  # created meanwhile, e.g. in another tab
                raise services.SSOError("Your account already exists. Sign in again.")
            user = services.create_account(
                identity, full_name=form.full_name.data, organisation_id=form.organisation_id.data,
                professional_group=form.professional_group.data,
                registration_body=form.registration_body.data,
                registration_number=form.registration_number.data)
        except (services.SSOError, ValueError) as error:
            db.session.rollback()
            session.pop(SIGNUP_KEY, None)
            return refused(str(error), 409)
        db.session.commit()
        target = session.get(NEXT_KEY)
        start_session(user)
        return redirect(target or url_for("catalog.index"))
    return render_template("sso/complete.html", form=form, email=pending["email"])
