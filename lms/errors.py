"""Error pages in the NHS design; a missing or wrong CSRF token gets the 400 page."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: ("There is a problem with your request",
          "The page could not use what was sent. If you were filling in a form, go back, "
          "reload the page and try again."),
    403: ("You do not have access to this page",
          "Your account does not have permission to see this page."),
    404: ("Page not found",
          "If you typed the web address, check it is correct. If you pasted it, check you "
          "copied the whole address."),
    405: ("There is a problem with your request", "This page cannot be used in that way."),
    413: ("The file is too large", "Choose a smaller file and try again."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    500: ("Sorry, there is a problem with the service",
          "Try again later. If the problem continues, contact the programme team."),
}


def render_error(code: int, detail: str | None = None):
    title, text = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title,
                           text=detail or text), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        return render_error(
            400,
            "Your form expired or was sent from somewhere else. Go back, reload the page and "
            "try again. Nothing was saved.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_error(error.code or 500)

    @app.errorhandler(InternalServerError)
    def server_error(_error: InternalServerError):
        return render_error(500)
