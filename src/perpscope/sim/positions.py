"""Open positions of one venue as NumPy columns (structure of arrays), not Python objects.

Positions are appended in id order and removed by marking them dead; the columns are compacted when more than half
of the slots are dead, which keeps ids sorted, so an id is found with ``searchsorted``. Liquidation prices are
computed in batches (one vectorised call per batch, analytics/liquidation): a new position is *pending* until its
batch is priced. Until then a conservative bound stands in for its price (:func:`pending_bounds`), and the batch
is priced as soon as the mark reaches a bound, so no position can be crossed unnoticed.

Per-side liquidation columns hold -inf (longs' column) or +inf (shorts' column) for dead and other-side slots, so
one comparison per side finds every crossed position. ``max_long_price``/``min_short_price`` bound the priced
positions' prices: a step whose mark is inside them needs no scan at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Pricer = Callable[[npt.NDArray[np.int8], FloatArray, FloatArray, FloatArray], FloatArray]

_COLUMNS: dict[str, type] = {
    "ids": np.int64,
    "sides": np.int8,
    "quantities": np.float64,
    "entries": np.float64,
    "leverages": np.float64,
    "liquidation_prices": np.float64,
    "long_prices": np.float64,
    "short_prices": np.float64,
    "open_ts": np.int64,
    "alive": np.bool_,
}


@dataclass
class Removed:
    """Columns of positions just removed (closed or liquidated)."""

    ids: IntArray
    sides: npt.NDArray[np.int8]
    quantities: FloatArray
    entries: FloatArray
    leverages: FloatArray
    liquidation_prices: FloatArray
    open_ts: IntArray


def pending_bounds(price: float, max_leverage: float, rate_bound: float) -> tuple[float, float]:
    """The highest a long's and the lowest a short's liquidation price can be, for positions entered at ``price``
    with leverage at most ``max_leverage``.

    With ``r`` at least the maintenance rate (plus closing fee) of any tier the positions can reach, every venue's
    isolated price satisfies long ``LP <= EP (1 - 1/L + r) / (1 - r)`` and short ``LP >= EP (1 + 1/L - r) / (1 + r)``
    (docs/simulator.md derives it from METHOD.md §3), and both bounds move towards ``EP`` as ``L`` grows."""
    inverse = 1.0 / max_leverage
    return price * (1 - inverse + rate_bound) / (1 - rate_bound), price * (1 + inverse - rate_bound) / (1 + rate_bound)


class IdCounter:
    """Position ids, unique across the venues of a market, increasing (the columns stay sorted by id)."""

    def __init__(self, first: int = 1):
        self.next = first

    def take(self, count: int) -> IntArray:
        ids = np.arange(self.next, self.next + count, dtype=np.int64)
        self.next += count
        return ids


class Positions:
    def __init__(self, pricer: Pricer, capacity: int = 1024):
        self.pricer = pricer
        self.size = 0  # slots in use (alive or dead)
        self.priced = 0  # slots [0, priced) have liquidation prices
        self.long_quantity = 0.0
        self.short_quantity = 0.0
        self.long_count = 0
        self.short_count = 0
        self.max_long_price = -np.inf
        self.min_short_price = np.inf
        self.pending_long_bound = -np.inf
        self.pending_short_bound = np.inf
        self.columns: dict[str, np.ndarray] = {name: np.zeros(capacity, dtype) for name, dtype in _COLUMNS.items()}

    def __len__(self) -> int:
        return self.long_count + self.short_count

    def column(self, name: str) -> np.ndarray:
        """The live part of a column (alive and dead slots)."""
        return self.columns[name][: self.size]

    def add(
        self,
        ids: IntArray,
        sides: npt.NDArray[np.int8],
        quantities: FloatArray,
        entries: FloatArray,
        leverages: FloatArray,
        open_ts: int,
        bounds: tuple[float, float],
    ) -> None:
        """Append positions (pending until priced); ``bounds`` from :func:`pending_bounds` cover all of them."""
        count = ids.size
        if count == 0:
            return
        self._reserve(count)
        start, end = self.size, self.size + count
        columns = self.columns
        columns["ids"][start:end] = ids
        columns["sides"][start:end] = sides
        columns["quantities"][start:end] = quantities
        columns["entries"][start:end] = entries
        columns["leverages"][start:end] = leverages
        columns["open_ts"][start:end] = open_ts
        columns["alive"][start:end] = True
        columns["long_prices"][start:end] = -np.inf  # found by the bounds until priced
        columns["short_prices"][start:end] = np.inf
        self.size = end
        long_count = int(np.count_nonzero(sides > 0))
        long_quantity = float(quantities @ (sides > 0))
        self.long_quantity += long_quantity
        self.short_quantity += float(quantities.sum()) - long_quantity
        self.long_count += long_count
        self.short_count += count - long_count
        self.pending_long_bound = max(self.pending_long_bound, bounds[0])
        self.pending_short_bound = min(self.pending_short_bound, bounds[1])

    def price_pending(self) -> None:
        """Compute the liquidation prices of every pending position (one vectorised call)."""
        if self.priced == self.size:
            return
        part = slice(self.priced, self.size)
        prices = self.pricer(
            self.columns["sides"][part],
            self.columns["entries"][part],
            self.columns["leverages"][part],
            self.columns["quantities"][part],
        )
        if np.isnan(prices).any():
            raise ValueError("a simulated position was refused by its venue's margin table (leverage above max)")
        self.columns["liquidation_prices"][part] = prices
        sides, alive = self.columns["sides"][part], self.columns["alive"][part]
        longs, shorts = alive & (sides > 0), alive & (sides < 0)
        self.columns["long_prices"][part] = np.where(longs, prices, -np.inf)
        self.columns["short_prices"][part] = np.where(shorts, prices, np.inf)
        if longs.any():
            self.max_long_price = max(self.max_long_price, float(prices[longs].max()))
        if shorts.any():
            self.min_short_price = min(self.min_short_price, float(prices[shorts].min()))
        self.priced = self.size
        self.pending_long_bound, self.pending_short_bound = -np.inf, np.inf

    def may_cross(self, mark: float) -> bool:
        """False when no position (priced or pending) can have been crossed by ``mark``: no scan needed."""
        return (
            mark <= self.max_long_price
            or mark >= self.min_short_price
            or mark <= self.pending_long_bound
            or mark >= self.pending_short_bound
        )

    def crossed(self, mark: float) -> IntArray:
        """Slots of the positions the mark has crossed (long: mark <= LP; short: mark >= LP), nearest first."""
        if mark <= self.pending_long_bound or mark >= self.pending_short_bound:
            self.price_pending()
        long_prices = self.columns["long_prices"][: self.priced]
        short_prices = self.columns["short_prices"][: self.priced]
        longs = np.flatnonzero(long_prices >= mark)
        shorts = np.flatnonzero(short_prices <= mark)
        # Tighten the bounds to the exact extremes of what survives, so quiet steps skip the scan again.
        slots = np.concatenate(
            (
                longs[np.argsort(-long_prices[longs], kind="stable")],
                shorts[np.argsort(short_prices[shorts], kind="stable")],
            )
        )
        surviving_long = long_prices[long_prices < mark]
        surviving_short = short_prices[short_prices > mark]
        self.max_long_price = float(surviving_long.max()) if surviving_long.size else -np.inf
        self.min_short_price = float(surviving_short.min()) if surviving_short.size else np.inf
        return slots.astype(np.int64)

    def slots_of(self, ids: IntArray) -> IntArray:
        """Slots of the alive positions among ``ids`` (ids that are gone are skipped)."""
        known = self.column("ids")
        found = np.searchsorted(known, ids)
        inside = found < self.size
        found, wanted = found[inside], ids[inside]
        found = found[known[found] == wanted]
        alive: IntArray = found[self.columns["alive"][found]].astype(np.int64)
        return alive

    def remove(self, slots: IntArray) -> Removed:
        columns = self.columns
        removed = Removed(
            *(
                columns[name][slots].copy()
                for name in ("ids", "sides", "quantities", "entries", "leverages", "liquidation_prices", "open_ts")
            )
        )
        # A removed pending position keeps no price; it is simply skipped when its batch is priced.
        removed.liquidation_prices[slots >= self.priced] = np.nan
        columns["alive"][slots] = False
        columns["long_prices"][slots] = -np.inf
        columns["short_prices"][slots] = np.inf
        longs = removed.sides > 0
        long_quantity = float(removed.quantities[longs].sum())
        self.long_quantity -= long_quantity
        self.short_quantity -= float(removed.quantities.sum()) - long_quantity
        self.long_count -= int(longs.sum())
        self.short_count -= slots.size - int(longs.sum())
        if self.size > 4096 and len(self) * 2 < self.size:
            self._compact()
        return removed

    def _reserve(self, count: int) -> None:
        capacity = self.columns["ids"].size
        if self.size + count <= capacity:
            return
        capacity = max(2 * capacity, self.size + count)
        for name, column in self.columns.items():
            grown = np.zeros(capacity, column.dtype)
            grown[: self.size] = column[: self.size]
            self.columns[name] = grown

    def _compact(self) -> None:
        alive = self.column("alive").copy()
        self.priced = int(alive[: self.priced].sum())
        self.size = int(alive.sum())
        for column in self.columns.values():
            column[: self.size] = column[: alive.size][alive]
