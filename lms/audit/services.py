"""Writing the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.extensions import db


def record(action: str, target_type: str, target_id: object, *, actor_id: int | None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           via: str = "web", now: datetime | None = None) -> AuditEntry:
    """Add one entry to the current transaction (it commits with the change it describes)."""
    entry = AuditEntry(at=now or utcnow(), actor_id=actor_id, via=via, action=action,
                       target_type=target_type, target_id=str(target_id), before=before, after=after)
    db.session.add(entry)
    return entry
