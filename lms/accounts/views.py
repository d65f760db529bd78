"""Register, log in and out, profile and password. Post/redirect/get throughout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from lms.accounts import queries, services
from lms.accounts.forms import ChangePasswordForm, LoginForm, ProfileFields, RegisterForm
from lms.accounts.models import User
from lms.clock import utcnow
from lms.extensions import db, login_manager

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = "Log in to see this page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    user_id, _, token = cookie_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    return user if user and user.session_token == token else None


def safe_next(target: str | None) -> str | None:
    """Only a path on this site, so a crafted link cannot send people elsewhere after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def start_session(user: User) -> None:
    # A fresh session at login, so a session planted before login is worthless.
    session.clear()
    login_user(user)


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.index"))
    form = RegisterForm()
    form.set_organisations(queries.active_organisations())
    if form.validate_on_submit():
        try:
            user = services.create_user(
                email=form.email.data,
                full_name=form.full_name.data,
                password=form.password.data,
                organisation_id=form.organisation_id.data,
                professional_group=form.professional_group.data,
                registration_body=form.registration_body.data,
                registration_number=form.registration_number.data,
            )
        except services.AccountError as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            start_session(user)
            flash("Your account has been created.", "success")
            return redirect(url_for("catalog.index"))
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        outcome = services.attempt_login(
            form.email.data, form.password.data, request.remote_addr or "unknown", utcnow()
        )
        db.session.commit()
        if outcome.user:
            start_session(outcome.user)
            return redirect(safe_next(request.args.get("next")) or url_for("catalog.index"))
        error = outcome.error
    return render_template("accounts/login.html", form=form, error=error)


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash("You have logged out.", "success")
    return redirect(url_for("accounts.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileFields(obj=current_user)
    form.set_organisations(queries.organisations_for(current_user))
    if form.validate_on_submit():
        services.update_profile(
            current_user,
            full_name=form.full_name.data,
            organisation_id=form.organisation_id.data,
            professional_group=form.professional_group.data,
            registration_body=form.registration_body.data,
            registration_number=form.registration_number.data,
        )
        db.session.commit()
        flash("Your details have been saved.", "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form)


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except services.AccountError as error:
            form.current_password.errors.append(str(error))
        else:
            db.session.commit()
            # The user, not the current_user proxy: Flask-Login keeps what it is given in g.
            login_user(current_user._get_current_object())  # the cookie carries the new session token
            flash("Your password has been changed. Other devices have been logged out.", "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form)
