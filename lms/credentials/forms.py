"""Forms for verification and for university partners."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from lms.accounts.names import check_printable
from lms.forms import NHSDateField


class VerifyCodeForm(FlaskForm):
    code = StringField(
        "Certificate code",
        validators=[InputRequired(message="Enter the code printed on the certificate"),
                    Length(max=40, message="A certificate code is 17 characters, like 7KQ2-M9XD-4TRA-8B")],
        description="It is under the QR code, for example 7KQ2-M9XD-4TRA-8B.",
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )


class VerifyCredentialForm(FlaskForm):
    token = TextAreaField(
        "Open Badges credential",
        validators=[InputRequired(message="Paste the credential"),
                    Length(max=20_000, message="That is too long to be one of our credentials")],
        description="The text of an Open Badges 3.0 credential (a JWT), as downloaded from this service.",
        render_kw={"autocomplete": "off", "spellcheck": "false", "rows": 6},
    )


class VerifyUploadForm(FlaskForm):
    pdf = FileField(
        "Certificate PDF",
        validators=[FileRequired(message="Choose the certificate's PDF file"),
                    FileAllowed(["pdf"], message="Choose a PDF file")],
        description="We compare the file's fingerprint (SHA-256) with our records. The file is not kept.",
    )


TEXT_MAX = Length(max=200, message="Keep it to 200 characters or fewer")


class PartnerSettingsForm(FlaskForm):
    signatory_name = StringField("Signatory's name",
                                 validators=[InputRequired(message="Enter the signatory's name"), TEXT_MAX])
    signatory_title = StringField("Signatory's title",
                                  validators=[InputRequired(message="Enter the signatory's title"), TEXT_MAX],
                                  description="For example: Director of Continuing Professional Development")
    signature = FileField("Signature image (optional)",
                          validators=[FileAllowed(["png", "jpg", "jpeg"], message="Choose a PNG or JPEG image")],
                          description="PNG or JPEG, under 1 MB. It is re-encoded before it is stored.")
    remove_signature = BooleanField("Remove the current signature image")

    # Printed on every certificate of the organisation: a character no font has would stop them all.
    def validate_signatory_name(self, field) -> None:
        _printable(field.data, "The signatory's name")

    def validate_signatory_title(self, field) -> None:
        _printable(field.data, "The signatory's title")


def _printable(text: str | None, what: str) -> None:
    try:
        check_printable(text or "", what)
    except ValueError as error:
        raise ValidationError(str(error)) from error


class RevokeForm(FlaskForm):
    reason = TextAreaField("Reason for revoking", validators=[
        InputRequired(message="Give a reason for revoking"), Length(max=1000)],
        description="Shown on the public verification page.")
    #: Set by the confirmation page: revoking is never one click away.
    confirm = HiddenField()


class ReinstateForm(FlaskForm):
    reason = TextAreaField("Reason for reinstating", validators=[
        InputRequired(message="Give a reason for reinstating"), Length(max=1000)],
        description="For example: revoked by mistake. Kept with the certificate's history.")


class ExportForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    since = NHSDateField("Issued from", validators=[Optional()], noun="The start date")
    until = NHSDateField("Issued up to and including", validators=[Optional()], noun="The end date")


STATUS_CHOICES = [SelectChoice(value, label) for value, label in [
    ("", "Any status"), ("valid", "Valid"), ("revoked", "Revoked"), ("superseded", "Superseded"),
    ("expired", "Expired")]]


class CertificateSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    q = StringField("Name or code", validators=[Optional(), TEXT_MAX])
    status = SelectField("Status", choices=STATUS_CHOICES, validators=[Optional()])
    issued_from = NHSDateField("Issued from", validators=[Optional()], noun="The start date")
    issued_to = NHSDateField("Issued up to and including", validators=[Optional()], noun="The end date")
