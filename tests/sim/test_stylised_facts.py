"""Stylised facts of the simulated market beside the same statistics of real data (../shared/data/sample).

Bands (both the simulator and the real series must fall inside; docs/simulator.md shows the table):
- hourly log returns are fat-tailed: excess kurtosis >= 2 (a normal distribution has 0);
- volatility clusters: lag-1 autocorrelation of absolute hourly returns in [0.1, 0.5] (independent returns: ~0);
- funding is positive most of the time (share > 0 at least 0.75) and sits at or near the 0.01% anchor
  (share within +-0.005% of it at least 0.3);
- liquidations cluster in time: the coefficient of variation of the gaps between liquidations is above 2 (a
  Poisson stream has 1), and bursts (liquidations less than 60 s apart, 3 or more) are one-sided: the median
  burst has at least 90% of its notional on one side.
The real series: Binance BTCUSDT hourly closes 2025-03 to 2026-03, Binance BTCUSDT 8-hour funding 2025-03 to 06,
and the OKX liquidation burst of 2026-03-04/05 (the largest set of individual real liquidations in the sample).
"""

from __future__ import annotations

import glob
import itertools
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from perpscope.models import FundingKind, FundingRate, Liquidation
from perpscope.sim import Market, RunConfig, scenario

DAYS = 8
BANDS = {
    "excess kurtosis of hourly returns": (2.0, np.inf),
    "autocorrelation of |hourly return|, lag 1": (0.1, 0.5),
    "share of funding prints > 0": (0.75, 1.0),
    "share of funding prints within 0.005% of 0.01%": (0.3, 1.0),
    "coefficient of variation of liquidation gaps": (2.0, np.inf),
    "median one-side share of a liquidation burst": (0.9, 1.0),
}


def hourly_facts(closes: np.ndarray) -> tuple[float, float]:
    returns = np.diff(np.log(closes))
    deviations = returns - returns.mean()
    kurtosis = float((deviations**4).mean() / (deviations**2).mean() ** 2 - 3)
    absolute = np.abs(deviations)
    return kurtosis, float(np.corrcoef(absolute[:-1], absolute[1:])[0, 1])


def funding_facts(rates: np.ndarray) -> tuple[float, float]:
    return float((rates > 0).mean()), float((np.abs(rates - 0.0001) <= 0.00005).mean())


def liquidation_facts(ts_ms: np.ndarray, longs: np.ndarray, notional: np.ndarray) -> tuple[float, float]:
    order = np.argsort(ts_ms, kind="stable")
    ts_ms, longs, notional = ts_ms[order], longs[order], notional[order]
    gaps = np.diff(ts_ms)
    edges = np.concatenate(([0], np.flatnonzero(gaps > 60_000) + 1, [ts_ms.size]))
    shares = []
    for start, end in itertools.pairwise(edges):
        if end - start >= 3:
            long_notional, total = notional[start:end][longs[start:end]].sum(), notional[start:end].sum()
            shares.append(max(long_notional, total - long_notional) / total)
    return float(gaps.std() / gaps.mean()), float(np.median(shares))


def simulated_facts() -> dict[str, float]:
    market = Market(RunConfig(scenario("quiet", positions=3_000), seed=11, step_s=10.0))
    closes, rates, liquidations = [], [], []
    for _ in range(market.steps_for(DAYS)):
        for record in market.step().records:
            if isinstance(record, Liquidation):
                liquidations.append((record.ts_event, record.side == "long", record.notional_usd))
            elif isinstance(record, FundingRate) and record.kind == FundingKind.SETTLED:
                rates.append(record.rate)
            elif (
                type(record).__name__ == "Candle"
                and record.venue == "binance"
                and record.ts_event % 3_600_000 == 3_540_000
            ):
                closes.append(record.close)  # type: ignore[attr-defined]
    ts_ms, longs, notional = (np.array(column) for column in zip(*liquidations, strict=True))
    return dict(
        zip(
            BANDS,
            (
                *hourly_facts(np.array(closes)),
                *funding_facts(np.array(rates)),
                *liquidation_facts(ts_ms, longs, notional),
            ),
            strict=True,
        )
    )


def _sample(folder: Path, pattern: str) -> pl.DataFrame:
    (path,) = glob.glob(str(folder / "sample" / pattern))
    return pl.read_csv(path)


def real_facts(shared: Path) -> dict[str, float]:
    candles = _sample(shared, "multivenue_btc_candles_1h_*.csv.gz").filter(pl.col("venue") == "binance")
    funding = _sample(shared, "binance_btcusdt_funding_8h_*.csv.gz")
    events = _sample(shared, "okx_hyperliquid_btc_liquidation_events.csv.gz").filter(pl.col("venue") == "okx")
    ts_ms = events["timestamp"].str.to_datetime(time_zone="UTC").dt.epoch("ms").to_numpy()
    longs = (events["side"] == "sell").to_numpy()  # OKX: a sell order closes a long (docs/importing.md)
    return dict(
        zip(
            BANDS,
            (
                *hourly_facts(candles.sort("timestamp")["c"].to_numpy()),
                *funding_facts(funding["funding_rate"].to_numpy()),
                *liquidation_facts(ts_ms, longs, events["size_usd"].to_numpy()),
            ),
            strict=True,
        )
    )


def facts_table(shared: Path) -> str:
    """The Markdown table of docs/simulator.md."""
    simulated, real = simulated_facts(), real_facts(shared)
    lines = ["| statistic | band | simulator (quiet, 8 days) | real |", "|---|---|---|---|"]
    for name, (low, high) in BANDS.items():
        band = f">= {low:g}" if high == np.inf else f"{low:g} to {high:g}"
        lines.append(f"| {name} | {band} | {simulated[name]:.3f} | {real[name]:.3f} |")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def simulated() -> dict[str, float]:
    return simulated_facts()


@pytest.mark.parametrize("name", list(BANDS))
def test_simulator_and_real_data_within_the_same_bands(
    name: str, simulated: dict[str, float], shared_data: Path
) -> None:
    low, high = BANDS[name]
    real = real_facts(shared_data)[name]
    assert low <= real <= high, f"real {name} = {real:.3f} is outside [{low}, {high}]: revisit the band"
    assert low <= simulated[name] <= high, f"simulated {name} = {simulated[name]:.3f} vs real {real:.3f}"
