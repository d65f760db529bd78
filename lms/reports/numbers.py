"""How report numbers are shown: the one rounding rule for percentages, in tables and in charts alike."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def whole_percent(value: float) -> int:
    """A percentage (0-100, any float) as the whole number people expect: halves round up, 62.5 -> 63."""
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
