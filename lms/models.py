"""Imports every domain's models, so the metadata (and Alembic) sees every table."""

from lms.accounts.models import Organisation, User  # noqa: F401
from lms.ratelimit import RateEvent  # noqa: F401
