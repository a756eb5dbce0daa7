"""Traders: who opens what, when, and for how long.

New positions arrive as a Poisson flow per venue whose rate keeps ``positions x share`` open on average
(rate = open positions / mean holding time). Each has

- a notional (USD): lognormal with median ``notional_median_usd`` and log-sd ``notional_sigma``, capped;
- a leverage from ``leverages`` with ``leverage_weights`` (2x to 100x, mostly 5-20x), lowered to the maximum
  the venue's bracket allows for that notional;
- a side: long with probability ``sigmoid(long_bias + momentum_weight x m + funding_weight x f)``, where ``m`` is
  the last hour's index return in hourly standard deviations (trend following when positive) and ``f`` is how far
  the venue's predicted funding sits above the 0.01% anchor, in units of 0.01% per 8 h (crowding costs money);
- a holding time: exponential with mean ``mean_hold_h``; it is closed then by a market order.

Random numbers are drawn in blocks and consumed in order, so a seed fixes the whole run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_BLOCK = 8192
FUNDING_ANCHOR = 0.0001


@dataclass(frozen=True)
class AgentParams:
    positions: int = 30_000  # open positions across all venues, on average
    mean_hold_h: float = 8.0
    notional_median_usd: float = 5_000.0
    notional_sigma: float = 1.2
    max_notional_usd: float = 2_000_000.0
    leverages: tuple[float, ...] = (2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
    leverage_weights: tuple[float, ...] = (0.10, 0.25, 0.30, 0.20, 0.10, 0.05)
    long_bias: float = 0.05
    momentum_weight: float = 0.3
    funding_weight: float = -0.4
    # The population at the start: positions opened before the run, entries spread around the start price.
    initial_long_bias: float = 0.05
    initial_entry_mean: float = 0.0  # mean log offset of entries from the start price
    initial_entry_spread: float = 0.02  # log-sd of entries around it
    initial_leverage_weights: tuple[float, ...] | None = None  # None: the same mix as new positions

    @property
    def mean_notional_usd(self) -> float:
        return self.notional_median_usd * math.exp(self.notional_sigma**2 / 2)


@dataclass
class Openings:
    """Attributes of new positions, before their side and price are known."""

    uniforms: npt.NDArray[np.float64]  # compared with the long probability
    notionals: npt.NDArray[np.float64]
    leverages: npt.NDArray[np.float64]
    holds_s: npt.NDArray[np.float64]


def long_probability(params: AgentParams, momentum: float, funding_8h: float, bias: float | None = None) -> float:
    score = (params.long_bias if bias is None else bias) + params.momentum_weight * momentum
    score += params.funding_weight * (funding_8h - FUNDING_ANCHOR) / FUNDING_ANCHOR
    return 1.0 / (1.0 + math.exp(-max(min(score, 30.0), -30.0)))


LeverageLimit = Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]


def draw_openings(
    params: AgentParams, rng: np.random.Generator, count: int, initial: bool = False, limit: LeverageLimit | None = None
) -> Openings:
    """``limit``: the venue's max leverage for each notional, applied here when it depends on the notional only."""
    weights = np.asarray(
        (params.initial_leverage_weights if initial else None) or params.leverage_weights, dtype=np.float64
    )
    notionals = np.minimum(
        params.notional_median_usd * np.exp(params.notional_sigma * rng.standard_normal(count)),
        params.max_notional_usd,
    )
    leverages = np.asarray(params.leverages, dtype=np.float64)[
        rng.choice(weights.size, count, p=weights / weights.sum())
    ]
    if limit is not None:
        leverages = np.minimum(leverages, limit(notionals))
    return Openings(
        uniforms=rng.random(count),
        notionals=notionals,
        leverages=leverages,
        holds_s=rng.exponential(params.mean_hold_h * 3600.0, count),
    )


class OpeningFlow:
    """The Poisson arrivals of one venue, drawn in blocks: ``take(step)`` returns the openings of one step."""

    def __init__(
        self, params: AgentParams, rate_per_step: float, rng: np.random.Generator, limit: LeverageLimit | None = None
    ):
        self.params = params
        self.limit = limit
        self.rate_per_step = rate_per_step
        self._rng = rng
        self._counts: list[int] = []
        self._count_position = 0
        self._pool = draw_openings(params, rng, 0)
        self._pool_position = 0

    def count(self) -> int:
        if self._count_position >= len(self._counts):
            self._counts = self._rng.poisson(self.rate_per_step, _BLOCK).tolist()
            self._count_position = 0
        value = self._counts[self._count_position]
        self._count_position += 1
        return value

    def take(self, count: int) -> Openings:
        if self._pool_position + count > self._pool.uniforms.size:
            self._pool = draw_openings(self.params, self._rng, max(_BLOCK, count), limit=self.limit)
            self._pool_position = 0
        part = slice(self._pool_position, self._pool_position + count)
        self._pool_position += count
        pool = self._pool
        return Openings(pool.uniforms[part], pool.notionals[part], pool.leverages[part], pool.holds_s[part])
