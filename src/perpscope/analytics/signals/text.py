"""How numbers read in a signal's sentence: percentages with their basis, USD compacted, UTC times."""

from __future__ import annotations

from perpscope.times import format_ms


def percent(fraction: float, digits: int = 1, signed: bool = True) -> str:
    """``0.052`` -> ``+5.2%``."""
    return f"{fraction * 100:{'+' if signed else ''}.{digits}f}%"


def rate_8h(fraction: float) -> str:
    """A funding rate per 8 h: ``-0.0001`` -> ``-0.0100% per 8 h``."""
    return f"{fraction * 100:+.4f}% per 8 h"


def usd(value: float) -> str:
    """``360_000_000`` -> ``$360.0M``."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"${value / size:,.1f}{suffix}"
    return f"${value:,.0f}"


def price(value: float) -> str:
    return f"${value:,.0f}"


def moment(ms: int) -> str:
    """``2025-10-10 21:00 UTC``."""
    return format_ms(ms - ms % 60_000).replace(":00 UTC", " UTC")


def hours(ms: int) -> str:
    return f"{ms / 3_600_000:g} h"


def names(venues: list[str]) -> str:
    """``['binance', 'okx', 'bybit']`` -> ``binance, okx and bybit``."""
    if len(venues) <= 1:
        return "".join(venues)
    return ", ".join(venues[:-1]) + " and " + venues[-1]
