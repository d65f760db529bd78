"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from config import SettingError
from lms import create_app

try:
    app = create_app()
except SettingError as error:  # a malformed setting (email, single sign-on, ...): one clear line, no traceback
    raise SystemExit(f"Configuration error: {error}") from None
