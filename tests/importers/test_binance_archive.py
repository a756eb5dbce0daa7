"""Binance data-archive CSVs built by hand in the archive's layout (zipped, with and without a header row)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from perpscope.errors import ParseError
from perpscope.importers import import_paths
from perpscope.importers.binance_archive import KLINE_COLUMNS, METRICS_COLUMNS
from perpscope.store import DuckDBStore

KLINES = (
    "1704067200000,42283.58,42554.57,42261.02,42475.23,1271.681,1704067259999,53957248.97,13169,785.145,33315211.09,0\n"
    "1704067260000,42475.23,42475.24,42431.65,42469.85,383.552,1704067319999,16287683.25,5281,193.000,8196000.10,0\n"
)


def zipped(tmp_path: Path, member: str, text: str) -> Path:
    path = tmp_path / member.replace(".csv", ".zip")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, text)
    return path


def rows(store: DuckDBStore, sql: str) -> list[dict[str, Any]]:
    return store.query(sql).to_dicts()


@pytest.mark.parametrize("header", [False, True], ids=["old, no header", "new, header row"])
def test_klines(duckdb_store: DuckDBStore, tmp_path: Path, header: bool) -> None:
    text = (",".join(KLINE_COLUMNS) + "\n" if header else "") + KLINES
    path = zipped(tmp_path, "BTCUSDT-1m-2024-01-01.csv", text)
    (result,) = import_paths(duckdb_store, [path])
    assert (result.format, result.counts["candles"].received, result.counts["candles"].added) == (
        "binance-archive",
        2,
        2,
    )
    first = rows(duckdb_store, "SELECT * FROM candles ORDER BY ts_event")[0]
    assert first == {
        "venue": "binance",
        "symbol": "BTC-USDT-PERP",
        "native_symbol": "BTCUSDT",
        "ts_event": 1704067200000,
        "ts_recv": first["ts_recv"],
        "source": "import BTCUSDT-1m-2024-01-01.zip:BTCUSDT-1m-2024-01-01.csv",
        "interval": "1m",
        "kind": "last",
        "open": 42283.58,
        "high": 42554.57,
        "low": 42261.02,
        "close": 42475.23,
        "volume": 1271.681,
        "quote_volume": 53957248.97,
    }
    assert import_paths(duckdb_store, [path])[0].counts["candles"].added == 0


def test_mark_price_klines(duckdb_store: DuckDBStore, tmp_path: Path) -> None:
    path = zipped(tmp_path, "ETHUSDT-markPriceKlines-1h-2024-01.csv", KLINES)
    import_paths(duckdb_store, [path])
    kinds = rows(duckdb_store, "SELECT DISTINCT symbol, interval, kind FROM candles")
    assert kinds == [{"symbol": "ETH-USDT-PERP", "interval": "1h", "kind": "mark"}]


def test_funding_rate(duckdb_store: DuckDBStore, tmp_path: Path) -> None:
    text = (
        "calc_time,funding_interval_hours,last_funding_rate\n1704067200000,8,0.00037409\n1704096000000,8,0.00031041\n"
    )
    import_paths(duckdb_store, [zipped(tmp_path, "BTCUSDT-fundingRate-2024-01.csv", text)])
    got = rows(duckdb_store, "SELECT ts_event, funding_time, rate, interval_h, kind FROM funding ORDER BY ts_event")
    assert got == [
        {
            "ts_event": 1704067200000,
            "funding_time": 1704067200000,
            "rate": 0.00037409,
            "interval_h": 8.0,
            "kind": "settled",
        },
        {
            "ts_event": 1704096000000,
            "funding_time": 1704096000000,
            "rate": 0.00031041,
            "interval_h": 8.0,
            "kind": "settled",
        },
    ]


def test_metrics(duckdb_store: DuckDBStore, tmp_path: Path) -> None:
    text = ",".join(METRICS_COLUMNS) + "\n2024-01-01 00:05:00,BTCUSDT,60000.5,2550021250.0,1.5,3.0,,0.95\n"
    (result,) = import_paths(duckdb_store, [zipped(tmp_path, "BTCUSDT-metrics-2024-01-01.csv", text)])
    assert {name: count.added for name, count in result.counts.items()} == {"open_interest": 1, "long_short_ratios": 2}
    (oi,) = rows(duckdb_store, "SELECT ts_event, oi_base, oi_usd, reported, conversion_price FROM open_interest")
    assert oi == {
        "ts_event": 1704067500000,
        "oi_base": 60000.5,
        "oi_usd": 2550021250.0,
        "reported": "base",
        "conversion_price": 42500.0,
    }
    ratios = rows(duckdb_store, "SELECT kind, period, long_share, short_share FROM long_short_ratios ORDER BY kind")
    # ratio r = long/short -> long share r/(1+r): 1.5 -> 0.6, 3.0 -> 0.75; the empty account ratio is left out
    assert ratios == [
        {"kind": "top_accounts", "period": "5m", "long_share": 0.6, "short_share": pytest.approx(0.4)},
        {"kind": "top_positions", "period": "5m", "long_share": 0.75, "short_share": 0.25},
    ]
    assert rows(duckdb_store, "SELECT count(*) AS n FROM taker_volume") == [{"n": 0}]


def test_a_bad_kline_names_member_line_and_field(duckdb_store: DuckDBStore, tmp_path: Path) -> None:
    path = zipped(tmp_path, "BTCUSDT-1m-2024-01-02.csv", KLINES.replace("42475.24", "n/a"))
    with pytest.raises(ParseError) as caught:
        import_paths(duckdb_store, [path])
    assert (
        str(caught.value) == "BTCUSDT-1m-2024-01-02.zip:BTCUSDT-1m-2024-01-02.csv:2: field 'high': not a number: 'n/a'"
    )
    assert duckdb_store.count("candles") == 0


def test_a_header_that_is_not_the_archive_s(duckdb_store: DuckDBStore, tmp_path: Path) -> None:
    text = "calc_time,interval,last_funding_rate\n1704067200000,8,0.0001\n"
    with pytest.raises(ParseError) as caught:
        import_paths(duckdb_store, [zipped(tmp_path, "BTCUSDT-fundingRate-2024-02.csv", text)])
    assert "BTCUSDT-fundingRate-2024-02.csv:1: field 'funding_interval_hours': header does not match" in str(
        caught.value
    )
    assert duckdb_store.count("funding") == 0
