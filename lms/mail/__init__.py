"""Email: every message goes out through a job, so a mail server that is down never fails anything else.

`send(to, template, key, **context)` enqueues a message in the current transaction (JSON-able context);
`deliver(to, template, context, attachments)` sends one now and raises on failure (for use inside a
job handler that needs attachments, e.g. a certificate's PDF). Templates: `templates/mail/<template>.txt`
and `.html`, the subject from the template's first line.
"""

from lms.mail.services import deliver, send

__all__ = ["deliver", "send"]
