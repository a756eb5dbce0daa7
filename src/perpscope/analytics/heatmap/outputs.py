"""What the model shows: the heatmap grid (time x price bins, USD), the map at a time, and the sentence form.

Columns: a column holds the bars whose open time falls in ``[j x column_ms, (j + 1) x column_ms)`` and shows the
state at the end of its last bar. Bins: logarithmic, shared by every venue (:func:`bin_index`). Values: USD
notional at the liquidation price, capped per side at open interest when the config says so. All "estimated".
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from perpscope.analytics.heatmap.bars import FloatArray, IntArray
from perpscope.analytics.heatmap.config import ESTIMATED
from perpscope.analytics.heatmap.model import LONG, SHORT, Levels, ModelRun

UNITS = {
    "long_usd": "USD notional of estimated long liquidation levels per price bin (quantity x liquidation price)",
    "short_usd": "USD notional of estimated short liquidation levels per price bin",
    "price": "USD",
    "time": "ms since the epoch, UTC (column start)",
}


def bin_index(prices: FloatArray, width: float) -> IntArray:
    """Bin ``k`` holds prices in ``[(1 + width)^k, (1 + width)^(k + 1))`` USD."""
    result: IntArray = np.floor(np.log(prices) / math.log1p(width)).astype(np.int64)
    return result


def bin_edges(first: int, count: int, width: float) -> FloatArray:
    """The ``count + 1`` edges (USD) of bins ``first .. first + count - 1``."""
    result: FloatArray = np.exp(np.arange(first, first + count + 1) * math.log1p(width))
    return result


@dataclasses.dataclass(frozen=True)
class Heatmap:
    """``long``/``short``: arrays (columns x bins) of USD. ``times``: column starts (ms). ``first_bin``: the bin
    index of column 0 of the price axis. ``candles``: open, high, low, close per column (USD, last-trade)."""

    venues: tuple[str, ...]
    symbol: str
    times: IntArray
    first_bin: int
    bin_width: float
    long: FloatArray
    short: FloatArray
    candles: FloatArray  # columns x 4
    assumptions: tuple[str, ...]
    label: str = ESTIMATED

    @property
    def edges(self) -> FloatArray:
        return bin_edges(self.first_bin, self.long.shape[1], self.bin_width)

    @property
    def centers(self) -> FloatArray:
        edges = self.edges
        result: FloatArray = np.sqrt(edges[:-1] * edges[1:])
        return result


def column_ends(ts: IntArray, column_ms: int) -> tuple[IntArray, IntArray]:
    """The column id of every bar's column (``ts // column_ms``, one per distinct id) and its last bar's index."""
    ids = ts // column_ms
    last = np.flatnonzero(np.append(ids[1:] != ids[:-1], True)).astype(np.int64)
    return ids[last], last


_BLOCK_COLUMNS = 256  # columns carried with one cumulative sum
_BLOCK_RANGE = 300.0  # a block whose log-scale falls further than this (never, in practice) is carried one by one


def bar_columns(ends: IntArray) -> IntArray:
    """For bars ``0 .. len`` (the last index meaning "never"), the index of the column that shows them."""
    result: IntArray = np.searchsorted(ends, np.arange(int(ends[-1]) + 2 if ends.size else 1)).astype(np.int64)
    return result


def snapshot_sums(
    levels: Levels, values: FloatArray, keys: IntArray, key_count: int, log_scale: FloatArray, ends: IntArray
) -> FloatArray:
    """``S[j, key] = sum of values x exp(L(end_j) - L(created))`` over the levels alive at bar ``end_j``.

    A difference array per column, each entry rebased on its own column's ``L`` so that no exponent is positive
    (no overflow in a year of decay), then carried forward: ``S_j = S_{j-1} x exp(L_j - L_{j-1}) + D_j``."""
    columns = ends.size
    anchors = log_scale[ends]
    bar_column = bar_columns(ends)
    create_column = bar_column[levels.created]
    consume_column = bar_column[levels.consumed]  # len(bars) -> ``columns``: never
    visible = create_column != consume_column
    created, consumed = create_column[visible], consume_column[visible]
    weights, slots, created_log = values[visible], keys[visible], log_scale[levels.created[visible]]
    removed = consumed < columns
    index = np.concatenate([created * key_count + slots, consumed[removed] * key_count + slots[removed]])
    signed = np.concatenate(
        [
            weights * np.exp(anchors[created] - created_log),
            -(weights[removed] * np.exp(anchors[consumed[removed]] - created_log[removed])),
        ]
    )
    counted = np.bincount(index, weights=signed, minlength=columns * key_count).astype(np.float64, copy=False)
    grid = counted.reshape(columns, key_count)
    _carry(grid, anchors)
    np.maximum(grid, 0.0, out=grid)  # cancellation leaves -1e-9 where a bin emptied
    return grid


def _carry(grid: FloatArray, anchors: FloatArray) -> None:
    """Turn per-column differences into states in place, a block of columns per cumulative sum."""
    previous = np.zeros(grid.shape[1])
    previous_anchor = float(anchors[0]) if anchors.size else 0.0
    for start in range(0, grid.shape[0], _BLOCK_COLUMNS):
        stop = min(start + _BLOCK_COLUMNS, grid.shape[0])
        block, block_anchors = grid[start:stop], anchors[start:stop]
        anchor = float(block_anchors[-1])
        if previous_anchor - anchor > _BLOCK_RANGE:
            for row in range(block.shape[0]):
                block[row] += previous * np.exp(block_anchors[row] - previous_anchor)
                previous, previous_anchor = block[row], float(block_anchors[row])
            continue
        block *= np.exp(anchor - block_anchors)[:, None]  # every difference valued at the block's last column
        block[0] += previous * np.exp(anchor - previous_anchor)
        np.cumsum(block, axis=0, out=block)
        block *= np.exp(block_anchors - anchor)[:, None]
        previous, previous_anchor = block[-1], anchor


def cap_factors(run: ModelRun, sign: int, ends: IntArray) -> FloatArray:
    """Per column, the factor (<= 1) that keeps the side's live quantity at or below open interest."""
    if not run.config.cap_at_open_interest:
        return np.ones(ends.size)
    levels = run.side(sign)
    live = snapshot_sums(levels, levels.quantity, np.zeros(len(levels), np.int64), 1, run.log_scale, ends)[:, 0]
    oi = run.bars.open_interest[ends]
    with np.errstate(divide="ignore", invalid="ignore"):
        result: FloatArray = np.where(live > oi, oi / live, 1.0)
    return result


def heatmap_grid(run: ModelRun) -> Heatmap:
    """The heatmap of one venue's run: both sides on one grid of bins covering every level."""
    width = run.config.bin_width
    ids, ends = column_ends(run.bars.ts, run.config.column_ms)
    prices = np.concatenate([run.longs.price, run.shorts.price, run.bars.low, run.bars.high])
    first = int(bin_index(np.array([prices.min()]), width)[0])
    count = int(bin_index(np.array([prices.max()]), width)[0]) - first + 1
    grids = {}
    for sign in (LONG, SHORT):
        levels = run.side(sign)
        keys = bin_index(levels.price, width) - first
        grid = snapshot_sums(levels, levels.notional, keys, count, run.log_scale, ends)
        grid *= cap_factors(run, sign, ends)[:, None]
        grids[sign] = grid
    return Heatmap(
        venues=(run.venue,),
        symbol=run.symbol,
        times=ids * run.config.column_ms,
        first_bin=first,
        bin_width=width,
        long=grids[LONG],
        short=grids[SHORT],
        candles=column_candles(run, ends),
        assumptions=tuple(run.config.assumptions()),
    )


def column_candles(run: ModelRun, ends: IntArray) -> FloatArray:
    bars = run.bars
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    candles = np.empty((ends.size, 4))
    candles[:, 0] = bars.open[starts]
    candles[:, 1] = np.maximum.reduceat(bars.high, starts) if ends.size else []
    candles[:, 2] = np.minimum.reduceat(bars.low, starts) if ends.size else []
    candles[:, 3] = bars.close[ends]
    return candles


def live_levels(run: ModelRun, sign: int, at: int) -> tuple[FloatArray, FloatArray]:
    """Prices (USD) and live USD of one side's levels alive at the end of bar ``at``, capped at open interest."""
    levels = run.side(sign)
    alive = (levels.created <= at) & (levels.consumed > at)
    scale = np.exp(run.log_scale[at] - run.log_scale[levels.created[alive]])
    quantity = levels.quantity[alive] * scale
    factor = 1.0
    total = float(quantity.sum())
    oi = float(run.bars.open_interest[at])
    if run.config.cap_at_open_interest and total > oi:
        factor = oi / total
    return levels.price[alive], quantity * levels.price[alive] * factor


@dataclasses.dataclass(frozen=True)
class LiquidationMap:
    """Live levels at one time: prices (USD, ascending) and USD per level for each side, from every venue."""

    venues: tuple[str, ...]
    symbol: str
    at: int  # ms, open time of the bar at whose end the map is taken
    price: float  # the bar's close (USD)
    long_prices: FloatArray
    long_usd: FloatArray
    short_prices: FloatArray
    short_usd: FloatArray
    assumptions: tuple[str, ...]
    label: str = ESTIMATED

    def shorts_at_risk(self, target: float) -> float:
        """USD of shorts a move up to ``target`` would cross (every short level at or below it)."""
        return float(self.short_usd[self.short_prices <= target].sum())

    def longs_at_risk(self, target: float) -> float:
        """USD of longs a drop to ``target`` would cross (every long level at or above it)."""
        return float(self.long_usd[self.long_prices >= target].sum())

    def at_risk(self, target: float) -> tuple[str, float]:
        """("short", USD) for a target at or above the price, ("long", USD) below it."""
        if target >= self.price:
            return "short", self.shorts_at_risk(target)
        return "long", self.longs_at_risk(target)

    def cumulative(self, targets: FloatArray) -> FloatArray:
        """:meth:`at_risk` for many targets (USD), vectorised: the curve a map chart draws."""
        short_order = np.argsort(self.short_prices)
        short_cumulative = np.concatenate([[0.0], np.cumsum(self.short_usd[short_order])])
        above = short_cumulative[np.searchsorted(self.short_prices[short_order], targets, side="right")]
        long_order = np.argsort(self.long_prices)
        long_cumulative = np.concatenate([[0.0], np.cumsum(self.long_usd[long_order])])
        long_total = long_cumulative[-1]
        below = long_total - long_cumulative[np.searchsorted(self.long_prices[long_order], targets, side="left")]
        result: FloatArray = np.where(targets >= self.price, above, below)
        return result


def liquidation_map(run: ModelRun, at: int) -> LiquidationMap:
    """The map of one venue's run at the end of bar index ``at``."""
    long_prices, long_usd = live_levels(run, LONG, at)
    short_prices, short_usd = live_levels(run, SHORT, at)
    return LiquidationMap(
        venues=(run.venue,),
        symbol=run.symbol,
        at=int(run.bars.ts[at]),
        price=float(run.bars.close[at]),
        long_prices=long_prices,
        long_usd=long_usd,
        short_prices=short_prices,
        short_usd=short_usd,
        assumptions=tuple(run.config.assumptions()),
    )


def default_targets(price: float, fraction: float) -> tuple[float, float]:
    """A move up and a drop by ``fraction`` of ``price``, rounded to 3 significant figures (USD)."""
    return _round_price(price * (1 + fraction)), _round_price(price * (1 - fraction))


def sentence(liquidation_map: LiquidationMap, targets: list[float]) -> str:
    """ "A move to $X would put about $Y of shorts at risk; a drop to $Z about $W of longs (estimated, ...)." """
    parts = []
    for target in sorted(
        targets, key=lambda value: (value < liquidation_map.price, abs(value - liquidation_map.price))
    ):
        side, usd = liquidation_map.at_risk(target)
        if side == "short":
            parts.append(
                f"a move to {format_usd(target, exact=True)} would put about {format_usd(usd)} of shorts at risk"
            )
        elif parts:
            parts.append(f"a drop to {format_usd(target, exact=True)} about {format_usd(usd)} of longs")
        else:
            parts.append(
                f"a drop to {format_usd(target, exact=True)} would put about {format_usd(usd)} of longs at risk"
            )
    venues = ", ".join(liquidation_map.venues)
    text = "; ".join(parts)
    where = f"{liquidation_map.symbol} on {venues}, price {format_usd(liquidation_map.price, exact=True)}"
    return f"{text[:1].upper()}{text[1:]} ({ESTIMATED}; {where})."


def format_usd(value: float, *, exact: bool = False) -> str:
    """``$92,000`` (exact) or ``$1.2B`` / ``$340M`` / ``$12K`` (rounded, for amounts at risk)."""
    if exact:
        return f"${value:,.0f}" if abs(value) >= 100 else f"${value:,.4g}"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"${value / size:,.3g}{suffix}"
    return f"${value:,.0f}"


def _round_price(value: float) -> float:
    digits = 2 - math.floor(math.log10(abs(value)))
    return round(value, digits)
