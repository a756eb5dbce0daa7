"""Funding-rate history exported from exchange web pages: percent strings, local times, quoted CSV."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from perpscope.errors import ParseError
from perpscope.importers.base import ImportOptions, Source
from perpscope.importers.running import run
from perpscope.importers.web_export import FORMAT, parse_rate, split_contract
from perpscope.store import DuckDBStore

TS_RECV = 1_750_000_000_000
JUNE_18_UTC = 1_750_204_800_000  # 2025-06-18 00:00:00 UTC
HOUR = 3_600_000
SHANGHAI = ImportOptions(ts_recv=TS_RECV, tz=ZoneInfo("Asia/Shanghai"))

BINANCE = (
    '"Time","Contracts","Funding Interval","Funding Rate"\n'
    '"2025-06-18 16:00:00","BTCUSDT Perpetual","8h","0.003694%"\n'
    '"2025-06-18 08:00:00","BTCUSDT Perpetual","8h","-0.001752%"\n'
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read(path: Path, options: ImportOptions) -> list[dict[str, object]]:
    source = Source(path.name, path)
    assert FORMAT.sniff(source)
    return FORMAT.read(source, options)["funding"].to_pylist()


def test_binance_page_export_in_shanghai_time(tmp_path: Path) -> None:
    path = write(tmp_path, "Funding Rate History_BTCUSDT Perpetual_2025-06-18.csv", BINANCE)
    newest, oldest = read(path, SHANGHAI)
    assert oldest["ts_event"] == JUNE_18_UTC  # 08:00 in Shanghai (UTC+8) is 00:00 UTC
    assert oldest["funding_time"] == JUNE_18_UTC
    assert oldest["rate"] == pytest.approx(-0.00001752)
    assert newest["ts_event"] == JUNE_18_UTC + 8 * HOUR
    assert newest["rate"] == pytest.approx(0.00003694)
    assert newest["interval_h"] == 8.0
    assert newest["venue"] == "binance"  # the Binance header shape says so
    assert newest["symbol"] == "BTC-USDT-PERP"
    assert newest["native_symbol"] == "BTCUSDT"
    assert newest["kind"] == "settled"
    assert newest["ts_recv"] == TS_RECV
    assert newest["source"] == "import Funding Rate History_BTCUSDT Perpetual_2025-06-18.csv"
    assert newest["_line"] == 2


def test_zone_stated_in_the_header_wins_over_the_option(tmp_path: Path) -> None:
    text = "Time(UTC+8),Symbol,Funding Rate\n2025-06-18 08:00:00,ETHUSDT,0.0100%\n"
    path = write(tmp_path, "bybit-funding.csv", text)
    (row,) = read(path, ImportOptions(ts_recv=TS_RECV))  # --tz left at UTC
    assert row["ts_event"] == JUNE_18_UTC
    assert row["venue"] == "bybit"
    assert row["symbol"] == "ETH-USDT-PERP"
    assert row["rate"] == pytest.approx(0.0001)
    assert row["interval_h"] == 8.0  # one row, no interval column: Bybit's usual interval


def test_interval_from_row_spacing_and_utc_by_default(tmp_path: Path) -> None:
    text = (
        "Symbol,Funding Rate,Time\n"
        "SOLUSDT,0.0050%,2025/06/18 08:00\n"
        "SOLUSDT,0.0025%,2025/06/18 04:00\n"
        "SOLUSDT,-0.0100%,2025/06/18 00:00\n"
    )
    path = write(tmp_path, "bybit_history.csv", text)
    rows = read(path, ImportOptions(ts_recv=TS_RECV))
    assert [row["ts_event"] for row in rows] == [JUNE_18_UTC + 8 * HOUR, JUNE_18_UTC + 4 * HOUR, JUNE_18_UTC]
    assert [row["interval_h"] for row in rows] == [4.0, 4.0, 4.0]
    assert rows[2]["rate"] == pytest.approx(-0.0001)


def test_okx_export_prefers_the_real_rate_and_takes_the_symbol_option(tmp_path: Path) -> None:
    text = "\ufeffFunding Time;Funding Rate;Real Funding Rate\n2025-06-18 08:00:00;0.0123%;0.0100%\n"
    path = write(tmp_path, "okx funding.csv", text)
    (row,) = read(path, ImportOptions(ts_recv=TS_RECV, tz=ZoneInfo("Asia/Shanghai"), symbol="BTC-USDT-PERP"))
    assert row["venue"] == "okx"
    assert row["symbol"] == "BTC-USDT-PERP"
    assert row["native_symbol"] == "BTC-USDT-SWAP"
    assert row["rate"] == pytest.approx(0.0001)
    assert row["ts_event"] == JUNE_18_UTC


def test_symbol_from_the_file_name_and_percent_header(tmp_path: Path) -> None:
    text = "Time,Funding Rate(%)\n2025-06-18 00:00:00,0.01\n2025-06-18 08:00:00,0.02\n"
    path = write(tmp_path, "Funding Rate History_ETHUSDT Perpetual_2025-06-18.csv", text)
    rows = read(path, ImportOptions(ts_recv=TS_RECV, venue="binance"))
    assert [row["rate"] for row in rows] == [pytest.approx(0.0001), pytest.approx(0.0002)]
    assert rows[0]["symbol"] == "ETH-USDT-PERP"


def test_a_bad_row_names_file_line_and_field_and_nothing_is_stored(tmp_path: Path) -> None:
    text = BINANCE + '"2025-06-18 00:00:00","BTCUSDT Perpetual","8h","n/a%"\n'
    path = write(tmp_path, "Funding Rate History_BTCUSDT Perpetual_2025-06-18.csv", text)
    store = DuckDBStore(tmp_path / "test.duckdb")
    try:
        with pytest.raises(ParseError) as caught:
            run(store, [path], formats=[FORMAT])
        count = store.query("SELECT count(*) AS n FROM funding").to_dicts()
    finally:
        store.close()
    assert (caught.value.file, caught.value.line, caught.value.field) == (path.name, 4, "funding rate")
    assert count == [{"n": 0}]


def test_whole_file_through_the_store(tmp_path: Path) -> None:
    path = write(tmp_path, "Funding Rate History_BTCUSDT Perpetual_2025-06-18.csv", BINANCE)
    store = DuckDBStore(tmp_path / "test.duckdb")
    try:
        (result,) = run(store, [path], formats=[FORMAT], tz=ZoneInfo("Asia/Shanghai"))
        stored = store.query("SELECT ts_event, rate FROM funding ORDER BY ts_event").to_dicts()
    finally:
        store.close()
    assert result.counts["funding"].added == 2
    assert stored[0]["ts_event"] == JUNE_18_UTC
    assert stored[1]["rate"] == pytest.approx(0.00003694)


def test_day_first_dates_are_refused(tmp_path: Path) -> None:
    text = "Time,Contracts,Funding Interval,Funding Rate\n18/06/2025 08:00,BTCUSDT Perpetual,8h,0.01%\n"
    path = write(tmp_path, "export.csv", text)
    with pytest.raises(ParseError, match="ambiguous date") as caught:
        FORMAT.read(Source(path.name, path), SHANGHAI)
    assert (caught.value.line, caught.value.field) == (2, "time")


def test_unknown_venue_asks_for_the_option(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", "Time,Symbol,Funding Rate\n2025-06-18 08:00:00,BTCUSDT,0.01%\n")
    with pytest.raises(ParseError, match="pass --venue"):
        FORMAT.read(Source(path.name, path), SHANGHAI)


def test_sniff_leaves_machine_csvs_and_other_files_alone(tmp_path: Path) -> None:
    tidy = write(tmp_path, "tidy.csv", "timestamp,venue,coin,funding_rate\n2025-06-18T00:00:00Z,binance,BTC,0.0001\n")
    assert not FORMAT.sniff(Source(tidy.name, tidy))
    klines = write(tmp_path, "klines.csv", "open_time,open,high,low,close\n")
    assert not FORMAT.sniff(Source(klines.name, klines))


def test_rates_and_contracts() -> None:
    assert parse_rate("0.0100%", in_percent=False, file="f", line=2, field="r") == pytest.approx(0.0001)
    assert parse_rate("\u22120.5%", in_percent=False, file="f", line=2, field="r") == pytest.approx(-0.005)
    assert parse_rate("0.0001", in_percent=False, file="f", line=2, field="r") == 0.0001
    assert split_contract("BTCUSDT Perpetual") == ("BTC", "USDT")
    assert split_contract("BTC-USDT-SWAP") == ("BTC", "USDT")
    assert split_contract("1000PEPE/USDC") == ("1000PEPE", "USDC")
    assert split_contract("History") is None
