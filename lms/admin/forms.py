"""Admin forms: GET filters (no CSRF token, they only narrow what is shown) and POST changes (CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Form, HiddenField, SelectField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from lms.accounts.organisations import KINDS
from lms.accounts.roles import ROLES
from lms.catalog.models import STAFF_ROLES
from lms.forms import NHSDateField
from lms.reports.forms import choices

STATUSES = {"active": "Active", "deactivated": "Deactivated"}


EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.nhs.uk"


class UserFilterForm(Form):
    q = StringField("Name or email address", validators=[Optional(), Length(max=200)],
                    render_kw={"spellcheck": "false", "autocomplete": "off"})
    role = SelectField("Role", choices=choices([("", "All roles"), *ROLES.items()]),
                       validators=[Optional()], validate_choice=True)
    organisation = SelectField("Organisation", validators=[Optional()], validate_choice=True)
    status = SelectField("Status", choices=choices([("", "Any status"), *STATUSES.items()]),
                         validators=[Optional()], validate_choice=True)

    def set_organisations(self, organisations: list[tuple[str, str]]) -> None:
        self.organisation.choices = choices([("", "All organisations"), *organisations])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=choices(ROLES.items()), validators=[InputRequired()], validate_choice=True)


class UserOrganisationForm(FlaskForm):
    organisation_id = SelectField("Organisation", validators=[Optional()], validate_choice=True,
                                  description="For a university partner, the organisation whose "
                                              "certificates they approve and sign.")

    def set_organisations(self, organisations: list[tuple[str, str]]) -> None:
        self.organisation_id.choices = choices([("", "None"), *organisations])


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class StaffAddForm(FlaskForm):
    email = EmailField("Email address of their account",
                       validators=[InputRequired(message="Enter the email address of their account"),
                                   Email(message=EMAIL_FORMAT)],
                       render_kw={"spellcheck": "false", "autocomplete": "off"})
    role = SelectField("Role on this course", choices=choices([(r, r.capitalize()) for r in STAFF_ROLES]),
                       validators=[InputRequired()], validate_choice=True)


class StaffRemoveForm(FlaskForm):
    user_id = HiddenField(validators=[InputRequired()])


class OrganisationForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(message="Enter the organisation's name"), Length(max=200)])
    kind = SelectField("Kind", choices=choices(KINDS.items()), validators=[InputRequired()], validate_choice=True)
    active = BooleanField("Offered when people register or change their details", default=True)


class AuditFilterForm(Form):
    action = SelectField("Action", validators=[Optional()], validate_choice=True)
    actor = StringField("Who (email address or part of it)", validators=[Optional(), Length(max=254)],
                        render_kw={"spellcheck": "false", "autocomplete": "off"})
    target_type = SelectField("Object", validators=[Optional()], validate_choice=True)
    target_id = StringField("Object id", validators=[Optional(), Length(max=64)],
                            render_kw={"spellcheck": "false", "autocomplete": "off"})
    date_from = NHSDateField("On or after (London date)", validators=[Optional()], noun="The start date")
    date_to = NHSDateField("On or before (London date)", validators=[Optional()], noun="The end date")

    def set_choices(self, actions: list[str], target_types: list[str]) -> None:
        self.action.choices = choices([("", "All actions"), *[(a, a) for a in actions]])
        self.target_type.choices = choices([("", "All objects"), *[(t, t) for t in target_types]])

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date must be the same as or after the start date")
