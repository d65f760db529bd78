"""Forms of the LTI pages: the deep-linking choice and an admin's platform registration."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import URL, InputRequired, Length, Optional, ValidationError


class DeepLinkForm(FlaskForm):
    choice = RadioField("What should this link open?", validate_choice=True,
                        validators=[InputRequired(message="Choose a course or a module")])


def _https_or_local(_form, field) -> None:
    if field.data and not field.data.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValidationError("Enter an address starting https://")


class PlatformForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(message="Enter a name for this VLE"), Length(max=200)])
    issuer = StringField("Issuer", validators=[InputRequired(message="Enter the platform's issuer"),
                                               Length(max=500), _https_or_local],
                         description="The platform ID your VLE gives, for example https://moodle.example.ac.uk")
    client_id = StringField("Client ID", validators=[InputRequired(message="Enter the client ID"), Length(max=255)])
    deployment_ids = TextAreaField("Deployment IDs", description="One a line.",
                                   validators=[InputRequired(message="Enter at least one deployment ID")])
    key_set_url = StringField("Public keyset URL",
                              validators=[InputRequired(message="Enter the keyset URL"), URL(require_tld=False),
                                          Length(max=500), _https_or_local])
    auth_login_url = StringField("Authentication request URL",
                                 validators=[InputRequired(message="Enter the authentication request URL"),
                                             URL(require_tld=False), Length(max=500), _https_or_local])
    token_url = StringField("Access token URL", validators=[InputRequired(message="Enter the access token URL"),
                                                            URL(require_tld=False), Length(max=500), _https_or_local])
    default_track = StringField("Default track", validators=[Optional(), Length(max=64)],
                                description="For links that name no track; leave empty for each course's first track.")
    organisation_id = SelectField("Organisation of new accounts", validators=[Optional()], validate_choice=True)
    active = BooleanField("Accept launches from this VLE", default=True)

    def deployment_id_list(self) -> list[str]:
        return [line.strip() for line in (self.deployment_ids.data or "").splitlines() if line.strip()]
