"""Filter forms. They only narrow what is shown, so they use GET and carry no CSRF token."""

from __future__ import annotations

from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from lms.catalog.tracks import track_label
from lms.forms import NHSDateField


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class ProgressFilterForm(Form):
    track = SelectField("Track", validators=[Optional()], validate_choice=True)
    organisation = SelectField("Organisation", validators=[Optional()], validate_choice=True)
    enrolled_from = NHSDateField("Enrolled on or after", validators=[Optional()], noun="The start date")
    enrolled_to = NHSDateField("Enrolled on or before", validators=[Optional()], noun="The end date")

    def set_choices(self, tracks: list[str], organisations: list[tuple[str, str]]) -> None:
        self.track.choices = choices([("", "All tracks"), *[(t, track_label(t)) for t in tracks]])
        self.organisation.choices = choices([("", "All organisations"), *organisations])

    def validate_enrolled_to(self, field) -> None:
        if field.data and self.enrolled_from.data and field.data < self.enrolled_from.data:
            raise ValidationError("The end date must be the same as or after the start date")


class QuarterForm(Form):
    quarter = SelectField("Period", validators=[Optional()], validate_choice=True)


class QuestionFilterForm(Form):
    attempts = SelectField("Attempts counted",
                           choices=choices([("all", "Every attempt"), ("first", "First attempts only")]),
                           default="all", validators=[Optional()], validate_choice=True)
