"""Binance USDⓈ-M symbols: ``BTCUSDT`` <-> ``BTC-USDT-PERP``.

Perpetuals are the base asset glued to a margin asset; dated futures carry a ``_YYMMDD`` suffix and are not
perpetuals, so they have no canonical symbol here.
"""

from __future__ import annotations

from functools import lru_cache

from perpscope.errors import ParseError
from perpscope.models import canonical_symbol

# Margin assets of USDⓈ-M perpetuals, as suffixes of the native symbol.
QUOTES = ("FDUSD", "USDT", "USDC", "BUSD")
# Parsers ask about the same few hundred symbols on every message: the answers are cached (errors are not).
CACHED_SYMBOLS = 4096


@lru_cache(maxsize=CACHED_SYMBOLS)
def is_perpetual(native: str) -> bool:
    return "_" not in native and any(native.endswith(quote) and len(native) > len(quote) for quote in QUOTES)


@lru_cache(maxsize=CACHED_SYMBOLS)
def split(native: str) -> tuple[str, str]:
    """``1000PEPEUSDT`` -> (``1000PEPE``, ``USDT``)."""
    if is_perpetual(native):
        for quote in QUOTES:
            if native.endswith(quote):
                return native[: -len(quote)], quote
    raise ParseError(f"not a Binance USDⓈ-M perpetual symbol: {native!r}", field="symbol")


@lru_cache(maxsize=CACHED_SYMBOLS)
def to_canonical(native: str) -> str:
    base, quote = split(native.upper())
    return canonical_symbol(base, quote)


def to_native(symbol: str) -> str:
    """``BTC-USDT-PERP`` -> ``BTCUSDT``."""
    parts = symbol.upper().split("-")
    if len(parts) != 3 or parts[2] != "PERP":
        raise ParseError(f"not a canonical perpetual symbol: {symbol!r}", field="symbol")
    return parts[0] + parts[1]


def stream_name(native: str) -> str:
    """Binance stream names are lower case: ``btcusdt``."""
    return native.lower()
