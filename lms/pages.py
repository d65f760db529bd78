"""Static information pages linked from the footer."""

from flask import Blueprint, render_template

bp = Blueprint("pages", __name__)


@bp.get("/accessibility")
def accessibility():
    return render_template("pages/accessibility.html")


@bp.get("/help")
def help():  # noqa: A001 - the page's name
    return render_template("pages/help.html")


@bp.get("/privacy")
def privacy():
    return render_template("pages/privacy.html")
