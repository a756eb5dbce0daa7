"""Shaping the estimated heatmap and map for a browser: a window of the grid, re-binned to what a screen shows.

The model's grid has 0.1% price bins and one column per ``column_ms``; a year is hundreds of columns by
thousands of bins. A request names a time window and a price window; the answer has at most the requested number
of columns (each the mean state of the model columns it merges: the grid holds states, not flows) and price rows
(each the sum of the model bins whose centre falls in it: USD per bin adds up). Pure numpy, no I/O.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from perpscope.analytics.heatmap.outputs import Heatmap, LiquidationMap, default_targets, format_usd, sentence

PRICE_MARGIN = 0.10  # the default price window: the candles' range widened by this fraction of price
MAP_FRACTIONS = (0.02, 0.05, 0.10)  # "a move to $X": targets this far above and below the price
MAP_BINS = 120
MAP_SPAN = 0.15  # the map chart spans the price +- this fraction


def heatmap_window(
    heatmap: Heatmap,
    column_ms: int,
    since: int,
    until: int,
    columns: int,
    rows: int,
    price_low: float | None = None,
    price_high: float | None = None,
) -> dict[str, Any]:
    """The part of ``heatmap`` with column start in ``[since, until)`` and price in ``[price_low, price_high)``,
    at most ``columns`` x ``rows`` cells. ``long``/``short``: lists per column of USD per price row."""
    keep = _kept(heatmap.times, since, until)
    times, candles = heatmap.times[keep], heatmap.candles[keep]
    long, short = heatmap.long[keep], heatmap.short[keep]
    if times.size == 0:
        return _empty(since, until)
    low = price_low if price_low is not None else float(np.nanmin(candles[:, 2])) * (1 - PRICE_MARGIN)
    high = price_high if price_high is not None else float(np.nanmax(candles[:, 1])) * (1 + PRICE_MARGIN)
    centers = heatmap.centers
    inside = int(np.count_nonzero((centers >= low) & (centers < high)))
    rows = max(1, min(rows, inside))  # never finer than the model's own bins: no empty stripes
    edges = np.geomspace(low, high, rows + 1)
    group = math.ceil(times.size / columns)
    starts = np.arange(0, times.size, group)
    return {
        "since": since,
        "until": until,
        "times": times[starts],
        "column_ms": column_ms * group,
        "price_edges": edges,
        "long": np.rint(_merge_columns(_rebin(long, centers, edges), starts)).astype(np.int64),
        "short": np.rint(_merge_columns(_rebin(short, centers, edges), starts)).astype(np.int64),
        "candles": _merge_candles(candles, starts),
    }


def _empty(since: int, until: int) -> dict[str, Any]:
    candles: dict[str, list[float]] = {"open": [], "high": [], "low": [], "close": []}
    return {"since": since, "until": until, "times": [], "column_ms": 0, "price_edges": [], "long": [], "short": []} | {
        "candles": candles
    }


def _kept(times: np.ndarray[Any, Any], since: int, until: int) -> slice | np.ndarray[Any, Any]:
    """The columns starting in ``[since, until)``: a slice when the times ascend, as the model's do, so the grids
    are viewed rather than copied (a year's two grids: ~4 ms); a mask otherwise."""
    if times.size < 2 or bool(np.all(times[1:] >= times[:-1])):
        return slice(int(np.searchsorted(times, since, "left")), int(np.searchsorted(times, until, "left")))
    return (times >= since) & (times < until)


def _rebin(grid: np.ndarray[Any, Any], centers: np.ndarray[Any, Any], edges: np.ndarray[Any, Any]) -> Any:
    """Sum the model bins into the rows ``edges`` bound, by differences of a running sum along price. The sum
    stops at the last bin a row needs (the same left-to-right sums, so the same values, for less work)."""
    bounds = np.searchsorted(centers, edges, side="left")
    width = int(bounds.max())
    running = np.zeros((grid.shape[0], width + 1))
    np.cumsum(grid[:, :width], axis=1, out=running[:, 1:])
    return running[:, bounds[1:]] - running[:, bounds[:-1]]


def _merge_columns(grid: np.ndarray[Any, Any], starts: np.ndarray[Any, Any]) -> Any:
    sizes = np.diff(np.append(starts, grid.shape[0]))
    return np.add.reduceat(grid, starts, axis=0) / sizes[:, None]


def _merge_candles(candles: np.ndarray[Any, Any], starts: np.ndarray[Any, Any]) -> dict[str, Any]:
    ends = np.append(starts[1:], candles.shape[0]) - 1
    return {
        "open": candles[starts, 0],
        "high": np.maximum.reduceat(candles[:, 1], starts),
        "low": np.minimum.reduceat(candles[:, 2], starts),
        "close": candles[ends, 3],
    }


def map_view(liquidation_map: LiquidationMap) -> dict[str, Any]:
    """The map as a chart and in words: USD of levels per price bin for each side, the cumulative USD a move
    to each price would cross, and one sentence per target pair (2%, 5%, 10% either side)."""
    price = liquidation_map.price
    edges = np.linspace(price * (1 - MAP_SPAN), price * (1 + MAP_SPAN), MAP_BINS + 1)
    long_usd, _ = np.histogram(liquidation_map.long_prices, bins=edges, weights=liquidation_map.long_usd)
    short_usd, _ = np.histogram(liquidation_map.short_prices, bins=edges, weights=liquidation_map.short_usd)
    middles = (edges[:-1] + edges[1:]) / 2
    sentences, targets = [], []
    for fraction in MAP_FRACTIONS:
        up, down = default_targets(price, fraction)
        sentences.append(sentence(liquidation_map, [up, down]))
        for target in (up, down):
            side, usd = liquidation_map.at_risk(target)
            targets.append({"target": target, "fraction": fraction, "side": side, "usd": usd, "text": format_usd(usd)})
    return {
        "at": liquidation_map.at,
        "price": price,
        "venues": list(liquidation_map.venues),
        "symbol": liquidation_map.symbol,
        "label": liquidation_map.label,
        "price_edges": edges,
        "long_usd": long_usd,
        "short_usd": short_usd,
        "cumulative_usd": liquidation_map.cumulative(middles),
        "targets": targets,
        "sentences": sentences,
        "assumptions": list(liquidation_map.assumptions),
    }
