"""Set-password links (placeholder of the accounts work's recovery module, which replaces this file).

A link carries a signed token naming the account and a fingerprint of its password hash, so it
stops working as soon as the password is set (single use) and after its expiry.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import URLSafeSerializer

from lms.accounts.models import User


def reset_url(user: User, now: datetime, hours: int = 168) -> str:
    """An absolute link at which `user` chooses a new password; valid for `hours` from `now` (UTC), once."""
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="password-reset")
    token = serializer.dumps({
        "user": user.id,
        "password": hashlib.sha256(user.password_hash.encode()).hexdigest()[:16],
        "expires": int((now + timedelta(hours=hours)).timestamp()),
    })
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/password/reset/{token}"
