"""Folding the characters that phones and word processors type in place of plain ones.

A learner who types ``O’Brien`` (the typographic apostrophe a phone keyboard inserts) means the
same as ``O'Brien``; an email address pasted from a document may carry a non-breaking space.
``fold_typography`` is the one place that decides which characters count as the same, for every
comparison of typed text with expected text (short answers, numbers, email addresses, names
looked up from a spreadsheet).
"""

from __future__ import annotations

import unicodedata

#: apostrophes and single quotes (’ ‘ ‚ ‛ ʼ ′ ´) -> '
_APOSTROPHES = "\u2019\u2018\u201a\u201b\u02bc\u2032\u00b4"
#: double quotes (“ ” „ ‟ ″ « ») -> "
_QUOTES = "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"
#: hyphens, dashes and minus signs (‐ ‑ ‒ – — ― − ﹣) -> -
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"
#: spaces that are not U+0020 (no-break, narrow no-break, figure, thin, hair, en, em...) -> space
_SPACES = "\u00a0\u202f\u2007\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008\u205f\u3000"
#: invisible characters pasted along with text (zero-width spaces and joiners, soft hyphen, BOM)
_INVISIBLE = "\u200b\u200c\u200d\u2060\u00ad\ufeff"

_TABLE = str.maketrans({
    **dict.fromkeys(_APOSTROPHES, "'"), **dict.fromkeys(_QUOTES, '"'),
    **dict.fromkeys(_DASHES, "-"), **dict.fromkeys(_SPACES, " "), **dict.fromkeys(_INVISIBLE, None),
})


def fold_typography(text: str) -> str:
    """``text`` in Unicode NFKC with typographic apostrophes, quotes, dashes and odd spaces
    replaced by their plain ASCII forms and invisible characters removed.

    Case and the number of spaces are left alone: callers decide those.
    """
    if text.isascii():  # nothing to fold: NFKC leaves ASCII alone and the table has no ASCII
        return text
    # before NFKC too, which would turn ″ into two primes and ´ into a space and an accent
    return unicodedata.normalize("NFKC", text.translate(_TABLE)).translate(_TABLE)
