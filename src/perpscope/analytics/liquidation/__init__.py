"""Exact liquidation prices for Binance, Bybit, OKX and Hyperliquid (METHOD.md §3; docs/liquidation-price.md).

One entry for every venue, scalar and vectorised:

    liquidation_price("binance", "long", 100_000, 10, 1)                 -> 90402.01  (USD)
    liquidation_prices("binance", sides, entries, leverages, quantities)  -> ndarray, NaN where refused

Prices and notionals are in USD (USDT/USDC at par), quantities in base units. The margin table comes from
``table=`` (build one from the venue's brackets with :func:`table_from_brackets`) or else the shipped fallback for
``symbol``. The per-venue modules hold the venue rules and the cross-margin variants.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

import numpy.typing as npt

from perpscope.analytics.liquidation import binance, bybit, hyperliquid, okx
from perpscope.analytics.liquidation.brackets import FloatArray, MarginTable, derive_maintenance_amounts
from perpscope.analytics.liquidation.core import SideLike, bankruptcy_price, side_sign, side_signs
from perpscope.analytics.liquidation.fallbacks import (
    BINANCE_BTCUSDT,
    BYBIT_BTCUSDT,
    HYPERLIQUID_BTC,
    fallback_table,
    hyperliquid_single_tier,
)
from perpscope.models import Instrument, MarginBracket

__all__ = [
    "BINANCE_BTCUSDT",
    "BYBIT_BTCUSDT",
    "HYPERLIQUID_BTC",
    "VENUES",
    "MarginTable",
    "bankruptcy_price",
    "derive_maintenance_amounts",
    "fallback_table",
    "hyperliquid_single_tier",
    "isolated_bankruptcy_price",
    "liquidation_price",
    "liquidation_prices",
    "side_sign",
    "side_signs",
    "table_for",
    "table_from_brackets",
]


class _VenueRules(Protocol):
    """What every per-venue module provides."""

    VENUE: str
    CONTINUOUS_TABLES: bool
    isolated_liquidation_price: Callable[..., float]
    isolated_liquidation_prices: Callable[..., FloatArray]


VENUES = ("binance", "bybit", "okx", "hyperliquid")
_MODULES: dict[str, _VenueRules] = {"binance": binance, "bybit": bybit, "okx": okx, "hyperliquid": hyperliquid}
# The symbol whose fallback is used when neither a table nor a symbol is given.
_DEFAULT_SYMBOLS = {
    "binance": "BTC-USDT-PERP",
    "bybit": "BTC-USDT-PERP",
    "okx": "BTC-USDT-PERP",
    "hyperliquid": "BTC-USD-PERP",
}


def liquidation_price(
    venue: str,
    side: SideLike,
    entry: float,
    leverage: float,
    quantity: float,
    table: MarginTable | None = None,
    *,
    symbol: str | None = None,
    check_max_leverage: bool = True,
    **venue_options: float,
) -> float:
    """The isolated-margin liquidation price (USD) of ``quantity`` base units opened at ``entry`` with ``leverage``.

    ``venue_options``: ``extra_margin`` (USD, all venues), ``taker_fee`` (OKX). A leverage above the max of the
    position's bracket raises ``ValueError`` unless ``check_max_leverage=False``."""
    module = _module(venue)
    chosen = table if table is not None else fallback_table(venue, symbol or _DEFAULT_SYMBOLS[module.VENUE])
    return module.isolated_liquidation_price(
        side, entry, leverage, quantity, chosen, check_max_leverage=check_max_leverage, **venue_options
    )


def liquidation_prices(
    venue: str,
    sides: npt.ArrayLike,
    entries: npt.ArrayLike,
    leverages: npt.ArrayLike,
    quantities: npt.ArrayLike,
    table: MarginTable | None = None,
    *,
    symbol: str | None = None,
    check_max_leverage: bool = True,
    **venue_options: float,
) -> FloatArray:
    """Vectorised :func:`liquidation_price` over broadcastable arrays (``sides`` as +1/-1 or "long"/"short").

    Element for element equal to the scalar path; NaN where the scalar path would raise (bad input, leverage above
    the bracket's max, a position beyond the table). ``extra_margin`` is not accepted here."""
    module = _module(venue)
    chosen = table if table is not None else fallback_table(venue, symbol or _DEFAULT_SYMBOLS[module.VENUE])
    return module.isolated_liquidation_prices(
        sides, entries, leverages, quantities, chosen, check_max_leverage=check_max_leverage, **venue_options
    )


def isolated_bankruptcy_price(
    side: SideLike, entry: float, leverage: float, quantity: float, *, extra_margin: float = 0.0
) -> float:
    """Where an isolated position's margin is used up (USD): ``EP - s x (Q x EP / L + extra) / Q``, every venue."""
    return bankruptcy_price(side, entry, quantity, quantity * entry / leverage + extra_margin)


def table_from_brackets(venue: str, brackets: Iterable[MarginBracket], *, source: str = "") -> MarginTable:
    """A validated table from a venue's brackets (as the connectors put them in ``Instrument.margin_brackets``).

    OKX brackets must be in base units (contracts x ``ctVal``): see :func:`okx.table_from_position_tiers`."""
    module = _module(venue)
    unit = "base units" if module.VENUE == okx.VENUE else "USD notional"
    return MarginTable(brackets, continuous=module.CONTINUOUS_TABLES, unit=unit, source=source or f"{venue} brackets")


def table_for(instrument: Instrument) -> MarginTable:
    """The instrument's live brackets when the connector filled them, else the shipped fallback for its symbol."""
    if instrument.margin_brackets:
        source = f"{instrument.venue} {instrument.native_symbol} brackets ({instrument.source or 'connector'})"
        return table_from_brackets(instrument.venue, instrument.margin_brackets, source=source)
    return fallback_table(instrument.venue, instrument.symbol)


def _module(venue: str) -> _VenueRules:
    try:
        return _MODULES[venue.lower()]
    except KeyError:
        raise ValueError(f"unknown venue {venue!r} (known: {', '.join(VENUES)})") from None
