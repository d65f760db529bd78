"""WTForms fields as parameters for NHS England's component macros (nhsuk-frontend-jinja).

`macros/forms.html` calls `component_for(field)` and hands the parameters to the package's
macro of that name, so the markup is NHS England's and the field's label, hint, value, choices
and first error come from the form.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from wtforms import (
    BooleanField,
    Field,
    FileField,
    MultipleFileField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)

from lms.forms import NHSDateField


def component_for(field: Field, **options: Any) -> tuple[str, dict]:
    """(macro name, params) for `field`: input, passwordInput, textarea, select, radios,
    checkboxes, fileUpload or dateInput. `options` are merged over the params (e.g. width=10,
    classes="...", rows=6; for radios, checkboxes and dates legend="..." and legend_size="m")."""
    params: dict[str, Any] = {"id": field.id, "name": field.name}
    if field.description:
        params["hint"] = {"text": field.description}
    if field.errors:
        params["errorMessage"] = {"text": field.errors[0]}
    attributes = {k: v for k, v in (field.render_kw or {}).items() if v is not False}
    if field.flags.required:
        attributes["required"] = True
    if attributes:
        params["attributes"] = attributes
    own_legend = options.pop("legend", None)
    legend = {"text": own_legend or field.label.text, "size": options.pop("legend_size", "s")}
    if "attributes" in options:  # e.g. accept="application/pdf", added to the field's own
        attributes.update(options.pop("attributes"))

    if isinstance(field, NHSDateField):
        kind = "dateInput"
        params["fieldset"] = {"legend": legend}
        params.pop("name")
        wrong = field.parts_in_error
        params["items"] = [
            {"name": f"{field.name}-{part}", "id": f"{field.id}-{part}", "label": part.capitalize(),
             "value": field.parts.get(part, ""), "width": 4 if part == "year" else 2,
             "classes": "nhsuk-input--error" if part in wrong else ""}
            for part in NHSDateField.PARTS]
        params.pop("attributes", None)
    elif isinstance(field, RadioField):
        kind = "radios"
        params["fieldset"] = {"legend": legend}
        hints = getattr(field, "hints", {})  # a hint under each choice, when the form gives them
        params["items"] = [{"value": value, "text": label, "checked": checked,
                            **({"hint": {"text": hints[value]}} if hints.get(value) else {})}
                           for value, label, checked, *_ in field.iter_choices()]
        params["idPrefix"] = params.pop("id")
    elif isinstance(field, SelectMultipleField):
        kind = "checkboxes"
        params["fieldset"] = {"legend": legend}
        params["items"] = [{"value": value, "text": label, "checked": checked}
                           for value, label, checked, *_ in field.iter_choices()]
        params["idPrefix"] = params.pop("id")
    elif isinstance(field, SelectField):
        kind = "select"
        params["label"] = {"text": field.label.text}
        params["items"] = [{"value": value, "text": label, "selected": selected}
                           for value, label, selected, *_ in field.iter_choices()]
    elif isinstance(field, BooleanField):
        kind = "checkboxes"
        params["idPrefix"] = params.pop("id")
        item = {"value": "y", "text": field.label.text, "checked": bool(field.data), "id": field.id}
        if "hint" in params:
            item["hint"] = params.pop("hint")
        params["items"] = [item]
        if own_legend:  # a box that answers a question of its own, e.g. "Optional emails"
            params["fieldset"] = {"legend": legend}
    elif isinstance(field, FileField | MultipleFileField):
        kind = "fileUpload"
        params["label"] = {"text": field.label.text}
        params["multiple"] = isinstance(field, MultipleFileField)
    elif isinstance(field, PasswordField):
        kind = "passwordInput"
        params["label"] = {"text": field.label.text}
        params["autocomplete"] = attributes.pop("autocomplete", "current-password")
    elif isinstance(field, TextAreaField):
        kind = "textarea"
        params["label"] = {"text": field.label.text}
        params["value"] = field._value()
    else:
        kind = "input"
        params["label"] = {"text": field.label.text}
        params["value"] = field._value()
        input_type = getattr(field.widget, "input_type", "text")
        if input_type != "text":
            params["type"] = input_type
    if attributes:
        # The package writes a bare boolean attribute (`required`) only when told it is optional.
        params["attributes"] = {k: {"value": True, "optional": True} if v is True else v
                                for k, v in attributes.items()}
    else:
        params.pop("attributes", None)
    params.update({k: v for k, v in options.items() if v not in (None, "")})
    return kind, params


def error_list(form, order=None) -> list[dict]:
    """The error summary's links, in the order the fields appear (`order`: field names)."""
    rows = []
    for name in order or form._fields.keys():
        field = form[name]
        for error in field.errors:
            rows.append({"text": error, "href": "#" + error_target(field)})
    return rows


def error_target(field: Field) -> str:
    """The id of the control a field's error should take the person to."""
    if isinstance(field, NHSDateField):
        return f"{field.id}-{(field.parts_in_error or ['day'])[0]}"
    return field.id  # for radios and checkboxes, the package gives the first option this id


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(component_for=component_for, error_list=error_list)
