"""Who may open what: decorators for views."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def role_required(*names: str):
    """Only people with one of these roles; everyone else gets 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*names):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
