"""Email: every message goes out through a job, so a mail server that is down never fails anything else.

`send(to, template, key, **context)` enqueues a message in the current transaction (JSON-able context);
`deliver(to, template, context, attachments)` sends one now and raises on failure (for use inside a
job handler that needs attachments, e.g. a certificate's PDF). Templates: `templates/mail/<template>.txt`
(first line: the subject) and `.html` (extending `mail/_layout.html`). Settings: MAIL_* in config.py.
"""

from lms.mail.services import MailDeliveryError, deliver, init_app, public_url, render, send
from lms.mail.settings import MailSettingError

__all__ = ["MailDeliveryError", "MailSettingError", "deliver", "init_app", "public_url", "render", "send"]
