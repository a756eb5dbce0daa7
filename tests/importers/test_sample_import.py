"""Every file of ../shared/data/sample imports, with the row counts the provenance notes state and known values."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from perpscope.importers import FileImport, import_paths
from perpscope.store import DuckDBStore

SAMPLE_FILES = {  # file -> (table, rows) as PROVENANCE.md counts them
    "binance_btcusdt_funding_8h_2025-03-06_2025-06-03.csv.gz": ("funding", 266),
    "binance_btcusdt_funding_daily_mean_2019-09-10_2026-02-12.csv.gz": ("funding", 2348),
    "binance_btcusdt_markprice_klines_8h_2025-03-06_2025-06-03.csv.gz": ("candles", 266),
    "binance_btcusdt_perp_klines_1m_2025-05-04_2025-06-03.csv.gz": ("candles", 43199),
    "hyperliquid_lighter_btc_open_interest_1h_2025-03-08_2026-03-07.csv.gz": ("open_interest", 10639),
    "liquidation_volume_daily_5coins_2025-12-07_2026-01-31.csv.gz": ("liquidation_totals", 173),
    "multivenue_btc_candles_1h_2025-03-06_2026-03-05.csv.gz": ("candles", 24632),
    "multivenue_btc_funding_2025-03-08_2026-03-07.csv.gz": ("funding", 22851),
    "okx_hyperliquid_btc_liquidation_events.csv.gz": ("liquidations", 2079),
    "multivenue_parquet/candles.parquet": ("candles", 121122),
    "multivenue_parquet/funding_rates.parquet": ("funding", 115218),
    "multivenue_parquet/liquidation_volume.parquet": ("liquidation_totals", 173),
    "multivenue_parquet/liquidations_fadd49d.parquet": ("liquidations", 8059),
    "multivenue_parquet/open_interest_HEAD_snapshot.parquet": ("open_interest", 18477),
    "multivenue_parquet/open_interest_hourly_2e39652.parquet": ("open_interest", 53282),
}


@pytest.fixture(scope="module")
def imported(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DuckDBStore, Any]]:
    store = DuckDBStore(tmp_path_factory.mktemp("sample") / "sample.duckdb")
    sample = shared_data / "sample"
    results = import_paths(store, [sample / name for name in SAMPLE_FILES])
    yield store, {result.path.relative_to(sample).as_posix(): result for result in results}
    store.close()


def one(store: DuckDBStore, sql: str, *params: object) -> dict[str, Any]:
    rows = store.query(sql, params).to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_every_sample_file_imports_all_its_rows(imported: tuple[DuckDBStore, dict[str, FileImport]], name: str) -> None:
    _, results = imported
    table, rows = SAMPLE_FILES[name]
    result = results[name]
    assert result.format == "tidy"
    assert result.skipped is None
    assert list(result.counts) == [table]
    assert result.counts[table].received == rows


def test_a_known_funding_print(imported: tuple[DuckDBStore, dict[str, FileImport]]) -> None:
    store, _ = imported
    # multivenue funding, line 2: 2025-03-08T16:00:00.001000Z,binance,BTC,1.208e-05 (the 1 ms jitter is kept)
    row = one(
        store,
        "SELECT * FROM funding WHERE venue = 'binance' AND symbol = ? AND kind = 'settled' AND ts_event = ?",
        "BTC-USDT-PERP",
        1741449600001,
    )
    assert row["symbol"] == "BTC-USDT-PERP"
    assert row["rate"] == 1.208e-05
    assert row["interval_h"] == 8.0
    assert row["funding_time"] == 1741449600001
    # the Binance single-venue file has the same print and was imported first
    assert row["native_symbol"] == "BTCUSDT"
    assert row["source"] == "import binance_btcusdt_funding_8h_2025-03-06_2025-06-03.csv.gz"


def test_funding_intervals_are_inferred_per_venue(imported: tuple[DuckDBStore, dict[str, FileImport]]) -> None:
    store, _ = imported
    rows = store.query(
        "SELECT venue, min(interval_h) AS low, max(interval_h) AS high FROM funding "
        "WHERE symbol LIKE 'BTC-%' AND kind = 'settled' GROUP BY venue ORDER BY venue"
    ).rows()
    hourly, eight_hourly = 1.0, 8.0
    assert rows == [
        ("binance", eight_hourly, eight_hourly),
        ("bybit", eight_hourly, eight_hourly),
        ("dydx", hourly, hourly),
        ("hyperliquid", hourly, hourly),
        ("kraken", hourly, hourly),
        ("lighter", hourly, hourly),
        ("okx", eight_hourly, eight_hourly),
    ]
    hyperliquid = one(
        store,
        "SELECT * FROM funding WHERE venue = 'hyperliquid' AND symbol = ? AND ts_event = ?",
        "BTC-USD-PERP",
        1741424400000,
    )
    assert hyperliquid["rate"] == 1.2500000000000006e-05


def test_daily_mean_is_its_own_kind(imported: tuple[DuckDBStore, dict[str, FileImport]]) -> None:
    store, _ = imported
    row = one(store, "SELECT * FROM funding WHERE kind = 'daily_mean' AND ts_event = ?", 1568073600000)
    assert (row["venue"], row["symbol"], row["rate"], row["interval_h"]) == ("binance", "BTC-USDT-PERP", 0.0001, 8.0)


def test_known_candles(imported: tuple[DuckDBStore, dict[str, FileImport]]) -> None:
    store, _ = imported
    # 2025-03-06T11:00:00Z,binance,BTC,91250.0,91563.0,90953.1,91319.2,5659.315
    hour = one(
        store,
        "SELECT * FROM candles WHERE venue = 'binance' AND symbol = ? AND interval = '1h' AND ts_event = ?",
        "BTC-USDT-PERP",
        1741258800000,
    )
    assert (hour["kind"], hour["open"], hour["high"], hour["low"], hour["close"], hour["volume"]) == (
        "last",
        91250.0,
        91563.0,
        90953.1,
        91319.2,
        5659.315,
    )
    # 2025-05-04T15:33:00Z,95505.4,95505.5,95502.7,95502.7,16.536 (1-minute klines)
    minute = one(store, "SELECT * FROM candles WHERE interval = '1m' AND ts_event = ?", 1746372780000)
    assert (minute["open"], minute["high"], minute["low"], minute["close"], minute["volume"]) == (
        95505.4,
        95505.5,
        95502.7,
        95502.7,
        16.536,
    )
    # 2025-03-06T16:00:00Z mark-price 8 h bar: no volume
    mark = one(
        store, "SELECT * FROM candles WHERE symbol = 'BTC-USDT-PERP' AND kind = 'mark' AND ts_event = ?", 1741276800000
    )
    assert (mark["interval"], mark["open"], mark["close"], mark["volume"]) == ("8h", 90776.94748889, 89887.9, None)


def test_known_liquidations_and_their_sides(imported: tuple[DuckDBStore, dict[str, FileImport]]) -> None:
    store, _ = imported
    # OKX: 2026-03-04T22:45:43.781Z sell, size_usd 15210.594 = 0.21 contracts x 72431.4; a BTC contract is 0.01 BTC
    okx = one(
        store,
        "SELECT * FROM liquidations WHERE venue = 'okx' AND symbol = 'BTC-USDT-PERP' AND ts_event = ?",
        1772664343781,
    )
    assert (okx["symbol"], okx["side"], okx["price"], okx["complete"]) == ("BTC-USDT-PERP", "long", 72431.4, False)
    assert okx["quantity"] == pytest.approx(0.0021)
    assert okx["notional_usd"] == pytest.approx(152.10594)
    # Hyperliquid: 2025-05-25T15:21:42.312Z S 711.05125 at 106925.0 -> a short position liquidated
    hyperliquid = one(
        store,
        "SELECT * FROM liquidations WHERE venue = 'hyperliquid' AND symbol = 'BTC-USD-PERP' AND ts_event = ?",
        1748186502312,
    )
    assert (hyperliquid["symbol"], hyperliquid["side"], hyperliquid["complete"]) == ("BTC-USD-PERP", "short", True)
    assert hyperliquid["notional_usd"] == pytest.approx(711.05125)
    assert hyperliquid["quantity"] == pytest.approx(0.00665)


def test_open_interest_and_daily_totals(imported: tuple[DuckDBStore, dict[str, FileImport]]) -> None:
    store, _ = imported
    oi = one(
        store,
        "SELECT * FROM open_interest WHERE venue = 'hyperliquid' AND symbol = ? AND ts_event = ?",
        "BTC-USD-PERP",
        1741420800000,
    )
    assert (oi["reported"], oi["oi_usd"], oi["oi_base"]) == ("usd", 898745447.7910928, None)
    total = one(
        store, "SELECT * FROM liquidation_totals WHERE symbol = ? AND ts_event = ?", "BTC-USD-PERP", 1765065600000
    )
    assert (total["venue"], total["period"], total["count"]) == ("unknown", "1d", 4131)
    assert (total["long_usd"], total["short_usd"]) == (29237102.67711996, 3546471.0795800006)


def test_overlapping_files_do_not_duplicate(imported: tuple[DuckDBStore, dict[str, FileImport]]) -> None:
    _, results = imported
    # the BTC CSVs are subsets of the parquet files: imported first, so the parquet adds only the other coins
    assert results["multivenue_parquet/liquidations_fadd49d.parquet"].counts["liquidations"].added == 8059 - 2079
    assert results["multivenue_parquet/candles.parquet"].counts["candles"].added == 121122 - 24632


def test_a_second_import_adds_nothing(imported: tuple[DuckDBStore, dict[str, FileImport]], shared_data: Path) -> None:
    store, _ = imported
    before = {table: store.count(table) for table in ("funding", "candles", "liquidations", "open_interest")}
    # the two largest parquet files are left out to keep the suite fast; they go through the same code path
    names = [name for name in SAMPLE_FILES if not name.endswith(("candles.parquet", "funding_rates.parquet"))]
    again = import_paths(store, [shared_data / "sample" / name for name in names])
    assert [result.counts[SAMPLE_FILES[name][0]].added for name, result in zip(names, again, strict=True)] == [0] * 13
    assert {table: store.count(table) for table in before} == before


def test_orderbook_depth_is_skipped_with_its_reason(shared_data: Path, duckdb_store: DuckDBStore) -> None:
    (result,) = import_paths(duckdb_store, [shared_data / "sample" / "multivenue_parquet" / "orderbook_depth.parquet"])
    assert result.counts == {}
    assert result.skipped == (
        "order-book depth snapshots (no time column, one row per venue and coin) have no table in perpscope's "
        "store; nothing imported"
    )
