"""The service's key for signing Open Badges credentials: made on first use, kept in the database.

In the database (not instance/) so every web host and worker signs with the same key and a backup
restores it with the certificates it signed. Keys are never deleted: a credential signed before a
rotation still verifies against the published key set.
"""

from __future__ import annotations

import json
from datetime import datetime

from joserfc.jwk import ECKey, KeySet
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.database import insert_or_ignore
from lms.extensions import db

ALGORITHM = "ES256"  # P-256: the JOSE algorithm wallets and JWT libraries support most widely
CURVE = "P-256"


class SigningKey(db.Model):
    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: RFC 7638 thumbprint of the public key; the JWT header's kid ends with it.
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    #: The private key as a JWK (JSON text).
    private_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


def current_key() -> ECKey:
    """The newest signing key, made (and committed) the first time one is needed.

    Two processes making the first key at once both insert row 1; one insert is ignored and both
    then read the same key.
    """
    row = db.session.scalar(select(SigningKey).order_by(SigningKey.id.desc()).limit(1))
    if row is None:
        key = ECKey.generate_key(CURVE, private=True)
        insert_or_ignore(SigningKey, {"id": 1, "kid": key.thumbprint(),
                                      "private_jwk": json.dumps(key.as_dict(private=True)), "created_at": utcnow()})
        db.session.commit()
        row = db.session.scalar(select(SigningKey).order_by(SigningKey.id.desc()).limit(1))
    return _load(row)


def _load(row: SigningKey) -> ECKey:
    return ECKey.import_key(json.loads(row.private_jwk), parameters={"kid": row.kid, "alg": ALGORITHM, "use": "sig"})


def public_key_set() -> KeySet:
    """Every key we have signed with, public parts only (make one first if there is none)."""
    current_key()
    return KeySet([_load(row) for row in db.session.scalars(select(SigningKey).order_by(SigningKey.id))])


def public_jwks() -> dict:
    """{"keys": [public JWK, ...]} for /.well-known/jwks.json."""
    return public_key_set().as_dict(private=False)
