"""The NHS date input field and the widget layer that renders fields through nhsuk-frontend-jinja."""

import re
from datetime import date

import pytest
from flask import render_template_string
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    Form,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from lms.forms import NHSDateField


class DateForm(Form):
    start = NHSDateField("Start", validators=[Optional()], noun="The start date")


def parsed(**typed):
    form = DateForm(MultiDict({f"start-{k}": v for k, v in typed.items()}))
    form.validate()
    return form.start.data, form.start.errors, form.start.parts_in_error


def test_three_boxes_make_a_date():
    assert parsed(day="7", month="03", year="2025") == (date(2025, 3, 7), [], [])
    assert parsed(day=" 31 ", month="12", year="1999")[0] == date(1999, 12, 31)


def test_all_empty_is_no_date_and_no_error():
    assert parsed(day="", month="", year="") == (None, [], [])
    assert parsed() == (None, [], [])


@pytest.mark.parametrize(("typed", "message", "boxes"), [
    ({"day": "7", "year": "2025"}, "The start date must include a month", ["month"]),
    ({"month": "3"}, "The start date must include a day and a year", ["day", "year"]),
    ({"day": "31", "month": "2", "year": "2025"}, "The start date must be a real date", ["day", "month", "year"]),
    ({"day": "1", "month": "13", "year": "2025"}, "The start date must be a real date", ["day", "month", "year"]),
    ({"day": "x", "month": "3", "year": "2025"},
     "The start date must be a real date, in numbers, for example 31 3 2025", ["day"]),
    ({"day": "1", "month": "3", "year": "25"}, "The start date must include a year with 4 numbers", ["year"]),
])
def test_clear_errors_name_the_wrong_box(typed, message, boxes):
    data, errors, wrong = parsed(**typed)
    assert data is None and errors == [message] and wrong == boxes


def test_an_iso_date_in_one_parameter_is_read_for_links():
    form = DateForm(MultiDict({"start": "2025-07-01"}))
    assert form.validate() and form.start.data == date(2025, 7, 1)
    assert form.start.parts == {"day": "01", "month": "07", "year": "2025"}


class EveryKind(Form):
    name = StringField("Full name", validators=[InputRequired(message="Enter your name")],
                       description="As on your badge")
    secret = PasswordField("Password")
    notes = TextAreaField("Notes")
    colour = SelectField("Colour", choices=[SelectChoice("r", "Red"), SelectChoice("g", "Green")])
    size = RadioField("Size", choices=[SelectChoice("s", "Small"), SelectChoice("l", "Large")])
    agree = BooleanField("I agree")
    start = NHSDateField("Start", validators=[Optional()], noun="The start date")


def render(form):
    html = render_template_string(
        '{% import "macros/forms.html" as f %}{{ f.error_summary(form) }}'
        '{% for field in form %}{{ f.field(field) }}{% endfor %}', form=form)
    return re.sub(r"\s*([<>])\s*", r"\1", re.sub(r"\s+", " ", html))  # the package's markup is airy


def test_each_field_kind_renders_through_the_nhs_macros(app):
    form = EveryKind(MultiDict({"name": "", "colour": "g", "size": "l", "agree": "y",
                                "start-day": "1", "start-year": "2025"}))
    form.validate()
    with app.test_request_context():
        html = render(form)
    # Error summary: NHS markup, one link per error, to the right control.
    assert 'class="nhsuk-error-summary"' in html and "There is a problem" in html
    assert '<a href="#name">Enter your name</a>' in html
    assert '<a href="#start-month">The start date must include a month</a>' in html
    # Label, hint and inline error tied to the input.
    assert '<label class="nhsuk-label" for="name">Full name</label>' in html
    assert ' required>' in html  # a bare boolean attribute, not required="true"
    assert 'id="name-hint"' in html and 'aria-describedby="name-hint name-error"' in html
    assert "nhsuk-input--error" in html
    assert 'nhsuk-password-input" data-module="nhsuk-password-input"' in html and 'class="nhsuk-textarea"' in html
    assert '<option value="g" selected>Green</option>' in html
    assert 'type="radio"' in html and 'value="l" checked' in html
    assert 'type="checkbox"' in html and 'name="agree"' in html
    # The date input: three boxes, typed values kept, the missing box marked.
    assert 'class="nhsuk-date-input"' in html
    assert 'name="start-day"' in html and 'name="start-month"' in html and 'name="start-year"' in html
    assert 'id="start-month" name="start-month" type="text"' in html and 'inputmode="numeric"' in html
    assert 'nhsuk-date-input__input nhsuk-input--error" id="start-month"' in html
    assert 'nhsuk-input--error" id="start-day"' not in html and 'value="2025"' in html


def test_no_hand_written_component_markup_is_left_in_our_macros():
    from pathlib import Path

    macros = Path("lms/templates/macros")
    for name in ("forms.html",):
        text = (macros / name).read_text()
        assert "<input" not in text and "<label" not in text and "<select" not in text
        assert "nhsuk-error-summary" not in text and "<button" not in text


def test_what_people_typed_is_escaped_in_the_packages_markup(app):
    class Typed(Form):
        name = StringField("Name <i>")
        notes = TextAreaField("Notes")
        colour = SelectField("Colour", choices=[SelectChoice("<x>", "<b>bold</b>")])

    form = Typed(MultiDict({"name": '"><script>alert(1)</script>', "notes": "a <b> & c", "colour": "<x>"}))
    with app.test_request_context():
        html = render(form)
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "a &lt;b&gt; &amp; c</textarea>" in html and "Name &lt;i&gt;" in html


def test_a_file_field_stays_the_browsers_own_input(app):
    from wtforms import FileField

    class Upload(Form):
        pdf = FileField("Certificate PDF")

    with app.test_request_context():
        html = render(Upload())
    assert '<label class="nhsuk-label" for="pdf">Certificate PDF</label>' in html
    assert 'type="file"' in html and "data-module" not in html  # no "Choose file" button named otherwise
