"""The one check for a person's name (and registration number) as typed: it is printed on certificates."""

from __future__ import annotations

import re

import certificates

NAME_MAX = 120


def clean_name(raw: str | None) -> str:
    """`raw` trimmed, inner runs of spaces made one; raises ValueError with a message for the person.

    Errors: empty, longer than NAME_MAX, or a character the certificate fonts cannot print (named).
    """
    name = re.sub(r"\s+", " ", raw or "").strip()
    if not name:
        raise ValueError("Enter your full name")
    if len(name) > NAME_MAX:
        raise ValueError(f"Your name must be {NAME_MAX} characters or fewer")
    check_printable(name, "Your name")
    return name


def check_printable(text: str, what: str) -> None:
    """Raise ValueError naming each character of `text` that cannot be printed on a certificate."""
    bad = certificates.unprintable_characters(text)
    if bad:
        listed = ", ".join(f"“{c}” (U+{ord(c):04X})" if c.isprintable() else f"U+{ord(c):04X}" for c in bad)
        raise ValueError(f"{what} has {'a character' if len(bad) == 1 else 'characters'} that cannot be printed "
                         f"on a certificate: {listed}. Remove or replace {'it' if len(bad) == 1 else 'them'}")
