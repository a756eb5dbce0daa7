"""Signals and waves on the simulator's scenarios (perpscope.sim, seed 1): what the issue asks of each.

Each scenario runs once per module into its own DuckDB (about 10-25 s each); hours count from the start.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest

from perpscope.analytics.signals import SignalKind, SignalThresholds
from perpscope.service import analysis
from perpscope.sim.market import START_MS, RunConfig
from perpscope.sim.run import run_to_store
from perpscope.sim.scenarios import scenario
from perpscope.store import DuckDBStore
from perpscope.times import MS_PER_HOUR

H = MS_PER_HOUR


def simulated(tmp_path_factory: pytest.TempPathFactory, name: str, hours: float) -> Iterator[DuckDBStore]:
    store = DuckDBStore(tmp_path_factory.mktemp(name) / "sim.duckdb")
    run_to_store(RunConfig(scenario=scenario(name), seed=1), hours / 24, store)
    yield store
    store.close()


@pytest.fixture(scope="module")
def quiet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    yield from simulated(tmp_path_factory, "quiet", 30)


@pytest.fixture(scope="module")
def long_cascade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    yield from simulated(tmp_path_factory, "long-cascade", 24)


@pytest.fixture(scope="module")
def short_squeeze(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    yield from simulated(tmp_path_factory, "short-squeeze", 40)


def test_quiet_yields_no_signal(quiet: DuckDBStore) -> None:
    assert analysis.signals(quiet, "BTC", START_MS, START_MS + 30 * H) == []


def test_long_cascade_yields_the_waves(long_cascade: DuckDBStore) -> None:
    found = analysis.liquidation_waves(long_cascade, "BTC", START_MS, START_MS + 24 * H)
    big = found.filter(pl.col("notional_usd") >= 20e6).row(0, named=True)
    # the fall at hour 20 liquidates longs in one burst across the three venues, down through about 6%
    assert big["side"] == "long"
    assert 20 * H <= big["start"] - START_MS < 20 * H + 10 * 60_000
    assert big["notional_usd"] > 50e6
    assert big["price_high"] / big["price_low"] - 1 > 0.04
    assert big["venues"] == ["binance", "bybit", "okx"]
    assert big["lower_bound"] is False  # the simulator's feeds are complete
    assert found.filter(pl.col("notional_usd") >= 20e6).height == 1


def test_short_squeeze_setup_before_the_rally_and_flip_after(short_squeeze: DuckDBStore) -> None:
    # The scenario's crowded-short phase is its first day, so the changes are measured over 12 h: a 24 h window
    # has no start before hour 24 of a market that begins at hour 0.
    thresholds = SignalThresholds(window_ms=12 * H)
    found = analysis.signals(short_squeeze, "BTC", START_MS, START_MS + 40 * H, thresholds)
    setups = [s for s in found if s.kind is SignalKind.SHORT_SQUEEZE_SETUP]
    flips = [s for s in found if s.kind is SignalKind.FLIP_AFTER_LIQUIDATIONS]
    # funding negative on all three venues, OI rising, price holding, hours before the shorts are squeezed
    assert [s.time for s in setups] == [START_MS + 14 * H]
    assert setups[0].evidence["funding_venues"] == ["binance", "bybit", "okx"]
    assert setups[0].evidence["funding_simple_8h"] < 0
    assert setups[0].evidence["oi_change_fraction"] >= 0.03
    # then the squeeze: short waves, and mean settled funding turns positive
    assert (flips[0].time, flips[0].evidence["wave_side"]) == (START_MS + 32 * H, "short")
    assert flips[0].evidence["wave_count"] > 1
    assert flips[0].evidence["funding_before_8h"] < 0 < flips[0].evidence["funding_after_8h"]
    assert flips[0].time > setups[0].time


def test_short_squeeze_with_the_default_window(short_squeeze: DuckDBStore) -> None:
    found = analysis.signals(short_squeeze, "BTC", START_MS, START_MS + 40 * H)
    kinds = [(s.kind, (s.time - START_MS) // H) for s in found]
    # the rally on falling OI reads as short covering, and the flip after the short waves is found
    assert (SignalKind.OI_PRICE_DIVERGENCE, 27) in kinds
    assert (SignalKind.FLIP_AFTER_LIQUIDATIONS, 32) in kinds
    covering = next(s for s in found if s.kind is SignalKind.OI_PRICE_DIVERGENCE)
    assert covering.evidence["reading"] == "short covering"
