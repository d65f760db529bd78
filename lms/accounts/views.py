"""Register, sign in and out, recovery, profile, password and email. Post/redirect/get throughout."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from lms.accounts import kept_forms, queries, recovery, roles, services, sessions, throttle
from lms.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from lms.accounts.models import User
from lms.clock import utcnow
from lms.extensions import db, login_manager
from lms.forms import ActionForm

bp = Blueprint("accounts", __name__)
ASSET_ENDPOINTS = {"static", "nhsuk_file", "nhsuk_asset"}

login_manager.login_view = "accounts.login"
login_manager.login_message = "Log in to see this page."
login_manager.login_message_category = "info"

SESSION_ENDED = "Your session has ended, so you need to log in again."
KEPT = ("You were logged out before your form was sent. What you typed has been kept: log in again "
        "to check it and send it.")
RESTORED = "You were logged out before your form was sent. What you typed is back in the form: check it and send it."


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    row = sessions.signed_in()  # checked the cookie's "_user_id" already; User.get_id reads only the row's columns
    return sessions.as_user(row) if row is not None and cookie_id == User.get_id(row) else None


@bp.before_app_request
def load_session_first() -> None:
    """Look the session up before the view runs, so its once-a-minute `last_seen_at` write (its own
    short transaction) never waits behind the view's own uncommitted writes on SQLite."""
    if request.endpoint not in ASSET_ENDPOINTS and request.endpoint not in sessions.LOOKED_UP_BY_VIEW:
        sessions.signed_in()


@login_manager.unauthorized_handler
def unauthorized():
    """Send people to log in; a form posted after its session ended is kept for its owner first."""
    owner = sessions.owner_of_ended_session()
    if request.method == "POST" and owner is not None and kept_forms.keep(owner, utcnow()) is not None:
        db.session.commit()
        flash(KEPT, "info")
        return redirect(url_for("accounts.login", next=kept_forms.page_of_form()))
    flash(SESSION_ENDED if owner is not None else login_manager.login_message, "info")
    target = request.full_path.rstrip("?") if request.method == "GET" else kept_forms.page_of_form()
    return redirect(url_for("accounts.login", next=target))


def safe_next(target: str | None) -> str | None:
    """Only a path on this site, so a crafted link cannot send people elsewhere after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def start_session(user: User) -> None:
    # A fresh session at login (new CSRF token too), so a session planted before login is worthless.
    session.clear()
    sessions.start(user, utcnow())
    login_user(user)


def end_session_cookie() -> None:
    """Log out this browser but keep its CSRF token and ended session id, so a form still open in
    another tab is kept for its owner instead of being refused."""
    logout_user()
    keep = {name: session[name] for name in (sessions.SID, "csrf_token") if name in session}
    session.clear()
    session.update(keep)


@bp.app_context_processor
def account_messages() -> dict:
    return {"unverified_message": services.UNVERIFIED_MESSAGE}


def _device_cookie() -> str | None:
    return request.cookies.get(throttle.DEVICE_COOKIE)


def _remember_device(response, user: User):
    response.set_cookie(
        throttle.DEVICE_COOKIE, throttle.device_cookie(_device_cookie(), user.id),
        max_age=int(timedelta(days=throttle.DEVICE_DAYS).total_seconds()), httponly=True, samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


def link_page(view):
    """Pages opened from an emailed link: never cached, and the link (a secret) never sent on as a Referer."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return wrapped


def _link_problem(reason: str, kind: str):
    return render_template("accounts/link_problem.html", reason=reason, kind=kind), 400


# --- register, verify -----------------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.index"))
    form = RegisterForm()
    form.set_organisations(queries.active_organisations())
    if form.validate_on_submit():
        try:
            services.register(
                email=form.email.data,
                full_name=form.full_name.data,
                password=form.password.data,
                now=utcnow(),
                organisation_id=form.organisation_id.data,
                professional_group=form.professional_group.data,
                registration_body=form.registration_body.data,
                registration_number=form.registration_number.data,
            )
        except services.AccountError as error:
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            # The same answer whether or not the address had an account (its owner gets an email).
            session["registered_email"] = services.normalise_email(form.email.data)
            return redirect(url_for("accounts.check_email"))
    return render_template("accounts/register.html", form=form)


@bp.get("/register/check-your-email")
def check_email():
    email = session.get("registered_email")
    if not email:
        return redirect(url_for("accounts.register"))
    return render_template("accounts/check_email.html", email=email)


@bp.get("/verify-email/<token>")
@link_page
def verify_email(token: str):
    try:
        user = services.verify_email(token, utcnow())
    except recovery.LinkError as error:
        return _link_problem(error.reason, "verify")
    db.session.commit()
    return render_template("accounts/email_verified.html", user=user)


@bp.post("/profile/verify-email")
@login_required
def resend_verification():
    if ActionForm().validate_on_submit() and current_user.email_verified_at is None:
        services.send_verification(current_user, utcnow())
        db.session.commit()
        flash(f"We have sent a new link to {current_user.email}. It works for "
              f"{current_app.config['VERIFY_LINK_HOURS']} hours.", "success")
    return redirect(url_for("accounts.profile"))


# --- log in and out -----------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.index"))
    form = LoginForm()
    error = None
    reset_required = False
    if form.validate_on_submit():
        now = utcnow()
        outcome = services.attempt_login(form.email.data, form.password.data, request.remote_addr or "unknown",
                                         now, device_cookie=_device_cookie())
        db.session.commit()
        if outcome.user:
            user = outcome.user
            start_session(user)
            target = safe_next(request.args.get("next")) or url_for("catalog.index")
            kept = kept_forms.newest_for(user.id, now)
            if kept is not None:
                session[kept_forms.FLAG] = True
                target = kept.page if kept.endpoint in kept_forms.REFILLED else url_for("accounts.kept_text")
                flash(RESTORED if kept.endpoint in kept_forms.REFILLED else KEPT.split(":")[0] + ".", "info")
            db.session.commit()
            return _remember_device(redirect(target), user)
        error, reset_required = outcome.error, outcome.reset_required
    return render_template("accounts/login.html", form=form, error=error, reset_required=reset_required)


@bp.post("/logout")
def logout():
    sessions.end_current(utcnow())
    db.session.commit()
    end_session_cookie()
    flash("You have logged out.", "success")
    return redirect(url_for("accounts.login"))


@bp.post("/profile/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    if not ActionForm().validate_on_submit():
        return redirect(url_for("accounts.profile"))
    count = sessions.end_all(current_user, utcnow())
    db.session.commit()
    end_session_cookie()
    flash(f"You have been logged out of all devices ({count}).", "success")
    return redirect(url_for("accounts.login"))


# --- forgotten password -------------------------------------------------------------------------


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = services.normalise_email(form.email.data)
        services.request_password_reset(email, utcnow())
        db.session.commit()
        session["reset_email"] = email
        return redirect(url_for("accounts.reset_sent"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.get("/forgot-password/sent")
def reset_sent():
    email = session.get("reset_email")
    if not email:
        return redirect(url_for("accounts.forgot_password"))
    return render_template("accounts/reset_sent.html", email=email)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@link_page
def reset_password(token: str):
    # The link is only read on GET (mail scanners open links); it is spent by the POST.
    try:
        user = recovery.check_reset(token, utcnow())
    except recovery.LinkError as error:
        return _link_problem(error.reason, "reset")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.new_password.data, utcnow())
        except recovery.LinkError as error:
            db.session.rollback()
            return _link_problem(error.reason, "reset")
        except services.AccountError as error:
            db.session.rollback()
            form.new_password.errors.append(str(error))
        else:
            db.session.commit()
            if current_user.is_authenticated:
                end_session_cookie()
            flash("Your new password is set and you have been logged out everywhere. Log in with your "
                  "new password.", "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, user=user, token=token)


# --- profile ------------------------------------------------------------------------------------


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    form.set_organisations(queries.organisations_for(current_user))
    if current_user.has_role(roles.PARTNER):
        del form.organisation_id  # an admin sets the organisation a partner acts for
    if form.validate_on_submit():
        fields = {"organisation_id": form.organisation_id.data} if "organisation_id" in form else {}
        services.update_profile(
            current_user,
            full_name=form.full_name.data,
            professional_group=form.professional_group.data,
            registration_body=form.registration_body.data,
            registration_number=form.registration_number.data,
            email_reminders=form.email_reminders.data,
            **fields,
        )
        db.session.commit()
        flash("Your details have been saved.", "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form, action_form=ActionForm(),
                           signed_in=sessions.live_count(current_user, utcnow()))


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        device = throttle.read_device(_device_cookie(), current_user.id)
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data,
                                     utcnow(), device=device)
        except services.AccountError as error:
            db.session.commit()  # the failed check counts towards the throttle
            field = form.new_password if isinstance(error, services.WeakPassword) else form.current_password
            field.errors.append(str(error))
        else:
            db.session.commit()
            # The user, not the current_user proxy: Flask-Login keeps what it is given in g.
            login_user(current_user._get_current_object())  # the cookie carries the new session token
            flash("Your password has been changed. Other devices have been logged out.", "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form)


@bp.route("/profile/email", methods=["GET", "POST"])
@login_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        device = throttle.read_device(_device_cookie(), current_user.id)
        try:
            services.request_email_change(current_user, form.current_password.data, form.new_email.data,
                                          utcnow(), device=device)
        except services.AccountError as error:
            db.session.commit()  # the failed check counts towards the throttle
            field = form.new_email if "already your" in str(error) else form.current_password
            field.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"We have sent a link to {services.normalise_email(form.new_email.data)}. Your email address "
                  "changes when you follow it (within 24 hours).", "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_email.html", form=form)


@bp.route("/email-change/<token>", methods=["GET", "POST"])
@link_page
def confirm_email_change(token: str):
    # Confirmed by a button, not by opening the link, so a mail scanner cannot change the address.
    try:
        user, new_email = recovery.check_email_change(token, utcnow())
    except recovery.LinkError as error:
        return _link_problem(error.reason, "change-email")
    form = ActionForm()
    if form.validate_on_submit():
        try:
            services.confirm_email_change(token, utcnow())
        except recovery.LinkError as error:
            db.session.rollback()
            return _link_problem(error.reason, "change-email")
        except services.AccountError as error:
            db.session.rollback()
            return render_template("accounts/confirm_email_change.html", form=form, new_email=new_email,
                                   error=str(error)), 409
        db.session.commit()
        flash(f"Your email address is now {new_email}.", "success")
        return redirect(url_for("accounts.profile" if current_user.is_authenticated else "accounts.login"))
    return render_template("accounts/confirm_email_change.html", form=form, new_email=new_email, error=None)


@bp.route("/profile/kept-text", methods=["GET", "POST"])
@login_required
def kept_text():
    """What was typed into forms posted after a session ended, for pages that cannot refill them."""
    form = ActionForm()
    if form.validate_on_submit():
        kept_forms.discard_all(current_user.id)
        db.session.commit()
        flash("The kept text has been deleted.", "success")
        return redirect(url_for("accounts.profile"))
    rows = kept_forms.all_for(current_user.id, utcnow())
    return render_template("accounts/kept_text.html", rows=rows, form=form)
