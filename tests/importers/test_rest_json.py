"""Saved REST responses: the real sample payloads from shared data, and hand-written ones, read field by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perpscope.errors import ParseError
from perpscope.importers.base import ImportOptions, SkipFile, Source
from perpscope.importers.rest_json import FORMAT
from perpscope.importers.running import run
from perpscope.store import DuckDBStore

TS_RECV = 1_750_000_000_000
OPTIONS = ImportOptions(ts_recv=TS_RECV)
HOUR = 3_600_000


def read(path: Path) -> dict[str, list[dict[str, object]]]:
    source = Source(path.name, path)
    assert FORMAT.sniff(source)
    return {name: table.to_pylist() for name, table in FORMAT.read(source, OPTIONS).items()}


def sample(shared_data: Path, venue: str, name: str) -> Path:
    return shared_data / "messages" / "nautilus_trader" / venue / name


def test_binance_funding_rate_sample(shared_data: Path) -> None:
    first, second = read(sample(shared_data, "binance", "http_futures_market_funding_rate.json"))["funding"]
    assert (first["venue"], first["symbol"], first["native_symbol"]) == ("binance", "BTC-USDT-PERP", "BTCUSDT")
    assert first["ts_event"] == 1_570_608_000_000
    assert first["funding_time"] == 1_570_608_000_000
    assert first["rate"] == -0.0375
    assert second["rate"] == 0.0001
    assert second["interval_h"] == 8.0  # the two settlements are 8 h apart
    assert first["kind"] == "settled"
    assert first["ts_recv"] == TS_RECV
    assert first["source"] == "import http_futures_market_funding_rate.json"


def test_binance_open_interest_history_sample(shared_data: Path) -> None:
    first, second = read(sample(shared_data, "binance", "http_futures_market_open_interest_historical.json"))[
        "open_interest"
    ]
    assert first["ts_event"] == 1_583_127_900_000
    assert first["oi_base"] == 20403.637
    assert first["oi_usd"] == pytest.approx(150_570_784.07809979)
    assert first["reported"] == "base"
    assert first["conversion_price"] == pytest.approx(150_570_784.07809979 / 20403.637)
    assert second["ts_event"] == 1_583_128_200_000
    assert second["oi_base"] == 20401.367
    assert second["source"] == "import http_futures_market_open_interest_historical.json"


def test_okx_funding_history_sample(shared_data: Path) -> None:
    newest, oldest = read(sample(shared_data, "okx", "http_get_funding_rate_history.json"))["funding"]
    assert (newest["venue"], newest["symbol"], newest["native_symbol"]) == ("okx", "BTC-USDT-PERP", "BTC-USDT-SWAP")
    assert newest["ts_event"] == 1_704_067_200_000
    assert newest["rate"] == 0.00015  # realizedRate: what was paid
    assert oldest["rate"] == -0.00002
    assert oldest["interval_h"] == 8.0


def test_bybit_funding_history_sample(shared_data: Path) -> None:
    newest, oldest = read(sample(shared_data, "bybit", "http_get_funding_history.json"))["funding"]
    assert (newest["venue"], newest["symbol"], newest["native_symbol"]) == ("bybit", "BTC-USDT-PERP", "BTCUSDT")
    assert newest["ts_event"] == 1_709_884_800_000
    assert newest["rate"] == 0.0001
    assert oldest["ts_event"] == 1_709_856_000_000
    assert oldest["rate"] == 0.00015
    assert newest["interval_h"] == 8.0


def test_hyperliquid_funding_history_sample(shared_data: Path) -> None:
    rows = read(sample(shared_data, "hyperliquid", "http_funding_history.json"))["funding"]
    assert [row["rate"] for row in rows] == [0.0000125, -0.0000081, 0.0000033]
    assert [row["ts_event"] for row in rows] == [1_769_908_800_000, 1_769_912_400_000, 1_769_916_000_000]
    assert {(row["symbol"], row["native_symbol"], row["interval_h"]) for row in rows} == {("BTC-USD-PERP", "BTC", 1.0)}


def test_hand_written_binance_response_with_mark_price_and_a_four_hour_symbol(tmp_path: Path) -> None:
    t0 = 1_735_689_600_000
    payload = [
        {"symbol": "SOLUSDT", "fundingTime": t0 + step * 4 * HOUR + 2, "fundingRate": "0.00005", "markPrice": "190.1"}
        for step in range(3)
    ]
    path = tmp_path / "fundingRate.json"
    path.write_text(json.dumps(payload))
    rows = read(path)["funding"]
    assert [row["interval_h"] for row in rows] == [4.0, 4.0, 4.0]  # the venue does not say; the spacing does
    assert rows[2]["ts_event"] == t0 + 8 * HOUR + 2
    assert rows[0]["symbol"] == "SOL-USDT-PERP"


def test_a_whole_file_is_stored_once(tmp_path: Path) -> None:
    payload = {
        "retCode": 0,
        "retMsg": "OK",
        "result": {
            "category": "linear",
            "list": [
                {"symbol": "ETHUSDT", "fundingRate": "-0.0002", "fundingRateTimestamp": "1735718400000"},
                {"symbol": "ETHUSDT", "fundingRate": "0.0001", "fundingRateTimestamp": "1735689600000"},
            ],
        },
        "time": 1735720000000,
    }
    path = tmp_path / "bybit.json"
    path.write_text(json.dumps(payload))
    store = DuckDBStore(tmp_path / "test.duckdb")
    try:
        first = run(store, [path], formats=[FORMAT])
        again = run(store, [path], formats=[FORMAT])
        stored = store.query("SELECT ts_event, rate, interval_h FROM funding ORDER BY ts_event").to_dicts()
    finally:
        store.close()
    assert first[0].counts["funding"].added == 2
    assert again[0].counts["funding"].added == 0
    assert stored == [
        {"ts_event": 1_735_689_600_000, "rate": 0.0001, "interval_h": 8.0},
        {"ts_event": 1_735_718_400_000, "rate": -0.0002, "interval_h": 8.0},
    ]


def test_a_bad_value_names_the_file_and_the_json_path(tmp_path: Path) -> None:
    payload = [{"coin": "ETH", "fundingRate": "x", "time": 1_735_689_600_000}]
    path = tmp_path / "hl.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(ParseError) as caught:
        FORMAT.read(Source(path.name, path), OPTIONS)
    assert caught.value.file == "hl.json"
    assert caught.value.field is not None and "fundingRate" in caught.value.field
    assert "Hyperliquid fundingHistory" in caught.value.reason


def test_an_okx_error_response_is_refused(tmp_path: Path) -> None:
    payload = {"code": "51001", "msg": "Instrument ID does not exist", "data": [{"instId": "X", "fundingTime": "1"}]}
    path = tmp_path / "okx.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(ParseError) as caught:
        FORMAT.read(Source(path.name, path), OPTIONS)
    assert caught.value.file == "okx.json"


def test_empty_and_unknown_responses(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text('{"code": "0", "msg": "", "data": []}')
    with pytest.raises(SkipFile, match="no rows"):
        FORMAT.read(Source(empty.name, empty), OPTIONS)
    klines = tmp_path / "klines.json"
    klines.write_text('[[1591258320000, "9640.7", "9642.4"]]')
    assert not FORMAT.sniff(Source(klines.name, klines))
    with pytest.raises(ParseError, match="not a response perpscope knows"):
        FORMAT.read(Source(klines.name, klines), OPTIONS)
