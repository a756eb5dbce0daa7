"""OKX instrument ids: ``BTC-USDT-SWAP`` <-> ``BTC-USDT-PERP``; index ids ``BTC-USDT`` map to the same swap."""

from __future__ import annotations

from functools import lru_cache

from perpscope.errors import ParseError
from perpscope.models import canonical_symbol

# Parsers ask about the same few hundred instruments on every message: the answers are cached (errors are not).
CACHED_SYMBOLS = 4096


@lru_cache(maxsize=CACHED_SYMBOLS)
def is_perpetual(inst_id: str) -> bool:
    parts = inst_id.split("-")
    return len(parts) == 3 and parts[2] == "SWAP" and all(parts[:2])


@lru_cache(maxsize=CACHED_SYMBOLS)
def is_inverse(inst_id: str) -> bool:
    """Coin-margined swaps are quoted in USD (``BTC-USD-SWAP``): their ``ctVal`` is in USD, not in the coin."""
    return is_perpetual(inst_id) and inst_id.split("-")[1] == "USD"


@lru_cache(maxsize=CACHED_SYMBOLS)
def to_canonical(inst_id: str) -> str:
    if not is_perpetual(inst_id):
        raise ParseError(f"not an OKX perpetual swap: {inst_id!r}", field="instId")
    base, quote, _ = inst_id.split("-")
    return canonical_symbol(base, quote)


@lru_cache(maxsize=CACHED_SYMBOLS)
def index_to_canonical(index_id: str) -> str:
    """``BTC-USDT`` (an index) -> ``BTC-USDT-PERP`` (the swap it prices)."""
    parts = index_id.split("-")
    if len(parts) != 2 or not all(parts):
        raise ParseError(f"not an OKX index id: {index_id!r}", field="instId")
    return canonical_symbol(parts[0], parts[1])


def to_native(symbol: str) -> str:
    """``BTC-USDT-PERP`` -> ``BTC-USDT-SWAP``."""
    parts = symbol.upper().split("-")
    if len(parts) != 3 or parts[2] != "PERP":
        raise ParseError(f"not a canonical perpetual symbol: {symbol!r}", field="symbol")
    return f"{parts[0]}-{parts[1]}-SWAP"


def index_id(symbol: str) -> str:
    """``BTC-USDT-PERP`` -> ``BTC-USDT``, the id of the index-tickers channel."""
    return to_native(symbol).removesuffix("-SWAP")
