"""Signals other domains listen to, so accounts never imports them (credentials listens here)."""

from blinker import Namespace

_signals = Namespace()

#: Sent when a person first confirms their email address; receivers get `user=` and `now=`.
email_verified = _signals.signal("email-verified")
