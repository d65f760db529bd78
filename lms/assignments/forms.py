"""Forms for submitting and marking assignments. Rubric radios are read by the view (they depend on the rubric)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import Length

from lms.assignments.services import FEEDBACK_MAX, TEXT_MAX


class SubmissionForm(FlaskForm):
    text = TextAreaField("Your answer", validators=[
        Length(max=TEXT_MAX, message=f"Your answer must be shorter than {TEXT_MAX:,} characters")])
    upload = FileField("Attach a file (optional)",
                       description="One PDF or Word (.docx) file, smaller than 10 MB. A new file replaces the old one.")


class MarkForm(FlaskForm):
    feedback = TextAreaField("Feedback for the learner", validators=[
        Length(max=FEEDBACK_MAX, message=f"Keep the feedback under {FEEDBACK_MAX:,} characters")],
        description="The learner sees this with their mark once it is released.")
