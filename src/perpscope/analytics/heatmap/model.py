"""The batch model, vectorised with NumPy: every level of a series at once (METHOD.md §5; docs/heatmap.md).

Per bar ``t`` and side, in this order:

1. consume: levels created before ``t`` whose price the bar's trigger range crosses (long: ``low <= LP``;
   short: ``high >= LP``) are removed;
2. scale: every live level is multiplied by ``r_t`` = (OI_t / OI_{t-1} when open interest fell and removal is
   proportional) x (the decay over the bar's time step);
3. create: when OI rose by ΔOI, the side gets ``ΔOI x share x weight`` base units per leverage of the mix, at the
   venue's liquidation price for an isolated position opened at the bar's entry price.

So a level created at ``c`` and first crossed at ``k`` is worth ``q x exp(L(t) - L(c))`` for ``c <= t < k``, with
``L`` the running sum of ``log r``. ``k`` comes from a sparse table of running minima (maxima) and binary lifting,
one pass per power of two; the scaling is a cumulative sum. The cap at open interest is applied on output
(:mod:`perpscope.analytics.heatmap.outputs`).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from perpscope.analytics.heatmap.bars import Bars, FloatArray, IntArray
from perpscope.analytics.heatmap.config import HeatmapConfig
from perpscope.analytics.heatmap.pricing import level_prices, resolve_table
from perpscope.analytics.liquidation import MarginTable

LONG, SHORT = 1, -1
_LN2 = math.log(2.0)
_HOUR_MS = 3_600_000


@dataclasses.dataclass(frozen=True)
class Levels:
    """One side's levels. ``created``/``consumed`` are bar indices (``consumed == len(bars)``: never crossed);
    ``price`` the liquidation price (USD), ``quantity`` the initial size (base units)."""

    sign: int
    created: IntArray
    consumed: IntArray
    price: FloatArray
    quantity: FloatArray

    @property
    def notional(self) -> FloatArray:
        """USD at the liquidation price, as venues report liquidations (quantity x price)."""
        result: FloatArray = self.quantity * self.price
        return result

    def __len__(self) -> int:
        return int(self.created.size)


@dataclasses.dataclass(frozen=True)
class ModelRun:
    """The model's state for a whole series: the bars, both sides' levels and the running log-scale ``L``."""

    venue: str
    symbol: str
    bars: Bars
    config: HeatmapConfig
    longs: Levels
    shorts: Levels
    log_scale: FloatArray
    dropped: int  # levels the venue's rules refused (NaN price) or that cannot be liquidated (price 0)

    def side(self, sign: int) -> Levels:
        return self.longs if sign == LONG else self.shorts


def run_model(
    bars: Bars,
    config: HeatmapConfig,
    venue: str,
    *,
    symbol: str | None = None,
    table: MarginTable | None = None,
) -> ModelRun:
    """Every level of ``bars`` with its creation bar, consumption bar, price and size."""
    table = resolve_table(venue, symbol, table, config)
    created, increase = _rises(bars)
    levels: dict[int, Levels] = {}
    dropped = 0
    for sign in (LONG, SHORT):
        share = bars.long_share[created] if sign == LONG else 1.0 - bars.long_share[created]
        side_levels, side_dropped = _side_levels(bars, config, venue, table, sign, created, increase * share)
        levels[sign] = side_levels
        dropped += side_dropped
    name = symbol or "BTC"
    return ModelRun(venue, name, bars, config, levels[LONG], levels[SHORT], log_scale(bars, config), dropped)


def log_scale(bars: Bars, config: HeatmapConfig) -> FloatArray:
    """``L(t) = sum_{u <= t} log r_u`` with ``L(0) = 0``: proportional removal on OI falls, then decay."""
    steps = np.zeros(len(bars))
    if len(bars) > 1:
        if config.oi_drop_removal == "proportional":
            log_oi = np.log(bars.open_interest)
            steps[1:] = np.minimum(np.diff(log_oi), 0.0)
        if config.decay_half_life_h is not None:
            steps[1:] -= _LN2 * np.diff(bars.ts) / (config.decay_half_life_h * _HOUR_MS)
    result: FloatArray = np.cumsum(steps)
    return result


def first_crossings(levels_from: IntArray, prices: FloatArray, path: FloatArray, sign: int) -> IntArray:
    """For each level, the first bar ``k >= levels_from`` whose ``path`` crosses its price, else ``len(path)``.

    Long (``sign`` +1): ``path`` are lows, crossed where ``low <= price``; short: highs, where ``high >= price``.
    Works on ``-path`` for shorts so both are "first index whose running minimum is <= x". ``tables[p][i]`` is
    the minimum of ``values[i : i + 2**p]`` (shorter at the end, where it is still the minimum of what is left)."""
    size = path.size
    values = path if sign == LONG else -path
    targets = prices if sign == LONG else -prices
    depth = max(1, int(size).bit_length())
    padded = np.append(values, np.inf)  # index ``size`` stands for "never": positions are clipped to it
    tables = [padded]
    for power in range(1, depth):
        previous = tables[-1]
        step = 1 << (power - 1)
        current = previous.copy()
        np.minimum(previous[:-step], previous[step:], out=current[:-step])
        tables.append(current)
    position = levels_from.astype(np.int64).copy()
    for power in range(depth - 1, -1, -1):
        block_minimum = tables[power][position]
        position += np.where(block_minimum > targets, 1 << power, 0)
        np.minimum(position, size, out=position)
    return position


def _rises(bars: Bars) -> tuple[IntArray, FloatArray]:
    """Bars where open interest rose, and by how much (base units)."""
    change = np.zeros(len(bars))
    change[1:] = np.diff(bars.open_interest)
    created = np.flatnonzero(change > 0).astype(np.int64)
    return created, change[created]


def _side_levels(
    bars: Bars,
    config: HeatmapConfig,
    venue: str,
    table: MarginTable | None,
    sign: int,
    created: IntArray,
    new_quantity: FloatArray,
) -> tuple[Levels, int]:
    created_parts, price_parts, quantity_parts = [], [], []
    for leverage, weight in config.leverage_mix:
        created_parts.append(created)
        price_parts.append(level_prices(venue, sign, bars.entry[created], leverage, config, table))
        quantity_parts.append(new_quantity * weight)
    all_created = np.concatenate(created_parts) if created_parts else np.zeros(0, np.int64)
    prices = np.concatenate(price_parts)
    quantities = np.concatenate(quantity_parts)
    usable = np.isfinite(prices) & (prices > 0)
    positive = quantities > 0
    keep = usable & positive
    order = np.argsort(all_created[keep], kind="stable")  # bar order keeps the lifting's gathers local
    all_created, prices, quantities = all_created[keep][order], prices[keep][order], quantities[keep][order]
    path = bars.trigger_low if sign == LONG else bars.trigger_high
    consumed = first_crossings(all_created + 1, prices, path, sign)
    levels = Levels(sign, all_created, consumed, prices, quantities)
    return levels, int(np.count_nonzero(positive & ~usable))
