"""The app a real worker subprocess runs in tests: the product's app plus the test handlers."""

from lms import create_app
from tests.jobs import tasks  # noqa: F401 - registers the test handlers

app = create_app()
