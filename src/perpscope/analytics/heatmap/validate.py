"""``perpscope validate-heatmap``: the model and the naive baseline, side by side, on simulated ground truth and on
realized liquidations from the real sample data (docs/heatmap.md publishes the numbers).

Real data (``../shared/data/sample``): Hyperliquid's BTC liquidations of 2025-05-25/26 are complete (METHOD.md §4);
Hyperliquid's open interest is hourly; the sample has no Hyperliquid candles for those days, so the price path is
Binance's one-minute BTCUSDT klines (a proxy: the two venues' prices differ by a few basis points). OKX's burst of
2026-03-04/05 is not scored: the sample has no OKX open-interest history to model it from.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import polars as pl

from perpscope.analytics.heatmap.config import HeatmapConfig, naive_baseline
from perpscope.analytics.heatmap.model import run_model
from perpscope.analytics.heatmap.outputs import heatmap_grid
from perpscope.analytics.heatmap.realized import RealizedScore, score_realized
from perpscope.analytics.heatmap.simulated import SimulatedScore, score, simulate
from perpscope.store import DuckDBStore
from perpscope.times import parse_time

REAL_FILES = (
    "binance_btcusdt_perp_klines_1m_2025-05-04_2025-06-03.csv.gz",
    "hyperliquid_lighter_btc_open_interest_1h_2025-03-08_2026-03-07.csv.gz",
    "okx_hyperliquid_btc_liquidation_events.csv.gz",
)
REAL_SINCE, REAL_UNTIL, REAL_WARMUP_FROM = "2025-05-25", "2025-05-27", "2025-05-05"
SCENARIOS = ("quiet", "short-squeeze", "long-cascade", "overheated")
SIM_VENUES = ("binance", "bybit")  # the simulator's OKX-style venue has illustrative tiers the model cannot know


def candidate_configs(base: HeatmapConfig | None = None) -> dict[str, HeatmapConfig]:
    """The default model, the naive baseline, and the calibrations tried (each changes one thing)."""
    model = base or HeatmapConfig()
    return {
        "model": model,
        "naive baseline": naive_baseline(model),
        "decay 24 h": model.replace(decay_half_life_h=24.0),
        "even split": model.replace(side_split="even"),
        "ratio split": model.replace(side_split="ratio"),
        "low-leverage mix": model.replace(
            leverage_mix=((3.0, 0.10), (5.0, 0.25), (10.0, 0.30), (20.0, 0.20), (50.0, 0.10), (100.0, 0.05))
        ),
    }


@dataclasses.dataclass(frozen=True)
class RealizedResult:
    config: str
    long: RealizedScore
    short: RealizedScore
    notes: tuple[str, ...]


def realized(
    sample: Path,
    configs: Mapping[str, HeatmapConfig],
    *,
    column_ms: int = 900_000,
    bin_width: float = 0.001,
    k: int = 3,
) -> list[RealizedResult]:
    """Score each config against Hyperliquid's realized BTC liquidations (see the module docstring)."""
    from perpscope.importers import import_paths

    missing = [name for name in REAL_FILES if not (sample / name).is_file()]
    if missing:
        raise FileNotFoundError(f"sample files missing in {sample}: {', '.join(missing)}")
    since, until, warmup = (parse_time(text) for text in (REAL_SINCE, REAL_UNTIL, REAL_WARMUP_FROM))
    results = []
    with tempfile.TemporaryDirectory() as folder:
        store = DuckDBStore(Path(folder) / "sample.duckdb")
        try:
            import_paths(store, [sample / name for name in REAL_FILES])
            events = store.query(
                "SELECT ts_event, side, price, notional_usd FROM liquidations WHERE venue = 'hyperliquid' "
                "AND symbol = 'BTC-USD-PERP' AND ts_event >= ? AND ts_event < ? ORDER BY ts_event",
                [since, until],
            )
            for label, chosen in configs.items():
                config = chosen.replace(column_ms=column_ms, bin_width=bin_width)
                results.append(_realized_one(store, label, config, events, warmup, until, k))
        finally:
            store.close()
    return results


def _realized_one(
    store: DuckDBStore, label: str, config: HeatmapConfig, events: pl.DataFrame, since: int, until: int, k: int
) -> RealizedResult:
    from perpscope.service.heatmap import load_venue

    prepared = load_venue(
        store, "hyperliquid", "BTC-USD-PERP", "1m", since, until, config, prices_from=("binance", "BTC-USDT-PERP")
    )
    run = run_model(prepared.bars, config, "hyperliquid", symbol="BTC-USD-PERP", table=prepared.table)
    signs = np.where(events["side"].to_numpy() == "long", 1.0, -1.0)
    columns = (events[name].to_numpy() for name in ("ts_event", "price", "notional_usd"))
    times, prices, usd = columns
    scores = score_realized(heatmap_grid(run), times, signs, prices, usd, k)
    return RealizedResult(label, scores["long"], scores["short"], prepared.notes)


def simulated(
    configs: Mapping[str, HeatmapConfig],
    scenarios: Sequence[str] = SCENARIOS,
    seeds: Iterable[int] = (1,),
    *,
    days: float | None = None,
    venues: Sequence[str] = SIM_VENUES,
    bin_width: float = 0.0025,
) -> list[SimulatedScore]:
    """Score each config on each scenario and seed against the simulator's positions (hourly columns)."""
    chosen = {label: config.replace(bin_width=bin_width, column_ms=3_600_000) for label, config in configs.items()}
    results: list[SimulatedScore] = []
    for name in scenarios:
        for seed in seeds:
            with tempfile.TemporaryDirectory() as folder:
                store = DuckDBStore(Path(folder) / "sim.duckdb")
                try:
                    truth = simulate(name, seed, store, days=days)
                    for venue in venues:
                        results.extend(score(store, truth, venue, chosen, name=name, seed=seed))
                finally:
                    store.close()
    return results
