"""The index price: a GARCH-like diffusion with volatility clustering, Student-t shocks and Poisson jumps.

Per step of ``dt`` seconds, with ``s`` the instantaneous volatility per sqrt(second) (an absolute-value GARCH):

    r  = s * sqrt(dt) * z + J * N + drift * dt          z ~ Student-t(nu) scaled to unit variance
    s' = s + kappa * dt * (m * s_bar - s) + alpha * (|r| / (sqrt(dt) * E|z|) - s)     (floored at s_bar / 5)

``N`` is 1 with probability ``jumps_per_day * dt / 86400`` and ``J`` ~ Normal(0, jump_std). The volatility reacts
to every absolute return (jumps included), which is what clusters volatility; ``kappa`` pulls it back to ``s_bar``
(times ``m``, a shock's multiplier). ``alpha = vol_of_vol_per_hour / sqrt(2 x steps per hour)``, so one hour of
steps moves the volatility by about the same relative amount whatever the step size. Scenarios add exogenous
moves (:class:`Shock`) as a deterministic drift over a window of time: the news, not the cascade, which emerges
from positions (exchange.py). Random numbers are drawn in blocks from one seeded generator, so a run is the same
for a seed whatever its speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SECONDS_PER_HOUR = 3600.0
_BLOCK = 4096


@dataclass(frozen=True)
class Shock:
    """An exogenous move of ``log_return`` spread evenly over ``duration_h`` hours from ``start_h``."""

    start_h: float
    duration_h: float
    log_return: float
    volatility_multiplier: float = 1.0  # the volatility's long-run level inside the window is multiplied by it


@dataclass(frozen=True)
class ProcessParams:
    hourly_volatility: float = 0.0045  # long-run standard deviation of hourly log returns (BTC 2025: ~0.0047)
    half_life_h: float = 12.0  # how fast the volatility returns to its long-run level
    vol_of_vol_per_hour: float = 0.6  # relative change of the volatility over one hour of ordinary returns
    tail_dof: float = 5.0  # Student-t degrees of freedom of the diffusive shocks
    jumps_per_day: float = 1.0
    jump_std: float = 0.01  # standard deviation of a jump's log return


class IndexProcess:
    def __init__(
        self, params: ProcessParams, price: float, dt: float, rng: np.random.Generator, shocks: tuple[Shock, ...] = ()
    ):
        self.params = params
        self.price = price
        self.dt = dt
        self.base_volatility = params.hourly_volatility / math.sqrt(SECONDS_PER_HOUR)  # per sqrt(second)
        self.volatility = self.base_volatility
        self.kappa = math.log(2) / (params.half_life_h * SECONDS_PER_HOUR)
        self.alpha = min(params.vol_of_vol_per_hour / math.sqrt(2 * SECONDS_PER_HOUR / dt), 0.5)
        self.shocks = shocks
        self._rng = rng
        nu = params.tail_dof
        self._t_scale = math.sqrt((nu - 2) / nu) if nu > 2 else 1.0
        self._mean_abs = _student_t_mean_abs(nu) * self._t_scale  # E|z| of the scaled shocks
        self._sqrt_dt = math.sqrt(dt)
        self._jump_probability = params.jumps_per_day / 86_400.0 * dt
        self._z: list[float] = []
        self._jumps: list[float] = []
        self._position = _BLOCK

    def _refill(self) -> None:
        rng, params = self._rng, self.params
        self._z = (rng.standard_t(params.tail_dof, _BLOCK) * self._t_scale).tolist()
        jumps = rng.random(_BLOCK) < self._jump_probability
        self._jumps = np.where(jumps, rng.normal(0.0, params.jump_std, _BLOCK), 0.0).tolist()
        self._position = 0

    def step(self, elapsed_s: float) -> float:
        """Advance one step ending ``elapsed_s`` seconds after the start; returns the log return applied."""
        if self._position >= _BLOCK:
            self._refill()
        z, jump = self._z[self._position], self._jumps[self._position]
        self._position += 1
        drift, multiplier = self._exogenous(elapsed_s)
        log_return = self.volatility * self._sqrt_dt * z + jump + drift * self.dt
        self.volatility += self.kappa * self.dt * (self.base_volatility * multiplier - self.volatility)
        self.volatility += self.alpha * (abs(log_return) / (self._sqrt_dt * self._mean_abs) - self.volatility)
        self.volatility = max(self.volatility, self.base_volatility / 5.0)
        self.price *= math.exp(log_return)
        return log_return

    def move(self, relative: float) -> None:
        """Move the index by ``relative`` (price discovery from the perpetuals' order flow)."""
        self.price *= 1.0 + relative

    def _exogenous(self, elapsed_s: float) -> tuple[float, float]:
        """The shocks' drift per second and volatility multiplier at this time."""
        drift, multiplier = 0.0, 1.0
        hours = elapsed_s / SECONDS_PER_HOUR
        for shock in self.shocks:
            if shock.start_h <= hours < shock.start_h + shock.duration_h:
                drift += shock.log_return / (shock.duration_h * SECONDS_PER_HOUR)
                multiplier *= shock.volatility_multiplier
        return drift, multiplier


def _student_t_mean_abs(nu: float) -> float:
    """E|T| of a Student-t variable with ``nu`` degrees of freedom (nu > 1)."""
    return 2 * math.sqrt(nu) * math.gamma((nu + 1) / 2) / (math.sqrt(math.pi) * (nu - 1) * math.gamma(nu / 2))
