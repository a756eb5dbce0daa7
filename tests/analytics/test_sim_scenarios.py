"""Signals and waves on the simulator's scenarios (perpscope.sim, seed 1): what the issue asks of each.

Each scenario runs once per module into its own DuckDB (about 10-15 s each); hours count from the start.
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
    yield from simulated(tmp_path_factory, "short-squeeze", 60)


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


def test_short_squeeze_with_the_default_window(short_squeeze: DuckDBStore) -> None:
    found = analysis.signals(short_squeeze, "BTC", START_MS, START_MS + 60 * H)
    assert [(s.kind, s.time - START_MS) for s in found] == [
        (SignalKind.SHORT_SQUEEZE_SETUP, 25 * H),
        (SignalKind.OI_PRICE_DIVERGENCE, 48 * H),
        (SignalKind.FLIP_AFTER_LIQUIDATIONS, 56 * H),
    ]
    setup, covering, flip = found
    rally = START_MS + round(scenario("short-squeeze").shocks[0].start_h * H)
    # The build-up: at hour 25, the first close with 24 h of history, funding is negative on all three venues,
    # open interest is up 23.6% on the day and price has held (+0.2%): 23 h before the rally, 6.8 h before the
    # first of the waves that squeeze the shorts.
    assert rally - setup.time == 23 * H
    assert setup.evidence["funding_venues"] == ["binance", "bybit", "okx"]
    assert setup.evidence["funding_simple_8h"] == pytest.approx(-0.000409674, abs=1e-9)
    assert setup.evidence["funding_max_8h"] == pytest.approx(-0.000317823, abs=1e-9)
    assert setup.evidence["oi_change_fraction"] == pytest.approx(0.236196, abs=1e-6)
    assert setup.evidence["price_change_fraction"] == pytest.approx(0.001737, abs=1e-6)
    assert (setup.evidence["window_h"], setup.strength) == (24.0, 1.0)
    # Price drifts up into the first short clusters before the news: the close at the rally's start reads as
    # short covering (price +3.8%, OI -13.6% on the day).
    assert covering.time == rally and covering.evidence["reading"] == "short covering"
    assert covering.evidence["price_change_fraction"] == pytest.approx(0.038432, abs=1e-6)
    assert covering.evidence["oi_change_fraction"] == pytest.approx(-0.136250, abs=1e-6)
    # The squeeze: ten short waves from hour 31.8 to just after the rally, then mean settled funding turns
    # positive at the 08:00 settlement (the 0.01% interest rate: the clamp holds it there).
    assert flip.evidence["wave_side"] == "short" and flip.evidence["wave_count"] == 10
    assert setup.time < flip.evidence["wave_start"] < rally < flip.evidence["wave_end"] < flip.time
    assert flip.evidence["wave_notional_usd"] == pytest.approx(105.017e6, abs=1e3)
    assert flip.evidence["funding_before_8h"] == pytest.approx(-0.000473288, abs=1e-9)
    assert flip.evidence["funding_after_8h"] == pytest.approx(0.0001, abs=1e-12)


def test_short_squeeze_with_a_12_hour_window(short_squeeze: DuckDBStore) -> None:
    # A shorter window sees the build-up earlier (hour 16, the first settlement negative on every venue) and the
    # same flip; the rally's divergence an hour later (over 12 h to hour 48 price is up 2.9%, under the 3%).
    found = analysis.signals(short_squeeze, "BTC", START_MS, START_MS + 60 * H, SignalThresholds(window_ms=12 * H))
    assert [(s.kind, s.time - START_MS) for s in found] == [
        (SignalKind.SHORT_SQUEEZE_SETUP, 16 * H),
        (SignalKind.OI_PRICE_DIVERGENCE, 49 * H),
        (SignalKind.FLIP_AFTER_LIQUIDATIONS, 56 * H),
    ]


def test_short_squeeze_setup_holds_through_the_build_up(short_squeeze: DuckDBStore) -> None:
    # The setup is no one-bar artefact of the window's start: its condition holds at every close from hour 25 to
    # hour 40, until short liquidations start eating the day's OI rise (+2.9% at hour 41).
    grid = analysis.market_grid(short_squeeze, "BTC", START_MS, START_MS + 48 * H, 24 * H)
    holding = grid.filter(
        (pl.col("venues_negative") == 3)
        & (pl.col("oi_change_fraction") >= 0.03)
        & (pl.col("price_change_fraction") >= -0.02)
    )
    assert ((holding["time"] - START_MS) // H).to_list() == list(range(25, 41))
