"""Our tool's RSA keys: the newest signs, and retired ones stay published for a grace period.

Platforms cache our key set, so a key replaced by `flask lti rotate-key` is still served at
/lti/jwks.json for `LTI_KEY_GRACE_DAYS` (default 7) after the rotation: a platform that fetched the set
before the rotation and a token signed just before it both still verify.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from joserfc.jwk import RSAKey
from sqlalchemy import or_, select

from lms.clock import utcnow
from lms.extensions import db
from lms.lti.models import LtiToolKey

ALGORITHM = "RS256"  # the only algorithm LTI 1.3 requires every platform to support
KEY_BITS = 2048
DEFAULT_GRACE_DAYS = 7


def _new_row_values(now: datetime) -> dict:
    key = RSAKey.generate_key(KEY_BITS, private=True)
    return {"kid": key.thumbprint(), "private_pem": key.as_pem(private=True).decode(), "created_at": now}


def current_key() -> LtiToolKey:
    """The key we sign with now; the first one is made (and committed) when first needed.

    Two processes making the first key at once make two; both are published and the newer one signs.
    Committed in a transaction of its own, so the caller's work is not committed with it.
    """
    row = _newest()
    if row is None:
        with db.engine.begin() as conn:
            conn.execute(LtiToolKey.__table__.insert().values(**_new_row_values(utcnow())))
        row = _newest()
    return row


def _newest() -> LtiToolKey | None:
    return db.session.scalar(select(LtiToolKey).where(LtiToolKey.retired_at.is_(None))
                             .order_by(LtiToolKey.id.desc()).limit(1))


def rotate(now: datetime) -> LtiToolKey:
    """Add a new signing key and retire the others (flushes; the caller commits). Returns the new key."""
    for row in db.session.scalars(select(LtiToolKey).where(LtiToolKey.retired_at.is_(None))):
        row.retired_at = now
    row = LtiToolKey(**_new_row_values(now))
    db.session.add(row)
    db.session.flush()
    return row


def grace() -> timedelta:
    return timedelta(days=current_app.config.get("LTI_KEY_GRACE_DAYS", DEFAULT_GRACE_DAYS))


def public_jwks(now: datetime) -> dict:
    """{"keys": [public JWK, ...]}: the current key and keys retired within the grace period."""
    current_key()
    rows = db.session.scalars(select(LtiToolKey).where(or_(LtiToolKey.retired_at.is_(None),
                                                           LtiToolKey.retired_at > now - grace()))
                              .order_by(LtiToolKey.id))
    return {"keys": [public_jwk(row) for row in rows]}


def public_jwk(row: LtiToolKey) -> dict:
    return {**_public_parts(row.private_pem)[0], "kid": row.kid, "alg": ALGORITHM, "use": "sig"}


def public_pem(row: LtiToolKey) -> str:
    return _public_parts(row.private_pem)[1]


@lru_cache(maxsize=8)
def _public_parts(private_pem: str) -> tuple[dict, str]:
    # Loading an RSA private key checks it (about 0.1 s); a key never changes, so once per process.
    key = RSAKey.import_key(private_pem)
    return key.as_dict(private=False), key.as_pem(private=False).decode()
