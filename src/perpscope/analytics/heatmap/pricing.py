"""Pricing the model's levels with each venue's exact rule (perpscope.analytics.liquidation), or naively.

A level is a representative isolated position of ``config.position_notional_usd`` opened at the bar's entry price
with one leverage of the mix. Leverages above what the venue allows for that position are clamped to the
venue's maximum when ``config.clamp_to_max_leverage`` (else the level is refused and dropped).
"""

from __future__ import annotations

import numpy as np

from perpscope.analytics.heatmap.bars import FloatArray
from perpscope.analytics.heatmap.config import HeatmapConfig
from perpscope.analytics.liquidation import MarginTable, fallback_table, liquidation_price, liquidation_prices

BASE_UNITS = "base units"  # a table tiered by size rather than notional (MarginTable.unit)


def max_leverage(table: MarginTable, config: HeatmapConfig, entry: float) -> float:
    """The venue's maximum leverage for the representative position opened at ``entry`` (USD)."""
    size = config.position_notional_usd / entry
    tier_value = size if table.unit == BASE_UNITS else config.position_notional_usd
    return float(table.max_leverages[table.index(tier_value)])


def effective_leverage(leverage: float, table: MarginTable | None, config: HeatmapConfig, entry: float) -> float:
    if config.pricing == "naive" or table is None or not config.clamp_to_max_leverage:
        return leverage
    return min(leverage, max_leverage(table, config, entry))


def effective_leverages(
    leverage: float, table: MarginTable | None, config: HeatmapConfig, entries: FloatArray
) -> FloatArray:
    """:func:`effective_leverage` for an array of entries (the bracket can depend on the entry for size tiers)."""
    if config.pricing == "naive" or table is None or not config.clamp_to_max_leverage:
        return np.full(entries.size, leverage)
    sizes = config.position_notional_usd / entries
    tier_values = sizes if table.unit == BASE_UNITS else np.full(entries.size, config.position_notional_usd)
    return np.minimum(leverage, table.max_leverages[table.indices(tier_values)])


def level_price(
    venue: str, sign: int, entry: float, leverage: float, config: HeatmapConfig, table: MarginTable | None
) -> float:
    """The liquidation price (USD) of one level; NaN where the venue would refuse the position."""
    if config.pricing == "naive":
        return entry * (1.0 - sign / leverage)
    used = effective_leverage(leverage, table, config, entry)
    try:
        return liquidation_price(venue, sign, entry, used, config.position_notional_usd / entry, table)
    except ValueError:
        return float("nan")


def level_prices(
    venue: str, sign: int, entries: FloatArray, leverage: float, config: HeatmapConfig, table: MarginTable | None
) -> FloatArray:
    """:func:`level_price` for many entries at once (equal element for element)."""
    if config.pricing == "naive":
        result: FloatArray = entries * (1.0 - sign / leverage)
        return result
    used = effective_leverages(leverage, table, config, entries)
    return liquidation_prices(venue, sign, entries, used, config.position_notional_usd / entries, table)


def resolve_table(
    venue: str, symbol: str | None, table: MarginTable | None, config: HeatmapConfig
) -> MarginTable | None:
    """The table to price with: the given one, else the shipped fallback for ``symbol`` (or the venue's BTC)."""
    if table is not None or config.pricing == "naive":
        return table
    if symbol is None:
        symbol = "BTC-USD-PERP" if venue.lower() == "hyperliquid" else "BTC-USDT-PERP"
    return fallback_table(venue, symbol)


def prices_for_entry(
    venue: str, sign: int, entry: float, config: HeatmapConfig, table: MarginTable | None
) -> FloatArray:
    """The prices of one bar's levels, one per leverage of the mix (equal to :func:`level_prices` element-wise)."""
    entries = np.full(len(config.leverage_mix), entry)
    if config.pricing == "naive":
        result: FloatArray = entries * (1.0 - sign / np.asarray(config.leverages))
        return result
    used = np.asarray(config.leverages)
    if table is not None and config.clamp_to_max_leverage:
        used = np.minimum(used, max_leverage(table, config, entry))
    return liquidation_prices(venue, sign, entries, used, config.position_notional_usd / entries, table)
