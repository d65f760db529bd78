"""Account forms. Every form carries a CSRF token (Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from lms.accounts import roles
from lms.accounts.names import NAME_MAX, check_printable, clean_name
from lms.accounts.organisations import KINDS
from lms.accounts.services import PASSWORD_MAX, PASSWORD_MIN

PASSWORD_HINT = (f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters. A passphrase of three or four unrelated words "
                 "is hard to guess and easy to remember.")


def options(pairs, optgroup: str | None = None) -> list[SelectChoice]:
    return [SelectChoice(value, label, optgroup=optgroup) for value, label in pairs]


def password_field(label: str, autocomplete: str = "new-password") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired(message="Enter a password"),
            Length(min=PASSWORD_MIN, max=PASSWORD_MAX,
                   message=f"Password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters"),
        ],
        render_kw={"autocomplete": autocomplete},
        description=PASSWORD_HINT,
    )


class ProfileFields(FlaskForm):
    full_name = StringField(
        "Full name",
        validators=[InputRequired(message="Enter your full name"), Length(max=NAME_MAX,
                    message=f"Your name must be {NAME_MAX} characters or fewer")],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        description="As it should appear on your certificates.",
        render_kw={"autocomplete": "name", "spellcheck": "false"},
    )
    organisation_id = SelectField(
        "Organisation", validators=[InputRequired(message="Select your organisation")],
        validate_choice=True,
    )
    professional_group = SelectField(
        "Professional group",
        choices=options([("", "Select your professional group"), *roles.PROFESSIONAL_GROUPS.items()]),
        validators=[InputRequired(message="Select your professional group")],
    )
    registration_body = SelectField(
        "Professional registration body (optional)",
        choices=options([("", "None"), *roles.REGISTRATION_BODIES.items()]),
        validators=[Optional()],
    )
    registration_number = StringField(
        "Registration number (optional)",
        validators=[Optional(), Length(max=32, message="Registration number must be 32 characters or fewer")],
        description="For example your GMC, NMC or HCPC number. It is printed on your certificates.",
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )

    def set_organisations(self, organisations) -> None:
        """Choices grouped by kind of organisation."""
        self.organisation_id.choices = [SelectChoice("", "Select your organisation")] + [
            SelectChoice(org.id, org.name, optgroup=KINDS.get(org.kind, "Other"))
            for org in organisations
        ]

    def validate_full_name(self, field) -> None:
        try:
            field.data = clean_name(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from error

    def validate_registration_number(self, field) -> None:
        if field.data:
            try:
                check_printable(field.data, "The registration number")
            except ValueError as error:
                raise ValidationError(str(error)) from error
        if field.data and not self.registration_body.data:
            raise ValidationError("Select the body that holds your registration, or leave the number empty")

    def validate_registration_body(self, field) -> None:
        if field.data and not (self.registration_number.data or "").strip():
            raise ValidationError("Enter your registration number, or choose None")


class ProfileForm(ProfileFields):
    email_reminders = BooleanField(
        "Certificate expiry reminders",
        description="Emails 90, 30 and 7 days before a certificate expires. Emails about your account and "
                    "your certificates being issued, revoked or reinstated are always sent.",
    )


class RegisterForm(ProfileFields):
    email = EmailField(
        "Email address",
        validators=[InputRequired(message="Enter your email address"),
                    Email(message="Enter an email address in the correct format, like name@example.nhs.uk"),
                    Length(max=254)],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    password = password_field("Create a password")

    field_order = ("full_name", "email", "password", "organisation_id", "professional_group",
                   "registration_body", "registration_number")


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired(message="Enter your email address")],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired(message="Enter your password")],
        render_kw={"autocomplete": "current-password"},
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired(message="Enter your current password")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = password_field("New password")


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired(message="Enter your email address"), Length(max=254)],
        description="We will email you a link to set a new password. The link works once, for 1 hour.",
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


class ResetPasswordForm(FlaskForm):
    new_password = password_field("New password")


class ChangeEmailForm(FlaskForm):
    new_email = EmailField(
        "New email address",
        validators=[InputRequired(message="Enter your new email address"),
                    Email(message="Enter an email address in the correct format, like name@example.nhs.uk"),
                    Length(max=254)],
        description="We will send a link to the new address. Your address changes when you follow it.",
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired(message="Enter your current password")],
        render_kw={"autocomplete": "current-password"},
    )
