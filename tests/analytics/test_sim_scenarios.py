"""Signals and waves on the simulator's scenarios (perpscope.sim, seed 1): what the issue asks of each.

Each scenario runs once per module into its own DuckDB (about 10-25 s each); hours count from the start.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest

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


def test_short_squeeze_ends_in_short_covering(short_squeeze: DuckDBStore) -> None:
    found = analysis.signals(short_squeeze, "BTC", START_MS, START_MS + 40 * H)
    covering = [s for s in found if s.kind.value == "oi_price_divergence"]
    assert covering and covering[0].evidence["reading"] == "short covering"
    assert covering[0].time >= START_MS + 30 * H  # after the rally starts at hour 30


@pytest.mark.xfail(
    strict=True,
    reason="with seed 1 the simulated short-squeeze market keeps settled funding positive (about +0.004% to "
    "+0.01% per 8 h on every venue), so 'funding negative across venues' never holds: a simulator calibration "
    "question for perpscope.sim, not a detector threshold",
)
def test_short_squeeze_setup_before_the_rally_and_flip_after(short_squeeze: DuckDBStore) -> None:
    kinds = [(s.kind.value, s.time) for s in analysis.signals(short_squeeze, "BTC", START_MS, START_MS + 40 * H)]
    setups = [time for kind, time in kinds if kind == "short_squeeze_setup"]
    flips = [time for kind, time in kinds if kind == "flip_after_liquidations"]
    assert setups and setups[0] < START_MS + 30 * H
    assert flips and flips[0] > START_MS + 30 * H


def test_settled_funding_in_the_short_squeeze_scenario(short_squeeze: DuckDBStore) -> None:
    """Pins the fact the xfail above rests on, so a recalibrated simulator shows up here too."""
    rows = analysis.settled_funding(short_squeeze, "BTC", START_MS, START_MS + 30 * H)
    assert rows["rate_8h"].min() > 0  # type: ignore[operator]
