"""Signals: dated, typed records of a market condition, each with the numbers that triggered it and one sentence.

:class:`Signal` is the record; :class:`SignalThresholds` holds every threshold with its documented default
(docs/analytics.md); :func:`perpscope.analytics.signals.detect.detect_all` finds them on a market grid
(:func:`perpscope.analytics.market.market_grid`), liquidation waves and clusters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import msgspec

from perpscope.analytics.waves import WaveOptions
from perpscope.times import MS_PER_DAY


class SignalKind(StrEnum):
    SHORT_SQUEEZE_SETUP = "short_squeeze_setup"
    LONG_SQUEEZE_RISK = "long_squeeze_risk"
    FLIP_AFTER_LIQUIDATIONS = "flip_after_liquidations"
    LIQUIDITY_SWEEP = "liquidity_sweep"
    OI_PRICE_DIVERGENCE = "oi_price_divergence"


class Signal(msgspec.Struct, frozen=True, kw_only=True):
    """One signal. ``time`` (int ms UTC) is when everything in ``evidence`` was known: a bar's close, never
    earlier. ``strength`` is 0-1 (1/3 exactly at the thresholds, 1 at three times them; see docs/analytics.md).
    ``evidence`` holds the triggering numbers, each key naming its unit (``_fraction``, ``_8h``, ``_usd``)."""

    time: int
    symbol: str
    kind: SignalKind
    strength: float
    evidence: dict[str, Any]
    sentence: str


@dataclass(frozen=True)
class SignalThresholds:
    """Every threshold of every signal. Fractions are plain (0.03 = 3%); funding is per 8 h."""

    window_ms: int = MS_PER_DAY  # the span OI and price changes are measured over
    cooldown_ms: int = MS_PER_DAY  # one kind does not fire twice within this
    # short-squeeze setup: every current venue negative (at least this many) + OI rising + price holding
    squeeze_min_venues: int = 2
    squeeze_oi_rise: float = 0.03
    squeeze_price_floor: float = -0.02
    # long-squeeze risk: funding far above the 0.01% baseline + OI rising fast
    overheated_rate_8h: float = 0.0005
    overheated_oi_rise: float = 0.05
    # flip after liquidations: a wave, then the cross-venue mean funding changes sign within this span
    flip_within_ms: int = MS_PER_DAY
    waves: WaveOptions = field(default_factory=WaveOptions)
    # liquidity sweep: a bar runs at least sweep_depth past a realized cluster of at least sweep_min_cluster_usd
    # and a close is back on the side it came from within sweep_bars bars
    sweep_bars: int = 3
    sweep_min_cluster_usd: float = 10_000_000.0
    sweep_depth: float = 0.002
    cluster_bucket_fraction: float = 0.005  # bucket width as a fraction of the median price, rounded 1-2-5
    # OI/price divergence: price and OI move apart by at least these over the window
    divergence_price: float = 0.03
    divergence_oi: float = 0.05


DEFAULT_THRESHOLDS = SignalThresholds()


def strength(*ratios: float) -> float:
    """``clamp(mean(measured / threshold) / 3, 0, 1)``: 1/3 exactly at every threshold, 1 at three times."""
    return max(0.0, min(1.0, sum(ratios) / len(ratios) / 3.0)) if ratios else 0.0
