"""How the report writes numbers, times and names: every figure carries its unit.

Money as ``$4.86B`` / ``$435.9M`` (USD), prices as ``$101,516.5`` (USD per base unit, one decimal as candles
print them), funding as ``−0.0141%`` (the caller adds ``per 8 h``), changes as ``−56.5%``, times as
``2025-10-10 21:00 UTC``. Negative numbers use the minus sign (U+2212), as an analyst's text does.
"""

from __future__ import annotations

from collections.abc import Sequence

from perpscope.times import to_datetime

MINUS = "\u2212"

_VENUE_NAMES = {
    "binance": "Binance",
    "bybit": "Bybit",
    "okx": "OKX",
    "hyperliquid": "Hyperliquid",
    "dydx": "dYdX",
    "kraken": "Kraken",
    "lighter": "Lighter",
    "deribit": "Deribit",
    "bitmex": "BitMEX",
}


def venue_name(venue: str) -> str:
    return _VENUE_NAMES.get(venue.lower(), venue[:1].upper() + venue[1:])


def _signed(text: str, negative: bool, plus: bool) -> str:
    if negative:
        return MINUS + text
    return "+" + text if plus else text


def usd(value: float, plus: bool = False) -> str:
    """``$4.86B``, ``$435.9M``, ``$12.3K``, ``$950``; ``plus`` marks a gain with ``+``."""
    size = abs(value)
    for scale, suffix, digits in ((1e9, "B", 2), (1e6, "M", 1), (1e3, "K", 1)):
        if size >= scale:
            return _signed(f"${size / scale:,.{digits}f}{suffix}", value < 0, plus and value > 0)
    return _signed(f"${size:,.0f}", value < 0, plus and value > 0)


def price(value: float) -> str:
    """``$101,516.5``: a price in USD per base unit, to the cent below $1,000."""
    digits = 1 if abs(value) >= 1000 else (2 if abs(value) >= 1 else 6)
    return _signed(f"${abs(value):,.{digits}f}", value < 0, False)


def rate(fraction: float, digits: int = 4) -> str:
    """A funding rate as a percentage: ``0.0001`` -> ``0.0100%``."""
    text = f"{abs(fraction) * 100:.{digits}f}%"
    return _signed(text, fraction < 0 and text.strip("0.%") != "", False)


def percent(fraction: float, digits: int = 1, plus: bool = False) -> str:
    """A change as a percentage: ``-0.565`` -> ``−56.5%``."""
    text = f"{abs(fraction) * 100:.{digits}f}%"
    nonzero = text.strip("0.%") != ""
    return _signed(text, fraction < 0 and nonzero, plus and fraction > 0 and nonzero)


def when(ms: int) -> str:
    """``2025-10-10 21:00 UTC`` (seconds only when not zero)."""
    moment = to_datetime(ms)
    pattern = "%Y-%m-%d %H:%M" if moment.second == 0 else "%Y-%m-%d %H:%M:%S"
    return moment.strftime(pattern) + " UTC"


def day(ms: int) -> str:
    return to_datetime(ms).strftime("%Y-%m-%d")


def clock(ms: int) -> str:
    """``21:00 UTC`` (seconds only when not zero)."""
    moment = to_datetime(ms)
    return moment.strftime("%H:%M" if moment.second == 0 else "%H:%M:%S") + " UTC"


def and_list(items: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def count(number: int, unit: str) -> str:
    """``1 print``, ``22 prints``, ``1,611 events``."""
    plural = unit if number == 1 or unit.endswith("s") else unit + "s"
    return f"{number:,} {plural}"


def span(ms: int) -> str:
    """``7 days``, ``24 hours``, ``90 minutes``: a window's length in words ("over the 24 hours", never
    "over the 1 day")."""
    if ms == 86_400_000:
        return "24 hours"
    for size, unit in ((86_400_000, "day"), (3_600_000, "hour"), (60_000, "minute")):
        if ms >= size and ms % size == 0:
            return count(ms // size, unit)
    return count(ms // 1000, "second")


def duration(ms: int) -> str:
    """A short span: ``5 s``, ``25 min``, ``2 h``, ``1.5 h``, ``3 days``."""
    if ms < 60_000:
        return f"{ms / 1000:.0f} s"
    if ms < 2 * 3_600_000 and ms % 3_600_000:
        return f"{ms / 60_000:.0f} min"
    if ms < 2 * 86_400_000:
        return f"{ms / 3_600_000:.3g} h"
    return f"{ms / 86_400_000:.3g} days"
