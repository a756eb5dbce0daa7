"""Hyperliquid coins: ``BTC`` -> ``BTC-USD-PERP`` (USDC-margined, quoted as USD). Spot pairs (``@2``,
``PURR/USDC``) are not perpetuals. Upper-casing loses the case of coins such as ``kPEPE``; ``to_native`` gets it back
from the venue's coin list."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from perpscope.errors import ParseError
from perpscope.models import canonical_symbol

QUOTE = "USD"
# Parsers ask about the same few hundred coins on every message: the answers are cached (errors are not).
CACHED_SYMBOLS = 4096


@lru_cache(maxsize=CACHED_SYMBOLS)
def is_perpetual(coin: str) -> bool:
    return bool(coin) and not coin.startswith("@") and "/" not in coin


@lru_cache(maxsize=CACHED_SYMBOLS)
def to_canonical(coin: str) -> str:
    if not is_perpetual(coin):
        raise ParseError(f"not a Hyperliquid perpetual coin: {coin!r}", field="coin")
    return canonical_symbol(coin, QUOTE)


def to_native(symbol: str, coins: Iterable[str] = ()) -> str:
    """``BTC-USD-PERP`` -> ``BTC``; with the venue's ``coins`` (from ``meta``), ``KPEPE-USD-PERP`` -> ``kPEPE``."""
    parts = symbol.split("-")
    if len(parts) != 3 or parts[1].upper() != QUOTE or parts[2].upper() != "PERP":
        raise ParseError(f"not a canonical Hyperliquid symbol: {symbol!r}", field="symbol")
    wanted = parts[0].upper()
    return next((coin for coin in coins if coin.upper() == wanted), wanted)
