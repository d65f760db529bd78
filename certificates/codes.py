"""Verification codes: unguessable, easy to read aloud, typos caught before a lookup.

A code is 13 random Crockford base32 symbols (65 bits from `secrets`) followed by
Crockford's mod-37 check symbol: 14 symbols, printed and stored in groups of four with
the last of two, 17 characters in all: ``7KQ2-M9XD-4TRA-3X``.

Crockford's check alphabet adds ``*~$=U`` for check values 32 to 36. Those are awkward
on paper and in URLs, so `new_code` draws again whenever the check value would be one of
them (a 5-in-37 chance). Every code is therefore plain letters and digits, and the
entropy is 65 - log2(37/32) = 64.79 bits (`ENTROPY_BITS`).

`normalise_code` accepts what people type: lower case, spaces or hyphens anywhere or
nowhere, ``I``/``L`` for one and ``O`` for zero. The check symbol catches every single
wrong symbol and every swap of two neighbouring symbols, so most typos are rejected
without touching the database.
"""

from __future__ import annotations

import math
import re
import secrets

#: Crockford's base32 alphabet: digits and upper-case letters without I, L, O and U.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Random symbols per code (each carries 5 bits).
DATA_SYMBOLS = 13
#: Symbols per printed group.
GROUP = 4
#: Bits of entropy in a code (see the module docstring for the arithmetic).
ENTROPY_BITS = DATA_SYMBOLS * 5 - math.log2(37 / 32)

# Room for any spacing people use, without scanning megabytes sent to a public form.
_LONGEST_TYPED = 64
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Crockford's decoding: read I and L as one, O as zero.
_TYPED = str.maketrans({"I": "1", "L": "1", "O": "0"})
# Spaces, hyphens and the dashes a word processor or PDF viewer may substitute.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_.]+")


def new_code() -> str:
    """Return a fresh random code, e.g. ``"7KQ2-M9XD-4TRA-3X"`` (see the module docstring)."""
    while True:
        value = secrets.randbits(DATA_SYMBOLS * 5)
        check = value % 37
        if check < len(ALPHABET):
            return _format(_encode(value) + ALPHABET[check])


def normalise_code(text: str) -> str | None:
    """Return the canonical form of a typed code, or None if it cannot be one of ours.

    None means malformed or failing the check symbol; a code that passes still has to be
    looked up.
    """
    if len(text) > _LONGEST_TYPED:
        return None
    symbols = _SEPARATORS.sub("", text).upper().translate(_TYPED)
    if len(symbols) != DATA_SYMBOLS + 1 or any(s not in _VALUES for s in symbols):
        return None
    value = 0
    for symbol in symbols[:-1]:
        value = value * 32 + _VALUES[symbol]
    if value % 37 != _VALUES[symbols[-1]]:
        return None
    return _format(symbols)


def _encode(value: int) -> str:
    symbols = []
    for _ in range(DATA_SYMBOLS):
        value, digit = divmod(value, 32)
        symbols.append(ALPHABET[digit])
    return "".join(reversed(symbols))


def _format(symbols: str) -> str:
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))
