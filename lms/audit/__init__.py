"""The audit trail: an append-only record of staff and admin actions.

Call `record(...)` inside the transaction that makes the change, so both commit or neither does.
"""

from lms.audit.models import AuditEntry
from lms.audit.services import record

__all__ = ["AuditEntry", "record"]
