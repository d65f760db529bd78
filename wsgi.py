"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from lms import create_app
from lms.sso import SSOConfigError

try:
    app = create_app()
except SSOConfigError as error:
    raise SystemExit(f"Configuration error: {error}") from None  # one line, naming the setting
