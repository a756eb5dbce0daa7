"""Speed of the liquidation heatmap: a year of one-minute bars for one venue, five leverage tiers, 0.1% bins.

    python benchmarks/heatmap.py [--bars 525600] [--repeat 3] [--reference-bars 5000] [--live-bars 20000]

The series is synthetic but shaped like BTC: one-minute log returns with 0.07% volatility (about 50% a year) in
volatility regimes, wicks, and open interest moving in small steps with trends (so about half the bars add
levels). It prints

- batch: the vectorised model plus the hourly heatmap grid (8,760 columns x the bins), best of ``--repeat``;
- reference: the bar-by-bar pandas implementation on the first ``--reference-bars`` bars, measured, and its
  time extrapolated linearly to the whole series (it is at best linear: every bar touches every live level), with
  the batch model's time on the same slice and a check that the two grids agree there;
- the ratio of the extrapolated reference time to the batch time;
- incremental: the mean and 99th percentile time per bar of the live engine over ``--live-bars`` bars, after a
  warm-up of the same length.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from perpscope.analytics.heatmap.bars import Bars, build_bars
from perpscope.analytics.heatmap.config import HeatmapConfig
from perpscope.analytics.heatmap.incremental import Bar, LiveHeatmap
from perpscope.analytics.heatmap.model import run_model
from perpscope.analytics.heatmap.outputs import heatmap_grid
from perpscope.analytics.heatmap.reference import reference_heatmap

START = 1_735_689_600_000  # 2025-01-01 UTC
VENUE = "binance"


def synthetic_year(size: int, config: HeatmapConfig, seed: int = 5) -> Bars:
    rng = np.random.default_rng(seed)
    regime = np.repeat(rng.choice([0.5, 1.0, 2.0], size // 1440 + 1, p=[0.3, 0.5, 0.2]), 1440)[:size]
    returns = rng.standard_t(4, size) / np.sqrt(2.0) * 0.0007 * regime
    close = 95_000.0 * np.exp(np.cumsum(returns))
    open_ = np.concatenate([[95_000.0], close[:-1]])
    wick = np.abs(rng.normal(0.0, 0.0004, (2, size))) * regime
    high = np.maximum(open_, close) * (1 + wick[0])
    low = np.minimum(open_, close) * (1 - wick[1])
    trend = np.repeat(rng.normal(0.0, 0.0002, size // 720 + 1), 720)[:size]
    open_interest = 80_000.0 * np.exp(np.cumsum(trend + rng.normal(0.0, 0.0015, size)))
    volume = rng.lognormal(3.0, 0.8, size)
    buys = volume * rng.beta(5, 5, size)
    return build_bars(
        START + 60_000 * np.arange(size, dtype=np.int64), open_, high, low, close, open_interest, config,
        volume=volume, quote_volume=volume * (high + low + close) / 3, taker_buy=buys, taker_sell=volume - buys,
    )  # fmt: skip


def batch_seconds(bars: Bars, config: HeatmapConfig) -> tuple[float, int, tuple[int, int]]:
    started = time.perf_counter()
    run = run_model(bars, config, VENUE)
    grid = heatmap_grid(run)
    return time.perf_counter() - started, len(run.longs) + len(run.shorts), grid.long.shape


def live_seconds(bars: Bars, config: HeatmapConfig, warm: int, measured: int) -> np.ndarray:
    live = LiveHeatmap(config, VENUE)
    for index in range(warm):
        live.update(Bar.of(bars, index))
    times = np.empty(measured)
    for offset in range(measured):
        bar = Bar.of(bars, warm + offset)
        started = time.perf_counter()
        live.update(bar)
        times[offset] = time.perf_counter() - started
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bars", type=int, default=525_600)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reference-bars", type=int, default=5_000)
    parser.add_argument("--live-bars", type=int, default=20_000)
    arguments = parser.parse_args()
    config = HeatmapConfig()
    bars = synthetic_year(arguments.bars, config)
    runs = [batch_seconds(bars, config) for _ in range(arguments.repeat)]
    best = min(seconds for seconds, _, _ in runs)
    levels, shape = runs[0][1], runs[0][2]
    print(f"batch: {len(bars):,} bars, {levels:,} levels, grid {shape[0]:,} columns x {shape[1]:,} bins: {best:.3f} s")

    part = bars.slice(0, arguments.reference_bars)
    started = time.perf_counter()
    reference = reference_heatmap(part, config, VENUE)
    reference_part = time.perf_counter() - started
    batch_part = min(batch_seconds(part, config)[0] for _ in range(arguments.repeat))
    ours = heatmap_grid(run_model(part, config, VENUE))
    scale = max(float(reference.long.max()), float(reference.short.max()), 1.0)
    difference = max(np.abs(ours.long - reference.long).max(), np.abs(ours.short - reference.short).max()) / scale
    extrapolated = reference_part * len(bars) / len(part)
    print(
        f"reference: {len(part):,} bars in {reference_part:.2f} s (batch on the same bars {batch_part * 1000:.1f} ms; "
        f"largest difference {difference:.1e} of the largest bin); extrapolated to {len(bars):,} bars: "
        f"{extrapolated:,.0f} s"
    )
    print(f"speed-up over the reference: {extrapolated / best:,.0f}x (goal >= 100x); batch goal < 2 s")
    times = live_seconds(bars, config, arguments.live_bars, arguments.live_bars)
    print(
        f"incremental: {times.mean() * 1e6:.0f} us per bar on average, p99 {np.quantile(times, 0.99) * 1e6:.0f} us, "
        f"max {times.max() * 1e3:.2f} ms over {times.size:,} bars (goal < 1 ms)"
    )


if __name__ == "__main__":
    main()
