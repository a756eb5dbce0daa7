"""Validation against realized liquidations: when the price visited a level, how much was liquidated there?

For every column with liquidations of a side, the estimate at the end of the previous column is read on the bins
the price then visited (shorts: from the previous close up to the column's high; longs: down to its low) and set
against the USD of that side's liquidations whose fill price fell in each bin. Reported: Spearman's rank correlation
over every (column, visited bin) pair, and the share of realized USD in the estimate's top-k visited bins beside
what choosing k visited bins at random would capture. Real feeds are lower bounds (METHOD.md §4) and fills land
past the liquidation price by the slippage, so bins are wider than the heatmap's default.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from perpscope.analytics.heatmap.bars import FloatArray, IntArray
from perpscope.analytics.heatmap.outputs import Heatmap, bin_index
from perpscope.analytics.heatmap.validation import spearman, top_k_capture


@dataclasses.dataclass(frozen=True)
class RealizedScore:
    side: str
    columns: int  # columns with realized liquidations of this side
    pairs: int  # (column, visited bin) pairs compared
    realized_usd: float  # realized USD inside the visited bins
    outside_usd: float  # realized USD in bins the bar range did not reach (slippage, wicks between bars)
    rank_correlation: float
    top_k_capture: float
    random_capture: float  # expected share for k visited bins picked at random
    k: int


def score_realized(
    heatmap: Heatmap, times: IntArray, sides: FloatArray, prices: FloatArray, usd: FloatArray, k: int = 3
) -> dict[str, RealizedScore]:
    """Score ``heatmap`` against events (ms, +1 long / -1 short, fill price USD, USD) on its own columns."""
    step = int(np.median(np.diff(heatmap.times))) if heatmap.times.size > 1 else 1
    rows = np.searchsorted(heatmap.times, times, side="right") - 1
    inside = (rows >= 1) & (times < heatmap.times[-1] + step)
    keys = bin_index(prices, heatmap.bin_width) - heatmap.first_bin
    result = {}
    for sign, name, grid in ((1, "long", heatmap.long), (-1, "short", heatmap.short)):
        mine = inside & (sides == sign)
        result[name] = _score_side(heatmap, grid, sign, rows[mine], keys[mine], usd[mine], k)
    return result


def _score_side(
    heatmap: Heatmap, grid: FloatArray, sign: int, rows: IntArray, keys: IntArray, usd: FloatArray, k: int
) -> RealizedScore:
    estimates: list[FloatArray] = []
    realized: list[FloatArray] = []
    captures, randoms, weights = [], [], []
    outside = 0.0
    for row in np.unique(rows):
        start, stop = _visited(heatmap, int(row), sign)
        here = rows == row
        in_range = here & (keys >= start) & (keys < stop)
        outside += float(usd[here & ~in_range].sum())
        hit = np.bincount(keys[in_range] - start, weights=usd[in_range], minlength=stop - start).astype(np.float64)
        estimate = grid[row - 1, start:stop]
        estimates.append(estimate)
        realized.append(hit)
        if hit.sum() > 0:
            captures.append(top_k_capture(estimate, hit, k))
            randoms.append(min(k, hit.size) / hit.size)
            weights.append(float(hit.sum()))
    all_estimates = np.concatenate(estimates) if estimates else np.zeros(0)
    all_realized = np.concatenate(realized) if realized else np.zeros(0)
    return RealizedScore(
        side="long" if sign == 1 else "short",
        columns=len(captures),
        pairs=int(all_realized.size),
        realized_usd=float(all_realized.sum()),
        outside_usd=outside,
        rank_correlation=spearman(all_estimates, all_realized) if all_realized.size > 1 else float("nan"),
        top_k_capture=float(np.average(captures, weights=weights)) if captures else float("nan"),
        random_capture=float(np.average(randoms, weights=weights)) if randoms else float("nan"),
        k=k,
    )


def _visited(heatmap: Heatmap, row: int, sign: int) -> tuple[int, int]:
    """Bins (offsets into the grid) the price crossed in column ``row`` from the previous close, end exclusive."""
    previous_close = float(heatmap.candles[row - 1, 3])
    extreme = float(heatmap.candles[row, 1] if sign == -1 else heatmap.candles[row, 2])
    low, high = sorted((previous_close, extreme))
    keys = bin_index(np.array([low, high]), heatmap.bin_width) - heatmap.first_bin
    width = heatmap.long.shape[1]
    return int(np.clip(keys[0], 0, width - 1)), int(np.clip(keys[1], 0, width - 1)) + 1
