"""The NHS.UK frontend: serves the npm package's CSS, JS and assets, and template helpers."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, request, send_from_directory
from flask_login import current_user
from jinja2 import ChainableUndefined, ChoiceLoader, PackageLoader

from lms import widgets
from lms.accounts.roles import ROLES

NHSUK_FILES = {"nhsuk-frontend.min.css", "nhsuk-frontend.min.js"}

# The header menu: (endpoint, label, roles that see it; None = everyone logged in or not).
NAVIGATION = (
    ("catalog.index", "Courses", None),
    ("learning.dashboard", "My learning", "any"),
    ("reports.index", "Reports", ("educator", "partner", "lead", "admin")),
    ("credentials.manage", "Certificates", ("partner", "admin")),
    ("reports.programme", "Programme", ("lead", "admin")),
    ("admin.index", "Admin", ("admin",)),
    ("jobs.admin_list", "Jobs", ("admin",)),
)

#: Pages whose menu section is not their blueprint's: course pages belong to Courses, as their
#: breadcrumbs say; None means no menu item is the page's section.
SECTION_OF = {
    "learning.course_page": "catalog.index",
    "learning.lesson": "catalog.index",
    "learning.attempt": "catalog.index",
    "credentials.verify": None,
    "credentials.verify_code": None,
    "credentials.download": None,
}


def init_app(app: Flask) -> None:
    use_nhsuk_macros(app)
    frontend_dir = Path(app.config["NHSUK_FRONTEND_DIR"])

    @app.get("/vendor/nhsuk/<name>")
    def nhsuk_file(name: str):
        if name not in NHSUK_FILES:
            abort(404)
        return send_from_directory(frontend_dir, name, max_age=3600)

    # The frontend's CSS refers to its icons as /assets/..., so they are served there.
    @app.get("/assets/<path:filename>")
    def nhsuk_asset(filename: str):
        return send_from_directory(frontend_dir / "assets", filename, max_age=86400)

    def main_navigation() -> list[tuple[str, str, bool]]:
        """(endpoint, label, is current) for the menu items this person may use."""
        items = []
        for endpoint, label, who in NAVIGATION:
            if endpoint not in app.view_functions:
                continue
            if who is not None and not current_user.is_authenticated:
                continue
            if isinstance(who, tuple) and current_user.role not in who:
                continue
            items.append((endpoint, label))
        here = request.endpoint or ""
        # The item for this exact page, or the section the page belongs to, or else the first item
        # for this part of the site; pages of no section (profile, verify, help) highlight nothing.
        section = SECTION_OF.get(here, here.split(".")[0])
        current = next((e for e, _ in items if e == here), None) or next(
            (e for e, _ in items if e == section or e.split(".")[0] == section), None)
        return [(endpoint, label, endpoint == current) for endpoint, label in items]

    @app.context_processor
    def service_globals() -> dict:
        return {
            "service_name": app.config["SERVICE_NAME"],
            "main_navigation": main_navigation,
            "role_names": ROLES,
        }


def use_nhsuk_macros(app: Flask) -> None:
    """Make NHS England's component macros importable, e.g. `nhsuk/components/button/macro.jinja`.

    Our templates come first; ChainableUndefined is what the package's macros expect, since
    they read optional parameters like `params.hint.text` without checking each level.
    """
    app.jinja_env.loader = ChoiceLoader([app.jinja_env.loader, PackageLoader("nhsuk_frontend_jinja")])
    app.jinja_env.undefined = ChainableUndefined
    # Flask escapes only .html and the like; the package's templates end in .jinja and print
    # labels, values and hints, so they must be escaped too.
    app.jinja_env.autoescape = lambda name: app.select_jinja_autoescape(name) or name.endswith(".jinja")
    widgets.init_app(app)
