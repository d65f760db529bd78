"""Form pieces every domain uses."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.utils import unset_value


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class NHSDateField(Field):
    """A date typed as day, month and year in three boxes (the NHS date input).

    Reads `<name>-day`, `<name>-month` and `<name>-year` from the form data; `data` is a
    `datetime.date` or None when all three are empty. An ISO date in `<name>` itself
    (`?enrolled_from=2025-07-01`) is accepted too, so links and bookmarks can carry one.
    Errors name what is wrong ("The start date must include a month", "... must be a real date")
    using `noun`; `parts_in_error` lists the boxes to mark.
    """

    PARTS = ("day", "month", "year")

    def __init__(self, label=None, validators=None, noun: str = "The date", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.noun = noun
        self.parts: dict[str, str] = {}
        self.parts_in_error: list[str] = []

    def process(self, formdata, data=unset_value, extra_filters=None) -> None:
        self.process_errors = []
        if data is unset_value:
            try:
                data = self.default()
            except TypeError:
                data = self.default
        self.object_data = data
        self.data = data
        self.raw_data = []
        self.parts = _parts_of(data)
        if formdata is None:
            return
        typed = {part: (formdata.get(f"{self.name}-{part}") or "").strip() for part in self.PARTS}
        if any(typed.values()):
            self.parts = typed
            self.raw_data = ["-".join(typed[p] for p in ("year", "month", "day"))]
        elif formdata.get(self.name):
            self.raw_data = [formdata.get(self.name).strip()]
            year, _, rest = self.raw_data[0].partition("-")
            month, _, day = rest.partition("-")
            self.parts = {"day": day, "month": month, "year": year}
        else:
            return
        try:
            self.data = self._parse(self.parts)
        except ValueError as error:
            self.data = None
            self.process_errors.append(error.args[0])

    def _parse(self, parts: dict[str, str]) -> date:
        missing = [p for p in self.PARTS if not parts.get(p)]
        if missing:
            self.parts_in_error = missing
            raise ValueError(f"{self.noun} must include a {' and a '.join(missing)}")
        not_numbers = [p for p in self.PARTS if not parts[p].isdigit()]
        if not_numbers:
            self.parts_in_error = not_numbers
            raise ValueError(f"{self.noun} must be a real date, in numbers, for example 31 3 2025")
        if len(parts["year"]) != 4:
            self.parts_in_error = ["year"]
            raise ValueError(f"{self.noun} must include a year with 4 numbers")
        try:
            return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            self.parts_in_error = list(self.PARTS)
            raise ValueError(f"{self.noun} must be a real date") from None


def _parts_of(value) -> dict[str, str]:
    if not isinstance(value, date):
        return {}
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
