"""Learners' forms. Quiz answers are read by the view (their fields depend on the lesson)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from lms.catalog.tracks import TRACK_DESCRIPTIONS, track_label

NOTE_MAX = 20_000


class TrackForm(FlaskForm):
    track = RadioField("Choose your track", validators=[InputRequired(message="Choose a track")])

    def set_tracks(self, tracks: list[str]) -> None:
        self.track.choices = [SelectChoice(t, track_label(t)) for t in tracks]
        self.track.hints = {t: TRACK_DESCRIPTIONS.get(t, "") for t in tracks}


class QuizForm(FlaskForm):
    token = HiddenField()


class ReflectionForm(FlaskForm):
    text = TextAreaField(
        "Your reflection",
        validators=[Length(max=NOTE_MAX, message=f"Keep your note under {NOTE_MAX:,} characters")],
        description="Private: only you can read this. It is kept with your CPD record.",
    )
