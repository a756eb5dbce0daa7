"""Open-interest arithmetic (perpscope.analytics.open_interest) on hand-built frames."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from perpscope.analytics import open_interest
from perpscope.times import MS_PER_HOUR

H = MS_PER_HOUR
T = 1_759_996_800_000

_SCHEMA = {
    "venue": pl.String,
    "symbol": pl.String,
    "ts_event": pl.Int64,
    "oi_contracts": pl.Float64,
    "oi_base": pl.Float64,
    "oi_usd": pl.Float64,
    "reported": pl.String,
    "conversion_price": pl.Float64,
    "source": pl.String,
}


def oi_rows(*rows: dict[str, Any]) -> pl.DataFrame:
    defaults = {name: None for name in _SCHEMA} | {"symbol": "BTC-USDT-PERP", "ts_event": T, "source": "test"}
    return pl.DataFrame([defaults | row for row in rows], schema=_SCHEMA)


def prices(*rows: tuple[str, float, int, str]) -> pl.DataFrame:
    schema = {"venue": pl.String, "price": pl.Float64, "price_time": pl.Int64, "price_kind": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row").with_columns(symbol=pl.lit("BTC-USDT-PERP"))


def test_usd_values_and_their_basis() -> None:
    rows = open_interest.with_usd(
        oi_rows(
            {"venue": "binance", "oi_usd": 5e9, "reported": "usd"},
            {"venue": "bitmex", "oi_base": 10.0, "oi_usd": 1e6, "reported": "base"},
            {"venue": "bybit", "oi_base": 30_000.0, "reported": "base", "conversion_price": 100_000.0},
            {"venue": "hyperliquid", "oi_base": 20_000.0, "reported": "base"},
            {"venue": "lighter", "oi_base": 1_000.0, "reported": "base"},
            {"venue": "okx", "oi_contracts": 5.0, "reported": "contracts"},
        ),
        prices(("hyperliquid", 99_000.0, T - 60_000, "mark"), ("lighter", 98_000.0, T - H, "candle close")),
    )
    by_venue = {row["venue"]: row for row in rows.iter_rows(named=True)}
    expected = {
        "binance": (5e9, "reported", False, None),
        "bitmex": (1e6, "converted at ingest", True, None),
        "bybit": (3e9, "oi_base × conversion_price", True, None),
        "hyperliquid": (1.98e9, "oi_base × mark", True, 99_000.0),  # 20,000 x 99,000
        "lighter": (9.8e7, "oi_base × candle close", True, 98_000.0),  # 1,000 x 98,000
        "okx": (None, None, False, None),  # contracts alone cannot be priced here
    }
    for venue, (usd, basis, derived, price) in expected.items():
        row = by_venue[venue]
        assert (row["oi_usd"], row["oi_usd_basis"], row["oi_usd_derived"], row["oi_usd_price"]) == (
            pytest.approx(usd) if usd else usd,
            basis,
            derived,
            price,
        ), venue
    assert by_venue["hyperliquid"]["oi_usd_price_time"] == T - 60_000
    assert "price" not in rows.columns


def test_latest_per_venue_and_age() -> None:
    history = oi_rows(
        {"venue": "binance", "ts_event": T - 2 * H, "oi_usd": 1.0, "reported": "usd"},
        {"venue": "binance", "ts_event": T - H, "oi_usd": 2.0, "reported": "usd"},
        {"venue": "binance", "ts_event": T + H, "oi_usd": 3.0, "reported": "usd"},
        {"venue": "okx", "ts_event": T - 3 * H, "oi_usd": 4.0, "reported": "usd"},
    )
    latest = open_interest.with_age(open_interest.latest_per_venue(history, at=T), T)
    assert latest.select("venue", "oi_usd", "age_ms", "fresh").rows() == [
        ("binance", 2.0, H, True),
        ("okx", 4.0, 3 * H, False),  # older than the 2 h allowed
    ]
    assert open_interest.latest_per_venue(history)["oi_usd"].to_list() == [3.0, 4.0]


def test_change_over_window() -> None:
    latest = oi_rows(
        {"venue": "binance", "oi_usd": 5e9, "oi_base": 50_000.0, "reported": "usd"},
        {"venue": "bybit", "oi_usd": 3e9, "reported": "usd"},
        {"venue": "okx", "oi_usd": 1e9, "reported": "usd"},
    )
    start = T - 24 * H
    earlier = oi_rows(
        {"venue": "binance", "ts_event": start - H, "oi_usd": 4e9, "oi_base": 40_000.0, "reported": "usd"},
        {"venue": "bybit", "ts_event": start - 3 * H, "oi_usd": 1e9, "reported": "usd"},  # too old to compare
    )
    rows = open_interest.with_change(latest, earlier, start)
    binance, bybit, okx = rows.iter_rows(named=True)
    assert (binance["start_time"], binance["oi_usd_start"]) == (start - H, 4e9)
    assert (binance["change_usd"], binance["change_base"]) == (1e9, 10_000.0)
    assert binance["change_fraction"] == pytest.approx(0.25)
    assert (bybit["change_usd"], bybit["change_fraction"], okx["change_usd"]) == (None, None, None)


def test_totals_count_fresh_usd_values_only() -> None:
    rows = oi_rows(
        {"venue": "binance", "oi_usd": 5e9, "reported": "usd"},
        {"venue": "bybit", "oi_usd": 3e9, "reported": "usd"},
        {"venue": "okx", "ts_event": T - 5 * H, "oi_usd": 7e9, "reported": "usd"},
        {"venue": "kraken", "oi_contracts": 10.0, "reported": "contracts"},
    ).with_columns(change_usd=pl.Series([1e9, None, 2e9, None]))
    totals = open_interest.totals(open_interest.with_age(rows, T)).row(0, named=True)
    assert (totals["base"], totals["oi_usd"], totals["venues"]) == ("BTC", 8e9, 2)
    assert (totals["change_usd"], totals["venues_with_change"]) == (1e9, 1)
    unknown = open_interest.totals(open_interest.with_age(rows.with_columns(change_usd=None), T))
    assert unknown["change_usd"].to_list() == [None]  # no known change sums to unknown, not to 0
