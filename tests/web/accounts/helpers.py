"""Reading what the accounts code sent: the outbox rows of the "mail.send" jobs."""

import re

from sqlalchemy import select

from lms.extensions import db
from lms.jobs.models import Job


def mails(template: str | None = None, to: str | None = None) -> list[dict]:
    """Payloads of the emails enqueued so far (oldest first), optionally of one template or recipient."""
    db.session.expire_all()
    rows = db.session.scalars(select(Job).where(Job.task == "mail.send").order_by(Job.id))
    return [job.payload for job in rows
            if (template is None or job.payload["template"] == template) and (to is None or job.payload["to"] == to)]


def link_path(url: str) -> str:
    """The path of an emailed link, for the test client."""
    return re.sub(r"^https?://[^/]+", "", url)
