"""Series for the heatmap tests: a hand-made one and a seeded random one (realistic one-minute BTC bars)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from perpscope.analytics.heatmap.bars import Bars, build_bars
from perpscope.analytics.heatmap.config import HeatmapConfig

MINUTE = 60_000
START = 1_747_000_000_000 - 1_747_000_000_000 % 3_600_000  # an exact hour (2025-05-11 21:00 UTC)


def hand_bars(
    lows: Sequence[float],
    highs: Sequence[float],
    open_interest: Sequence[float],
    *,
    entry: float = 100_000.0,
    long_share: float = 0.5,
) -> Bars:
    """Bars whose close (the entry with ``entry_price="close"``) is ``entry``; ranges and OI as given."""
    size = len(lows)
    close = np.full(size, entry)
    return Bars(
        ts=START + MINUTE * np.arange(size, dtype=np.int64),
        open=close.copy(),
        high=np.asarray(highs, dtype=np.float64),
        low=np.asarray(lows, dtype=np.float64),
        close=close,
        trigger_high=np.asarray(highs, dtype=np.float64),
        trigger_low=np.asarray(lows, dtype=np.float64),
        entry=close.copy(),
        open_interest=np.asarray(open_interest, dtype=np.float64),
        long_share=np.full(size, long_share),
    )


def random_bars(size: int, config: HeatmapConfig, seed: int = 7, volatility: float = 0.0008) -> Bars:
    """A random walk around 100,000 USD with wicks, open interest wandering around 50,000 BTC, taker shares."""
    rng = np.random.default_rng(seed)
    close = 100_000.0 * np.exp(np.cumsum(rng.normal(0.0, volatility, size)))
    open_ = np.concatenate([[100_000.0], close[:-1]])
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0.0, volatility / 2, size)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0.0, volatility / 2, size)))
    open_interest = 50_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.003, size)))
    volume = rng.uniform(10.0, 100.0, size)
    buys = rng.uniform(0.3, 0.7, size) * volume
    return build_bars(
        START + MINUTE * np.arange(size, dtype=np.int64),
        open_,
        high,
        low,
        close,
        open_interest,
        config,
        volume=volume,
        quote_volume=volume * (high + low + close) / 3 * rng.uniform(0.9995, 1.0005, size),
        taker_buy=buys,
        taker_sell=volume - buys,
    )
