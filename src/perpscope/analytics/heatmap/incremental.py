"""The live heatmap: one bar at a time, without recomputing history (equal to the batch model; tests hold it).

Each side keeps its live levels sorted by liquidation price, so a bar's crossings are a suffix (longs: price >=
low) or a prefix (shorts: price <= high) found by binary search and dropped as a view. New levels wait in a small
unsorted buffer, checked directly, and are merged into the sorted arrays when it fills. Values are stored divided
by the running scale ``exp(L)``, so proportional removal and decay cost one multiplication per bar, not one per
level; per-bin totals are kept the same way, so a column is ready the moment its last bar is in.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy.typing as npt

from perpscope.analytics.heatmap.bars import Bars, FloatArray, IntArray
from perpscope.analytics.heatmap.config import HeatmapConfig
from perpscope.analytics.heatmap.model import LONG, SHORT
from perpscope.analytics.heatmap.outputs import Heatmap, LiquidationMap, bin_index
from perpscope.analytics.heatmap.pricing import prices_for_entry, resolve_table
from perpscope.analytics.liquidation import MarginTable

_PENDING_LIMIT = 1024  # new levels kept unsorted before a merge: merges stay rare, checks stay short
_SMALL_UPDATE = 256  # removals up to this many levels update the bins one by one
_RESCALE_BELOW = 1e-150  # fold the running scale into the stored values before it could underflow
_HOUR_MS = 3_600_000


@dataclasses.dataclass(frozen=True)
class Bar:
    """One bar's inputs, as :class:`Bars` holds them (USD; open interest in base units; ``ts`` its open time)."""

    ts: int
    open: float
    high: float
    low: float
    close: float
    trigger_high: float
    trigger_low: float
    entry: float
    open_interest: float
    long_share: float

    @classmethod
    def of(cls, bars: Bars, index: int) -> Bar:
        values = {field.name: getattr(bars, field.name)[index] for field in dataclasses.fields(cls)}
        return cls(ts=int(values.pop("ts")), **{name: float(value) for name, value in values.items()})


class _Levels:
    """Parallel arrays of levels: price (USD), value (USD / scale), quantity (base units / scale), bin."""

    def __init__(self) -> None:
        self.prices = np.zeros(0)
        self.values = np.zeros(0)
        self.quantities = np.zeros(0)
        self.keys = np.zeros(0, np.int64)

    def take(self, which: slice | npt.NDArray[np.bool_] | IntArray) -> _Levels:
        part = _Levels()
        part.prices, part.values = self.prices[which], self.values[which]
        part.quantities, part.keys = self.quantities[which], self.keys[which]
        return part

    def extend(self, other: _Levels) -> None:
        self.prices = np.concatenate([self.prices, other.prices])
        self.values = np.concatenate([self.values, other.values])
        self.quantities = np.concatenate([self.quantities, other.quantities])
        self.keys = np.concatenate([self.keys, other.keys])

    def __len__(self) -> int:
        return int(self.prices.size)


class _Side:
    """One side's live levels: sorted by price plus an unsorted buffer; per-bin totals in stored units."""

    def __init__(self, sign: int) -> None:
        self.sign = sign
        self.sorted = _Levels()
        self.pending = _Levels()
        self.first_bin = 0
        self.totals = np.zeros(0)
        self.quantity_total = 0.0

    def consume(self, trigger: float) -> None:
        """Drop the levels that a bar whose (mark) range reaches ``trigger`` crosses."""
        if self.sign == LONG:
            cut = int(np.searchsorted(self.sorted.prices, trigger, side="left"))
            gone, kept = slice(cut, None), slice(None, cut)
            crossed = self.pending.prices >= trigger
        else:
            cut = int(np.searchsorted(self.sorted.prices, trigger, side="right"))
            gone, kept = slice(None, cut), slice(cut, None)
            crossed = self.pending.prices <= trigger
        self._forget(self.sorted.take(gone))
        self.sorted = self.sorted.take(kept)
        if crossed.any():
            self._forget(self.pending.take(crossed))
            self.pending = self.pending.take(~crossed)

    def add(self, new: _Levels) -> None:
        self._grow(int(new.keys.min()), int(new.keys.max()))
        np.add.at(self.totals, new.keys - self.first_bin, new.values)
        self.quantity_total += float(new.quantities.sum())
        self.pending.extend(new)
        if len(self.pending) >= _PENDING_LIMIT:
            self.merge()

    def merge(self) -> None:
        """Insert the buffer into the sorted arrays: one linear pass (``np.insert``), not a full re-sort."""
        if not len(self.pending):
            return
        pending = self.pending.take(np.argsort(self.pending.prices, kind="stable"))
        places = np.searchsorted(self.sorted.prices, pending.prices, side="right")
        merged = _Levels()
        merged.prices = np.insert(self.sorted.prices, places, pending.prices)
        merged.values = np.insert(self.sorted.values, places, pending.values)
        merged.quantities = np.insert(self.sorted.quantities, places, pending.quantities)
        merged.keys = np.insert(self.sorted.keys, places, pending.keys)
        self.sorted, self.pending = merged, _Levels()

    def rescale(self, factor: float) -> None:
        self.merge()
        self.sorted.values = self.sorted.values * factor
        self.sorted.quantities = self.sorted.quantities * factor
        self.totals *= factor
        self.quantity_total *= factor

    def levels(self) -> _Levels:
        every = self.sorted.take(slice(None))
        every.extend(self.pending)
        return every

    def _forget(self, gone: _Levels) -> None:
        if len(gone) > _SMALL_UPDATE:  # a big crossing: one pass over the bins beats element-wise updates
            self.totals -= np.bincount(gone.keys - self.first_bin, weights=gone.values, minlength=self.totals.size)
            self.quantity_total -= float(gone.quantities.sum())
        elif len(gone):
            np.subtract.at(self.totals, gone.keys - self.first_bin, gone.values)
            self.quantity_total -= float(gone.quantities.sum())

    def _grow(self, low: int, high: int) -> None:
        if self.totals.size == 0:
            self.first_bin, self.totals = low - 512, np.zeros(high - low + 1025)
            return
        last = self.first_bin + self.totals.size - 1
        if low >= self.first_bin and high <= last:
            return
        margin = max(512, self.totals.size // 2)
        first = min(self.first_bin, low - margin)
        totals = np.zeros(max(last, high + margin) - first + 1)
        totals[self.first_bin - first : self.first_bin - first + self.totals.size] = self.totals
        self.first_bin, self.totals = first, totals


@dataclasses.dataclass
class _Column:
    """A finished column: its id (``ts // column_ms``), candle, and both sides' bins (USD, capped)."""

    column_id: int
    candle: tuple[float, float, float, float]
    first_bin: dict[int, int]
    usd: dict[int, FloatArray]


class LiveHeatmap:
    """Feed bars with :meth:`update`; read the finished columns with :meth:`heatmap` and the map with :meth:`map`."""

    def __init__(
        self, config: HeatmapConfig, venue: str, *, symbol: str | None = None, table: MarginTable | None = None
    ) -> None:
        self.config = config
        self.venue = venue
        self.symbol = symbol or "BTC"
        self.table = resolve_table(venue, symbol, table, config)
        self.sides = {LONG: _Side(LONG), SHORT: _Side(SHORT)}
        self.columns: list[_Column] = []
        self._log_scale = 0.0  # L(t), as the batch model's running sum
        self._anchor = 0.0  # stored values are USD x exp(anchor - L(created))
        self._last: Bar | None = None
        self._candle: list[float] = []
        self._bin_range = (math.inf, -math.inf)

    @property
    def scale(self) -> float:
        return math.exp(self._log_scale - self._anchor)

    def update(self, bar: Bar) -> None:
        """Consume, scale and create for one bar; a bar in a new column first closes the previous column."""
        last = self._last
        if last is not None and bar.ts // self.config.column_ms != last.ts // self.config.column_ms:
            self._close_column()
        if last is not None:
            self.sides[LONG].consume(bar.trigger_low)
            self.sides[SHORT].consume(bar.trigger_high)
            self._log_scale += self._step(last, bar)
            if self.scale < _RESCALE_BELOW:
                for side in self.sides.values():
                    side.rescale(self.scale)
                self._anchor = self._log_scale
            if bar.open_interest > last.open_interest:
                self._create(bar, bar.open_interest - last.open_interest)
        self._track(bar)
        self._last = bar

    def finish(self) -> None:
        """Close the column of the last bar (a live feed calls this only when it knows the column is over)."""
        if self._last is not None and self._candle:
            self._close_column()

    def heatmap(self) -> Heatmap:
        """The finished columns on one grid of bins (the batch model's grid, for the same bars)."""
        width = self.config.bin_width
        first, last = int(self._bin_range[0]), int(self._bin_range[1])
        grids = {sign: np.zeros((len(self.columns), last - first + 1)) for sign in self.sides}
        for row, column in enumerate(self.columns):
            for sign, usd in column.usd.items():
                start = column.first_bin[sign] - first
                lo, hi = max(0, -start), min(usd.size, grids[sign].shape[1] - start)
                grids[sign][row, start + lo : start + hi] = usd[lo:hi]
        return Heatmap(
            venues=(self.venue,),
            symbol=self.symbol,
            times=np.array([column.column_id for column in self.columns], dtype=np.int64) * self.config.column_ms,
            first_bin=first,
            bin_width=width,
            long=grids[LONG],
            short=grids[SHORT],
            candles=np.array([column.candle for column in self.columns]).reshape(-1, 4),
            assumptions=tuple(self.config.assumptions()),
        )

    def map(self) -> LiquidationMap:
        """The live levels after the last bar (USD, capped at open interest)."""
        if self._last is None:
            raise ValueError("LiveHeatmap.map: no bar yet")
        sides = {}
        for sign, side in self.sides.items():
            levels = side.levels()
            order = np.argsort(levels.prices, kind="stable")
            sides[sign] = (levels.prices[order], levels.values[order] * self.scale * self._cap(side))
        return LiquidationMap(
            venues=(self.venue,),
            symbol=self.symbol,
            at=self._last.ts,
            price=self._last.close,
            long_prices=sides[LONG][0],
            long_usd=sides[LONG][1],
            short_prices=sides[SHORT][0],
            short_usd=sides[SHORT][1],
            assumptions=tuple(self.config.assumptions()),
        )

    def _step(self, last: Bar, bar: Bar) -> float:
        """``log r`` of the bar, computed as the batch model computes it."""
        step = 0.0
        if self.config.oi_drop_removal == "proportional":
            step = min(math.log(bar.open_interest) - math.log(last.open_interest), 0.0)
        if self.config.decay_half_life_h is not None:
            step -= math.log(2.0) * (bar.ts - last.ts) / (self.config.decay_half_life_h * _HOUR_MS)
        return step

    def _create(self, bar: Bar, rise: float) -> None:
        weights = np.asarray(self.config.weights)
        for sign, share in ((LONG, bar.long_share), (SHORT, 1.0 - bar.long_share)):
            prices = prices_for_entry(self.venue, sign, bar.entry, self.config, self.table)
            quantities = rise * share * weights
            keep = np.isfinite(prices) & (prices > 0) & (quantities > 0)
            if not keep.any():
                continue
            new = _Levels()
            new.prices, new.quantities = prices[keep], quantities[keep] / self.scale
            new.values = quantities[keep] * prices[keep] / self.scale
            new.keys = bin_index(new.prices, self.config.bin_width)
            self._bin_range = (
                min(self._bin_range[0], int(new.keys.min())),
                max(self._bin_range[1], int(new.keys.max())),
            )
            self.sides[sign].add(new)

    def _track(self, bar: Bar) -> None:
        keys = bin_index(np.array([bar.low, bar.high]), self.config.bin_width)
        self._bin_range = (min(self._bin_range[0], int(keys[0])), max(self._bin_range[1], int(keys[1])))
        if not self._candle:
            self._candle = [bar.open, bar.high, bar.low, bar.close]
        else:
            self._candle = [self._candle[0], max(self._candle[1], bar.high), min(self._candle[2], bar.low), bar.close]

    def _cap(self, side: _Side) -> float:
        live = side.quantity_total * self.scale
        oi = self._last.open_interest if self._last is not None else math.inf
        return oi / live if self.config.cap_at_open_interest and live > oi else 1.0

    def _close_column(self) -> None:
        assert self._last is not None
        usd = {}
        first = {}
        for sign, side in self.sides.items():
            usd[sign] = np.maximum(side.totals * (self.scale * self._cap(side)), 0.0)
            first[sign] = side.first_bin
        candle = (self._candle[0], self._candle[1], self._candle[2], self._candle[3])
        self.columns.append(_Column(self._last.ts // self.config.column_ms, candle, first, usd))
        self._candle = []


def replay(bars: Bars, config: HeatmapConfig, venue: str, **options: object) -> LiveHeatmap:
    """Feed every bar of ``bars`` to a new :class:`LiveHeatmap` and close its last column (for tests, backfills)."""
    live = LiveHeatmap(config, venue, **options)  # type: ignore[arg-type]
    for index in range(len(bars)):
        live.update(Bar.of(bars, index))
    live.finish()
    return live
