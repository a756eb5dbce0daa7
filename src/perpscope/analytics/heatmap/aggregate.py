"""Across venues: each venue's heatmap or map is computed with its own rules, then summed on the shared bins.

Bins are anchored at 1 USD (:func:`perpscope.analytics.heatmap.outputs.bin_index`) and columns at the epoch, so
venues line up without resampling. A venue without a column (it started later, or has a gap) adds nothing there.
Candles come from the first venue, in the order given, that has the column: venues' prices differ by basis and
quote currency (USDT, USD), and the chart should show one venue's real candles, not an invented average.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from perpscope.analytics.heatmap.outputs import Heatmap, LiquidationMap


def aggregate_heatmaps(heatmaps: Sequence[Heatmap]) -> Heatmap:
    """The sum of several venues' heatmaps (USD per bin and column)."""
    if not heatmaps:
        raise ValueError("aggregate_heatmaps: no heatmap to aggregate")
    if len(heatmaps) == 1:
        return heatmaps[0]
    widths = {heatmap.bin_width for heatmap in heatmaps}
    if len(widths) != 1:
        raise ValueError(f"aggregate_heatmaps: bin widths differ ({sorted(widths)}); use one config for all venues")
    times = np.unique(np.concatenate([heatmap.times for heatmap in heatmaps]))
    first = min(heatmap.first_bin for heatmap in heatmaps)
    last = max(heatmap.first_bin + heatmap.long.shape[1] for heatmap in heatmaps)
    long = np.zeros((times.size, last - first))
    short = np.zeros((times.size, last - first))
    candles = np.full((times.size, 4), np.nan)
    for heatmap in heatmaps:
        rows = np.searchsorted(times, heatmap.times)
        start = heatmap.first_bin - first
        stop = start + heatmap.long.shape[1]
        long[rows, start:stop] += heatmap.long
        short[rows, start:stop] += heatmap.short
        empty = np.isnan(candles[rows, 0])
        candles[rows[empty]] = heatmap.candles[empty]
    symbols = {heatmap.symbol for heatmap in heatmaps}
    return Heatmap(
        venues=tuple(venue for heatmap in heatmaps for venue in heatmap.venues),
        symbol=" + ".join(sorted(symbols)),
        times=times,
        first_bin=first,
        bin_width=widths.pop(),
        long=long,
        short=short,
        candles=candles,
        assumptions=heatmaps[0].assumptions,
    )


def aggregate_maps(maps: Sequence[LiquidationMap]) -> LiquidationMap:
    """Every venue's live levels in one map; the reference price is the first venue's."""
    if not maps:
        raise ValueError("aggregate_maps: no map to aggregate")
    if len(maps) == 1:
        return maps[0]
    long_prices = np.concatenate([item.long_prices for item in maps])
    short_prices = np.concatenate([item.short_prices for item in maps])
    long_order, short_order = np.argsort(long_prices, kind="stable"), np.argsort(short_prices, kind="stable")
    symbols = {item.symbol for item in maps}
    return LiquidationMap(
        venues=tuple(venue for item in maps for venue in item.venues),
        symbol=" + ".join(sorted(symbols)),
        at=max(item.at for item in maps),
        price=maps[0].price,
        long_prices=long_prices[long_order],
        long_usd=np.concatenate([item.long_usd for item in maps])[long_order],
        short_prices=short_prices[short_order],
        short_usd=np.concatenate([item.short_usd for item in maps])[short_order],
        assumptions=maps[0].assumptions,
    )
