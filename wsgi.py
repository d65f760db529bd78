"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from config import SettingError
from lms import create_app

try:
    app = create_app()
except SettingError as error:  # a malformed setting: one clear line instead of a traceback
    raise SystemExit(f"Error: {error}") from None
