"""freqtrade data files (feather, parquet, json, json.gz) built here with known values, read field by field."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from perpscope.errors import ParseError
from perpscope.importers.base import ImportOptions, SkipFile, Source
from perpscope.importers.freqtrade import FORMAT, market_of, parse_file_name, timeframe_hours
from perpscope.importers.running import run
from perpscope.store import DuckDBStore

T0 = 1_735_689_600_000  # 2025-01-01 00:00 UTC
HOUR = 3_600_000
TS_RECV = 1_750_000_000_000
OPTIONS = ImportOptions(ts_recv=TS_RECV)


def frame(rows: list[tuple[int, float, float, float, float, float]]) -> pd.DataFrame:
    """A DataFrame as freqtrade keeps it: ``date`` a UTC datetime column, then OHLCV floats."""
    data = pd.DataFrame(rows, columns=["date", "open", "high", "low", "close", "volume"])
    data["date"] = pd.to_datetime(data["date"], unit="ms", utc=True)
    return data


def futures_dir(root: Path, exchange: str = "binance") -> Path:
    folder = root / "user_data" / "data" / exchange / "futures"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def read(path: Path, options: ImportOptions = OPTIONS) -> dict[str, list[dict[str, object]]]:
    source = Source(path.name, path)
    assert FORMAT.sniff(source)
    return {name: table.to_pylist() for name, table in FORMAT.read(source, options).items()}


def test_funding_feather_reads_open_column_with_interval_from_spacing(tmp_path: Path) -> None:
    path = futures_dir(tmp_path) / "BTC_USDT_USDT-8h-funding_rate.feather"
    frame([(T0, 0.0001, 0, 0, 0, 0), (T0 + 8 * HOUR + 3, -0.00025, 0, 0, 0, 0)]).to_feather(path)
    rows = read(path)["funding"]
    assert len(rows) == 2
    first, second = rows
    assert first["venue"] == "binance"
    assert first["symbol"] == "BTC-USDT-PERP"
    assert first["native_symbol"] == "BTCUSDT"
    assert first["ts_event"] == T0
    assert first["funding_time"] == T0
    assert first["rate"] == 0.0001
    assert first["interval_h"] == 8.0
    assert first["kind"] == "settled"
    assert first["ts_recv"] == TS_RECV
    assert first["source"] == "import BTC_USDT_USDT-8h-funding_rate.feather"
    assert second["ts_event"] == T0 + 8 * HOUR + 3  # the venue's millisecond jitter is kept
    assert second["rate"] == -0.00025


def test_funding_interval_is_the_row_spacing_not_the_download_timeframe(tmp_path: Path) -> None:
    # freqtrade downloads Hyperliquid funding with a 1h timeframe; a venue paying every 4 h still has rows 4 h apart
    path = futures_dir(tmp_path, "bybit") / "ETH_USDT_USDT-1h-funding_rate.feather"
    rows = [(T0 + step * 4 * HOUR, 0.0001 * step, 0, 0, 0, 0) for step in range(4)]
    rows.append((T0 + 24 * HOUR, 0.0002, 0, 0, 0, 0))  # a gap of 12 h (missing data) does not change the mode
    frame(rows).to_feather(path)
    funding = read(path)["funding"]
    assert [row["interval_h"] for row in funding] == [4.0] * 5
    assert funding[0]["symbol"] == "ETH-USDT-PERP"
    assert funding[0]["native_symbol"] == "ETHUSDT"


def test_one_row_funding_file_takes_the_interval_from_the_file_name(tmp_path: Path) -> None:
    path = futures_dir(tmp_path, "hyperliquid") / "BTC_USDC_USDC-1h-funding_rate.feather"
    frame([(T0, 0.0000125, 0, 0, 0, 0)]).to_feather(path)
    (row,) = read(path)["funding"]
    assert row["interval_h"] == 1.0
    assert row["venue"] == "hyperliquid"
    assert row["symbol"] == "BTC-USD-PERP"
    assert row["native_symbol"] == "BTC"
    assert row["rate"] == 0.0000125


def test_newer_funding_files_with_a_funding_rate_column(tmp_path: Path) -> None:
    path = futures_dir(tmp_path, "okx") / "BTC_USDT_USDT-8h-funding_rate.parquet"
    data = pd.DataFrame(
        {"date": pd.to_datetime([T0, T0 + 8 * HOUR], unit="ms", utc=True), "funding_rate": [1e-4, 2e-4]}
    )
    data.to_parquet(path)
    funding = read(path)["funding"]
    assert [row["rate"] for row in funding] == [1e-4, 2e-4]
    assert funding[0]["native_symbol"] == "BTC-USDT-SWAP"
    assert funding[1]["ts_event"] == T0 + 8 * HOUR


def test_mark_candles_have_no_volume_and_kind_mark(tmp_path: Path) -> None:
    path = futures_dir(tmp_path) / "BTC_USDT_USDT-8h-mark.feather"
    frame([(T0, 93_500.5, 94_000.0, 93_000.25, 93_800.0, 0.0)]).to_feather(path)
    (candle,) = read(path)["candles"]
    assert candle["kind"] == "mark"
    assert candle["interval"] == "8h"
    assert candle["ts_event"] == T0
    assert (candle["open"], candle["high"], candle["low"], candle["close"]) == (93_500.5, 94_000.0, 93_000.25, 93_800.0)
    assert candle["volume"] is None
    assert "quote_volume" not in candle  # left to the store schema, which fills null


def test_mark_file_with_volume_is_trade_candles(tmp_path: Path) -> None:
    # freqtrade's Hyperliquid "mark" candles are last-trade candles (mark_ohlcv_price = futures)
    path = futures_dir(tmp_path, "hyperliquid") / "BTC_USDC_USDC-1h-mark.feather"
    frame([(T0, 100.0, 110.0, 90.0, 105.0, 12.5)]).to_feather(path)
    (candle,) = read(path)["candles"]
    assert candle["kind"] == "last"
    assert candle["volume"] == 12.5


def test_futures_candles_from_parquet(tmp_path: Path) -> None:
    path = futures_dir(tmp_path) / "SOL_USDT_USDT-1h-futures.parquet"
    frame([(T0, 180.0, 181.5, 179.25, 181.0, 5_000.0), (T0 + HOUR, 181.0, 182.0, 180.0, 180.5, 4_200.5)]).to_parquet(
        path
    )
    candles = read(path)["candles"]
    assert [candle["ts_event"] for candle in candles] == [T0, T0 + HOUR]
    assert candles[1]["kind"] == "last"
    assert candles[1]["symbol"] == "SOL-USDT-PERP"
    assert (candles[1]["open"], candles[1]["high"], candles[1]["low"], candles[1]["close"]) == (
        181.0,
        182.0,
        180.0,
        180.5,
    )
    assert candles[1]["volume"] == 4_200.5


def test_json_and_json_gz(tmp_path: Path) -> None:
    folder = futures_dir(tmp_path)
    rows = [[T0, 0.0001, 0, 0, 0, 0], [T0 + 8 * HOUR, 0.0003, 0, 0, 0, 0]]
    plain = folder / "ETH_USDT_USDT-8h-funding_rate.json"
    plain.write_text(json.dumps(rows))
    assert [row["rate"] for row in read(plain)["funding"]] == [0.0001, 0.0003]
    packed = folder / "ETH_USDT_USDT-1h-index.json.gz"
    packed.write_bytes(gzip.compress(json.dumps([[T0, 3300.5, 3310, 3290, 3305.25, 0]]).encode()))
    store = DuckDBStore(tmp_path / "test.duckdb")
    try:
        (result,) = run(store, [packed], formats=[FORMAT])
        assert result.format == "freqtrade"
        assert result.counts["candles"].added == 1
        stored = store.query("SELECT kind, interval, open, close, volume, symbol FROM candles").to_dicts()
    finally:
        store.close()
    assert stored == [
        {"kind": "index", "interval": "1h", "open": 3300.5, "close": 3305.25, "volume": None, "symbol": "ETH-USDT-PERP"}
    ]


def test_a_data_directory_imports_every_file_and_skips_the_rest(tmp_path: Path) -> None:
    folder = futures_dir(tmp_path)
    frame([(T0, 0.0001, 0, 0, 0, 0), (T0 + 8 * HOUR, 0.0002, 0, 0, 0, 0)]).to_feather(
        folder / "BTC_USDT_USDT-8h-funding_rate.feather"
    )
    frame([(T0, 1.0, 1.0, 1.0, 1.0, 0.0)]).to_feather(folder / "BTC_USDT_USDT-8h-premiumIndex.feather")
    spot = folder.parent / "BTC_USDT-1h.feather"
    frame([(T0, 1.0, 1.0, 1.0, 1.0, 1.0)]).to_feather(spot)
    store = DuckDBStore(tmp_path / "test.duckdb")
    try:
        results = {result.name: result for result in run(store, [folder.parent], formats=[FORMAT])}
        total = store.query("SELECT sum(rate) AS total, count(*) AS n FROM funding").to_dicts()
    finally:
        store.close()
    assert results["binance/futures/BTC_USDT_USDT-8h-funding_rate.feather"].counts["funding"].added == 2
    assert "premium index" in str(results["binance/futures/BTC_USDT_USDT-8h-premiumIndex.feather"].skipped)
    assert "spot" in str(results["binance/BTC_USDT-1h.feather"].skipped)
    assert total == [{"total": pytest.approx(0.0003), "n": 2}]


def test_bad_value_names_file_row_and_column(tmp_path: Path) -> None:
    path = futures_dir(tmp_path) / "BTC_USDT_USDT-1h-futures.feather"
    frame([(T0, 1.0, 2.0, 0.5, 1.5, 3.0), (T0 + HOUR, 1.0, float("nan"), 0.5, 1.5, 3.0)]).to_feather(path)
    with pytest.raises(ParseError) as caught:
        FORMAT.read(Source(path.name, path), OPTIONS)
    assert caught.value.file == "BTC_USDT_USDT-1h-futures.feather"
    assert caught.value.field == "high (row 2)"


def test_seconds_instead_of_milliseconds_is_out_of_range(tmp_path: Path) -> None:
    path = futures_dir(tmp_path) / "BTC_USDT_USDT-8h-funding_rate.json"
    path.write_text(json.dumps([[T0 // 1000, 0.0001, 0, 0, 0, 0]]))
    with pytest.raises(ParseError) as caught:
        FORMAT.read(Source(path.name, path), OPTIONS)
    assert caught.value.field == "date (row 1)"
    assert "out of range" in caught.value.reason


def test_json_row_of_the_wrong_shape(tmp_path: Path) -> None:
    path = futures_dir(tmp_path) / "BTC_USDT_USDT-8h-mark.json"
    path.write_text(json.dumps([[T0, 1, 1, 1, 1, 0], [T0, 1, "x", 1, 1, 0]]))
    with pytest.raises(ParseError) as caught:
        FORMAT.read(Source(path.name, path), OPTIONS)
    assert caught.value.field == "high (row 2)"


def test_venue_needs_the_exchange_directory_or_an_option(tmp_path: Path) -> None:
    path = tmp_path / "BTC_USDT_USDT-8h-funding_rate.feather"
    frame([(T0, 0.0001, 0, 0, 0, 0)]).to_feather(path)
    with pytest.raises(ParseError, match="cannot tell the venue"):
        FORMAT.read(Source(path.name, path), OPTIONS)
    (row,) = read(path, ImportOptions(ts_recv=TS_RECV, venue="OKEX"))["funding"]
    assert row["venue"] == "okx"
    assert row["native_symbol"] == "BTC-USDT-SWAP"


def test_names_pairs_and_timeframes() -> None:
    name = parse_file_name("1000PEPE_USDT_USDT-8h-funding_rate.feather")
    assert name is not None
    assert (name.pair, name.timeframe, name.candle, name.extension) == (
        "1000PEPE_USDT_USDT",
        "8h",
        "funding_rate",
        "feather",
    )
    assert parse_file_name("BTC_USDT_USDT-1h-unknown.feather") is None
    assert parse_file_name("notes.json") is None
    assert timeframe_hours("30m") == 0.5
    assert timeframe_hours("1d") == 24.0
    assert timeframe_hours("1Mo") is None
    assert market_of("bybit", "1000PEPE_USDT_USDT").native_symbol == "1000PEPEUSDT"
    kpepe = market_of("hyperliquid", "kPEPE_USDC_USDC")
    assert (kpepe.symbol, kpepe.native_symbol) == ("KPEPE-USD-PERP", "kPEPE")
    with pytest.raises(SkipFile, match="inverse"):
        market_of("binance", "BTC_USD_BTC")
    with pytest.raises(SkipFile, match="dated"):
        market_of("binance", "BTC_USDT_USDT-240329")


def test_sniff_wants_the_name_and_the_content(tmp_path: Path) -> None:
    wrong_content = tmp_path / "BTC_USDT_USDT-8h-mark.feather"
    wrong_content.write_text("time,rate\n")
    assert not FORMAT.sniff(Source(wrong_content.name, wrong_content))
    other_name = tmp_path / "fundingRate.json"
    other_name.write_text("[]")
    assert not FORMAT.sniff(Source(other_name.name, other_name))
