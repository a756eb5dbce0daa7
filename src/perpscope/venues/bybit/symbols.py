"""Bybit symbols: ``BTCUSDT`` -> ``BTC-USDT-PERP``; USDC perpetuals ``BTCPERP``/``BTCUSDC`` -> ``BTC-USDC-PERP``;
inverse ``BTCUSD`` -> ``BTC-USD-PERP``. Dated futures (``BTCUSDU23``, ``BTC-26DEC25``) are not perpetuals."""

from __future__ import annotations

from functools import lru_cache

from perpscope.errors import ParseError
from perpscope.models import canonical_symbol

# (suffix, quote) pairs, most specific first: ``USDT`` and ``USDC`` before the inverse ``USD``.
_SUFFIXES = (("USDT", "USDT"), ("USDC", "USDC"), ("PERP", "USDC"), ("USD", "USD"))
# Parsers ask about the same few hundred symbols on every message: the answers are cached (errors are not).
CACHED_SYMBOLS = 4096


@lru_cache(maxsize=CACHED_SYMBOLS)
def split(native: str) -> tuple[str, str]:
    if "-" not in native:
        for suffix, quote in _SUFFIXES:
            if native.endswith(suffix) and len(native) > len(suffix):
                return native[: -len(suffix)], quote
    raise ParseError(f"not a Bybit perpetual symbol: {native!r}", field="symbol")


@lru_cache(maxsize=CACHED_SYMBOLS)
def is_perpetual(native: str) -> bool:
    try:
        split(native)
    except ParseError:
        return False
    return True


@lru_cache(maxsize=CACHED_SYMBOLS)
def is_inverse(native: str) -> bool:
    """Inverse contracts are quoted in USD and margined in the coin: sizes are USD, values are coins."""
    return is_perpetual(native) and split(native)[1] == "USD"


@lru_cache(maxsize=CACHED_SYMBOLS)
def to_canonical(native: str) -> str:
    base, quote = split(native)
    return canonical_symbol(base, quote)


def to_native(symbol: str) -> str:
    """``BTC-USDT-PERP`` -> ``BTCUSDT`` (USDC perpetuals listed as ``BTCPERP`` need the instrument list)."""
    parts = symbol.upper().split("-")
    if len(parts) != 3 or parts[2] != "PERP":
        raise ParseError(f"not a canonical perpetual symbol: {symbol!r}", field="symbol")
    return parts[0] + parts[1]
