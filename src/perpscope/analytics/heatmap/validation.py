"""Accuracy measures for the heatmap: rank correlation, per-column correlation and top-k hits (docs/heatmap.md).

Pure NumPy on aligned arrays, so the harnesses (simulated ground truth, realized liquidations) only line data up.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from perpscope.analytics.heatmap.bars import FloatArray
from perpscope.analytics.heatmap.outputs import Heatmap, bin_index


def average_ranks(values: FloatArray) -> FloatArray:
    """Ranks 1..n, ties sharing their average rank (what Spearman's correlation needs)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    ends = np.concatenate([starts[1:], [values.size]])
    ranks = np.empty(values.size)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def pearson(first: FloatArray, second: FloatArray) -> float:
    """Pearson's correlation; NaN when either side is constant (nothing to correlate)."""
    if first.size < 2:
        return float("nan")
    a, b = first - first.mean(), second - second.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator > 0 else float("nan")


def spearman(first: FloatArray, second: FloatArray) -> float:
    """Spearman's rank correlation (Pearson on average ranks)."""
    return pearson(average_ranks(first), average_ranks(second))


def top_k_overlap(estimate: FloatArray, truth: FloatArray, k: int) -> float:
    """Share of the ``k`` largest true bins that are among the ``k`` largest estimated bins (NaN: no truth)."""
    positive = int(np.count_nonzero(truth > 0))
    if positive == 0:
        return float("nan")
    count = min(k, positive)
    true_top = set(np.argsort(-truth, kind="stable")[:count].tolist())
    estimated_top = set(np.argsort(-estimate, kind="stable")[:count].tolist())
    return len(true_top & estimated_top) / count


def top_k_capture(estimate: FloatArray, realized: FloatArray, k: int) -> float:
    """Share of the realized USD that fell in the ``k`` bins the estimate ranked highest (NaN: nothing realized)."""
    total = float(realized.sum())
    if total <= 0:
        return float("nan")
    chosen = np.argsort(-estimate, kind="stable")[: min(k, estimate.size)]
    return float(realized[chosen].sum()) / total


@dataclasses.dataclass(frozen=True)
class GridScore:
    """Estimate vs truth on matching (column, bin) grids: mean per-column correlation and top-k overlap."""

    columns: int
    correlation: float  # mean over columns of Pearson across bins near the price
    rank_correlation: float  # mean over columns of Spearman across the same bins
    top_k: float  # mean share of the true top-k bins found in the estimate's top-k
    k: int


def score_grids(estimate: FloatArray, truth: FloatArray, window: npt.NDArray[np.bool_], k: int = 5) -> GridScore:
    """Compare grids (columns x bins) column by column on the bins where ``window`` (same shape) is True."""
    correlations, ranks, hits = [], [], []
    for row in range(estimate.shape[0]):
        mask = window[row]
        if not mask.any() or truth[row, mask].sum() <= 0:
            continue
        est, true = estimate[row, mask], truth[row, mask]
        correlations.append(pearson(est, true))
        ranks.append(spearman(est, true))
        hits.append(top_k_overlap(est, true, k))
    return GridScore(len(hits), _nanmean(correlations), _nanmean(ranks), _nanmean(hits), k)


def price_window(heatmap: Heatmap, fraction: float) -> npt.NDArray[np.bool_]:
    """True for the bins within ``fraction`` of each column's close: where a map is read."""
    centers = heatmap.centers
    close = heatmap.candles[:, 3:4]
    result: npt.NDArray[np.bool_] = np.abs(centers[None, :] / close - 1.0) <= fraction
    return result


def truth_grid(prices: FloatArray, notionals: FloatArray, rows: FloatArray, heatmap: Heatmap) -> FloatArray:
    """Known positions (liquidation price, USD at it, column row) binned on ``heatmap``'s grid."""
    grid = np.zeros_like(heatmap.long)
    keys = bin_index(prices, heatmap.bin_width) - heatmap.first_bin
    inside = (keys >= 0) & (keys < grid.shape[1]) & (rows >= 0) & (rows < grid.shape[0])
    np.add.at(grid, (rows[inside].astype(np.int64), keys[inside]), notionals[inside])
    return grid


def _nanmean(values: list[float]) -> float:
    finite = [value for value in values if np.isfinite(value)]
    return float(np.mean(finite)) if finite else float("nan")
