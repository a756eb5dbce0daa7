"""The analysis on real data (../shared/data/sample): the week of the 2025-10-10 crash, and the two real
liquidation bursts in the sample (Hyperliquid 2025-05-25/26, OKX 2026-03-04/05).

Expected figures were read from the sample files themselves (hourly Hyperliquid OI, hourly candles, funding).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from perpscope.analytics.signals import SignalThresholds
from perpscope.importers import import_paths
from perpscope.service import analysis
from perpscope.store import DuckDBStore
from perpscope.times import MS_PER_HOUR, iso_to_ms

FILES = (
    "multivenue_btc_funding_2025-03-08_2026-03-07.csv.gz",
    "multivenue_btc_candles_1h_2025-03-06_2026-03-05.csv.gz",
    "hyperliquid_lighter_btc_open_interest_1h_2025-03-08_2026-03-07.csv.gz",
    "okx_hyperliquid_btc_liquidation_events.csv.gz",
)
WEEK = (iso_to_ms("2025-10-07"), iso_to_ms("2025-10-14"))


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    store = DuckDBStore(tmp_path_factory.mktemp("october") / "sample.duckdb")
    import_paths(store, [shared_data / "sample" / name for name in FILES])
    yield store
    store.close()


@pytest.fixture(scope="module")
def grid(store: DuckDBStore) -> pl.DataFrame:
    return analysis.market_grid(store, "BTC", *WEEK, 24 * MS_PER_HOUR)


def at(grid: pl.DataFrame, time: str) -> dict[str, object]:
    return grid.filter(pl.col("time") == iso_to_ms(time)).row(0, named=True)


def test_hyperliquid_open_interest_from_4_8_to_2_2_billion(store: DuckDBStore) -> None:
    extremes = analysis.oi_extremes(store, "BTC", *WEEK).filter(pl.col("venue") == "hyperliquid").row(0, named=True)
    assert extremes["high"] == pytest.approx(4.857e9, rel=1e-3)  # 2025-10-10 10:00 UTC
    assert extremes["high_time"] == iso_to_ms("2025-10-10T10:00")
    assert extremes["low"] == pytest.approx(2.114e9, rel=1e-3)  # 2025-10-11 08:00 UTC
    assert extremes["low_time"] == iso_to_ms("2025-10-11T08:00")
    # by the end of the week it had recovered 43% from that low, still 38% below the high
    assert extremes["from_low_fraction"] == pytest.approx(0.431, abs=1e-3)
    assert extremes["from_high_fraction"] == pytest.approx(-0.377, abs=1e-3)


def test_the_crash_hours_on_the_grid(grid: pl.DataFrame) -> None:
    before, crash, after = at(grid, "2025-10-10T20:00"), at(grid, "2025-10-10T22:00"), at(grid, "2025-10-11T00:00")
    # OI (Hyperliquid + Lighter, USD): 4.85B at 20:00, 2.43B at 22:00
    assert before["oi_usd"] == pytest.approx(4.855e9, rel=1e-3)
    assert crash["oi_usd"] == pytest.approx(2.428e9, rel=1e-3)
    assert crash["oi_change_fraction"] == pytest.approx(-0.5206, abs=1e-4)  # over 24 h, same venues at both ends
    # price: the 21:00-22:00 bar's median low over binance, bybit and hyperliquid is Binance's 101,516.5 wick
    assert crash["low"] == 101_516.5
    assert crash["price_venues"] == 3
    assert after["close"] == 112_732.5
    assert after["price_change_fraction"] == pytest.approx(-0.0729, abs=1e-4)
    assert crash["quadrant"] == "long unwinding"  # price down, OI down
    # funding: Hyperliquid's 21:00 print lifted the OI-weighted rate to 0.082% per 8 h
    assert at(grid, "2025-10-10T21:00")["funding_weighted_8h"] == pytest.approx(0.000822, abs=1e-6)


def test_funding_moves_that_night(store: DuckDBStore) -> None:
    prints = analysis.funding_regimes(store, "BTC", iso_to_ms("2025-10-10T21:00"), iso_to_ms("2025-10-10T23:00"))
    regimes = {(row["venue"], row["funding_time"]): row for row in prints.iter_rows(named=True)}
    spike = regimes[("hyperliquid", iso_to_ms("2025-10-10T21:00"))]
    assert spike["rate_8h"] == pytest.approx(0.000874, abs=1e-6)
    assert spike["regime"] == "overheated"
    assert spike["zscore"] == pytest.approx(15.87, abs=0.01)
    assert regimes[("hyperliquid", iso_to_ms("2025-10-10T22:00"))]["regime"] == "negative"
    assert regimes[("kraken", iso_to_ms("2025-10-10T22:00"))]["rate_8h"] == pytest.approx(-0.001418, abs=1e-6)
    events = analysis.regime_events(store, "BTC", *WEEK)
    hyperliquid = events.filter(pl.col("venue") == "hyperliquid").select("funding_time", "event").rows()
    assert hyperliquid == [(iso_to_ms("2025-10-10T21:00"), "enter"), (iso_to_ms("2025-10-10T22:00"), "leave")]


def test_flips_that_week(store: DuckDBStore) -> None:
    flips = analysis.funding_flips(store, "BTC", *WEEK)
    bybit = flips["venue"].filter(pl.col("venue") == "bybit")
    # Bybit's 2025-10-11 00:00 print: negative for the first time since 2025-10-07 08:00
    first = bybit.filter(pl.col("funding_time") == iso_to_ms("2025-10-11T00:00")).row(0, named=True)
    assert (first["to_sign"], first["first_since"]) == ("negative", iso_to_ms("2025-10-07T08:00"))
    assert first["rate_8h"] == pytest.approx(-0.00014131)
    # every venue was never negative at once that week: the cross-venue events are all "all positive"
    assert set(flips["cross_venue"]["to_sign"]) == {"positive"}


def test_signals_that_week(store: DuckDBStore) -> None:
    # With the defaults, nothing: the crash is price down with OI down ("long unwinding"), not a divergence;
    # funding was never negative on every venue at once, nor overheated on the OI-weighted mean with OI rising;
    # and the sample holds no liquidation events that week, so no wave, sweep or flip after one.
    assert analysis.signals(store, "BTC", *WEEK) == []
    assert analysis.liquidation_waves(store, "BTC", *WEEK).is_empty()
    # The day before, price fell 2.6% while OI rose 7.2%: under the 3% price default, a divergence at 2%.
    looser = SignalThresholds(divergence_price=0.02)
    found = analysis.signals(store, "BTC", *WEEK, looser)
    assert [(signal.kind.value, signal.time) for signal in found] == [
        ("oi_price_divergence", iso_to_ms("2025-10-09T17:00"))
    ]
    assert found[0].evidence["reading"] == "new shorts building"
    assert found[0].evidence["oi_change_fraction"] == pytest.approx(0.0719, abs=1e-4)
    assert found[0].evidence["price_change_fraction"] == pytest.approx(-0.0264, abs=1e-4)


def test_real_waves_okx_march_2026(store: DuckDBStore) -> None:
    found = analysis.liquidation_waves(store, "BTC", iso_to_ms("2026-03-04"), iso_to_ms("2026-03-06"))
    rows = found.select("side", "price_low", "price_high", "events", "lower_bound").rows()
    assert rows == [("long", 71_457.6, 72_166.7, 179, True), ("short", 72_869.0, 73_771.5, 311, True)]
    assert found["notional_usd"].to_list() == pytest.approx([1_608_520.9, 2_147_929.8], abs=1)
    assert found["start"].to_list() == [1_772_696_702_545, 1_772_706_204_991]  # 07:45 and 10:23 UTC
    # the long wave is followed by the mean settled funding turning negative: a flip after liquidations
    flips = [s for s in analysis.signals(store, "BTC", iso_to_ms("2026-03-04"), iso_to_ms("2026-03-06"))]
    assert [(s.kind.value, s.time) for s in flips] == [("flip_after_liquidations", iso_to_ms("2026-03-05T13:00"))]
    assert flips[0].sentence.startswith("After at least $1.6M of longs were liquidated between $71,458 and $72,167")


def test_real_waves_hyperliquid_may_2025(store: DuckDBStore) -> None:
    found = analysis.liquidation_waves(store, "BTC", iso_to_ms("2025-05-25"), iso_to_ms("2025-05-27"))
    assert found.select("side", "price_low", "price_high", "events", "lower_bound").rows() == [
        ("short", 108_002.0, 109_100.0, 235, False),  # Hyperliquid is complete: not a lower bound
        ("short", 108_919.0, 109_318.0, 87, False),
        ("short", 109_333.0, 109_798.0, 100, False),
    ]
    assert found["notional_usd"].to_list() == pytest.approx([3_149_236.1, 1_000_490.7, 1_707_522.2], abs=1)
