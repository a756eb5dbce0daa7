"""A perpetual's order book of finite depth, as a ladder of price levels around the index.

Level ``k`` (1, 2, ...) sits ``k x tick`` (relative) away from the fair price and holds
``depth x (1 + growth x (k - 1))`` base units on each side; the ladder ends after ``levels`` levels. The book's
state is ``pressure``: base units of net taker buying (positive) or selling (negative) the makers have absorbed and
not yet replenished. The perpetual's price is ``index x (1 + offset(pressure))``, where ``offset`` walks the ladder
(linear inside a partly consumed level, so it is continuous); a market order of ``q`` moves the pressure by ``q``
and fills at the average offset over that walk, ``(G(x + q) - G(x)) / q`` with ``G`` the integral of ``offset``,
plus the half spread. Orders beyond the last level fill there (the book is finite; the price cannot run away).
Makers replenish: the transient part of the pressure decays with ``resilience_half_life_s``.
The offset of the *inventory* makers carry (agents' net position) is added by the venue (exchange.py).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BookParams:
    tick: float = 0.0001  # 1 basis point between levels
    depth: float = 4.0  # base units at the first level
    growth: float = 0.15  # each level deeper holds this much more, relative to the first
    levels: int = 1500  # 15% of price on each side
    half_spread: float = 0.00005
    resilience_half_life_s: float = 60.0


class Ladder:
    """The cumulative depth of one side, with ``offset(x)`` and its integral for any ``x >= 0``."""

    def __init__(self, params: BookParams):
        sizes = params.depth * (1.0 + params.growth * np.arange(params.levels))
        cumulative = np.concatenate(([0.0], np.cumsum(sizes)))
        offsets = params.tick * np.arange(params.levels + 1)  # offset at each cumulative boundary
        # Integral of the piecewise-linear offset up to each boundary (trapezoids).
        integrals = np.concatenate(([0.0], np.cumsum(sizes * (offsets[:-1] + offsets[1:]) / 2)))
        self.cumulative: list[float] = cumulative.tolist()
        self.offsets: list[float] = offsets.tolist()
        self.integrals: list[float] = integrals.tolist()
        self.total = float(cumulative[-1])
        self.max_offset = float(offsets[-1])

    def offset(self, amount: float) -> float:
        if amount >= self.total:
            return self.max_offset
        level = bisect.bisect_right(self.cumulative, amount) - 1
        low, high = self.cumulative[level], self.cumulative[level + 1]
        return self.offsets[level] + (self.offsets[level + 1] - self.offsets[level]) * (amount - low) / (high - low)

    def integral(self, amount: float) -> float:
        if amount >= self.total:
            return self.integrals[-1] + self.max_offset * (amount - self.total)
        level = bisect.bisect_right(self.cumulative, amount) - 1
        low = self.cumulative[level]
        return self.integrals[level] + (self.offsets[level] + self.offset(amount)) / 2 * (amount - low)


class OrderBook:
    def __init__(self, params: BookParams):
        self.params = params
        self.ladder = Ladder(params)
        self.pressure = 0.0  # transient net taker flow absorbed, base units (+ buying)
        self._decay_rate = math.log(2) / params.resilience_half_life_s

    def offset(self, position: float) -> float:
        """Relative price offset at ``position`` (pressure plus the venue's inventory term), odd in ``position``."""
        if position >= 0:
            return self.ladder.offset(position)
        return -self.ladder.offset(-position)

    def _integral(self, position: float) -> float:
        # The integral of an odd function is even.
        return self.ladder.integral(abs(position))

    def average_offset(self, start: float, quantity: float) -> float:
        """Average relative offset of a market order of signed ``quantity`` (+ buy) starting at ``start``,
        half spread included: a buy pays above, a sell receives below."""
        if quantity == 0:
            return self.offset(start)
        end = start + quantity
        walked = (self._integral(end) - self._integral(start)) / quantity
        return walked + math.copysign(self.params.half_spread, quantity)

    def impact_premium(self, start: float, quantity: float) -> float:
        """METHOD.md §1's premium index for an impact order of ``quantity`` base units, relative to the index:
        ``max(0, impact_bid - index) - max(0, index - impact_ask)``, divided by the index."""
        impact_bid = self.average_offset(start, -quantity)
        impact_ask = self.average_offset(start, quantity)
        return max(0.0, impact_bid) - max(0.0, -impact_ask)

    def relax(self, seconds: float) -> None:
        """Makers replenish: the transient pressure decays."""
        self.pressure *= math.exp(-self._decay_rate * seconds)
