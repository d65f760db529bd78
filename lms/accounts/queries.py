"""Read-only helpers for accounts."""

from __future__ import annotations

from sqlalchemy import select

from lms.accounts.models import Organisation, User
from lms.extensions import db


def active_organisations() -> list[Organisation]:
    return list(db.session.scalars(
        select(Organisation).where(Organisation.active).order_by(Organisation.kind, Organisation.name)
    ))


def organisations_for(user: User | None) -> list[Organisation]:
    """The registration list, plus the person's own organisation if it has been retired."""
    orgs = active_organisations()
    if user and user.organisation and not user.organisation.active:
        orgs.append(user.organisation)
    return orgs
