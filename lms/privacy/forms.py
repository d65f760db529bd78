"""Forms for requesting data and deleting an account (each with a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Optional


class RequestExportForm(FlaskForm):
    pass


class DeleteAccountForm(FlaskForm):
    confirm = BooleanField(
        "I understand that my account, progress, answers and reflections will be deleted for good",
        validators=[DataRequired(message="Confirm that you want to delete your account")],
    )
    password = PasswordField(
        "Your password",
        validators=[Optional()],
        render_kw={"autocomplete": "current-password"},
        description="If you signed in with your work account, leave this empty: "
                    "you need to have signed in within the last 10 minutes instead.",
    )
