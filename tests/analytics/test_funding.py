"""Funding arithmetic (perpscope.analytics.funding) on hand-built frames, numbers worked by hand."""

from __future__ import annotations

import polars as pl
import pytest

from perpscope.analytics import funding
from perpscope.times import MS_PER_HOUR

H = MS_PER_HOUR
T = 1_759_996_800_000  # 2025-10-09 08:00 UTC


def frame(rows: list[tuple[str, str, float, float, int]]) -> pl.DataFrame:
    """(venue, symbol, rate, interval_h, funding_time) rows in the funding table's shape."""
    return pl.DataFrame(
        rows, schema=["venue", "symbol", "rate", "interval_h", "funding_time"], orient="row"
    ).with_columns(source=pl.lit("test"))


def open_interest(rows: list[tuple[str, str, float | None, int]]) -> pl.DataFrame:
    """(venue, symbol, oi_usd, ts_event) rows as with_usd leaves them."""
    return pl.DataFrame(
        rows,
        schema={"venue": pl.String, "symbol": pl.String, "oi_usd": pl.Float64, "ts_event": pl.Int64},
        orient="row",
    ).with_columns(oi_usd_basis=pl.lit("reported"), oi_usd_derived=pl.lit(False), source=pl.lit("oi test"))


def test_normalise_mixed_intervals() -> None:
    rows = funding.normalise(
        frame(
            [
                ("hyperliquid", "BTC-USD-PERP", 0.0000125, 1.0, T),  # x 8 = 0.0001 per 8 h
                ("binance", "BTC-USDT-PERP", 0.0001, 8.0, T),
                ("bybit", "BTC-USDT-PERP", -0.0002, 4.0, T),  # x 2 = -0.0004 per 8 h
            ]
        )
    )
    assert rows["rate_8h"].to_list() == pytest.approx([0.0001, 0.0001, -0.0004])
    # 0.0000125 x 8760 / 1 = 0.1095; 0.0001 x 8760 / 8 = 0.1095; -0.0002 x 8760 / 4 = -0.438
    assert rows["apr"].to_list() == pytest.approx([0.1095, 0.1095, -0.438])


def test_oi_weighted_and_simple_means() -> None:
    rates = pl.Series([0.0001, -0.0002, 0.0003])
    weights = pl.Series([5e9, 3e9, 2e9])
    # (5e9 x 1e-4 - 3e9 x 2e-4 + 2e9 x 3e-4) / 1e10 = (5e5 - 6e5 + 6e5) / 1e10 = 5e-5
    assert funding.oi_weighted_mean(rates, weights) == pytest.approx(5e-5)
    assert funding.simple_mean(rates) == pytest.approx(0.0002 / 3)
    # a venue without OI drops out of the weighted mean, not of the simple one
    assert funding.oi_weighted_mean(pl.Series([0.0001, 0.0009]), pl.Series([1e9, None])) == pytest.approx(0.0001)
    assert funding.oi_weighted_mean(pl.Series([0.0001]), pl.Series([0.0])) is None
    assert funding.simple_mean(pl.Series([], dtype=pl.Float64)) is None


def test_predicted_kept_only_for_a_later_settlement() -> None:
    settled = frame([("binance", "BTC-USDT-PERP", 0.0001, 8.0, T), ("bybit", "BTC-USDT-PERP", 0.0002, 8.0, T)])
    predicted = pl.DataFrame(
        {
            "venue": ["binance", "bybit"],
            "symbol": ["BTC-USDT-PERP"] * 2,
            "rate": [0.00012, 0.0003],
            "interval_h": [8.0, 8.0],
            "funding_time": [T + 8 * H, T],  # bybit's estimate is for the settlement already printed
            "ts_event": [T + H, T - H],
            "source": ["binance ws", "bybit ws"],
        }
    )
    rows = funding.with_predicted(settled, predicted)
    assert rows["predicted_rate"].to_list() == [0.00012, None]
    assert rows["predicted_funding_time"].to_list() == [T + 8 * H, None]
    assert rows["predicted_observed_at"].to_list() == [T + H, None]
    assert rows["predicted_apr"].to_list() == pytest.approx([0.00012 * 1095, None])


def test_weights_currency_and_staleness() -> None:
    rates = funding.normalise(
        frame(
            [
                ("binance", "BTC-USDT-PERP", 0.0001, 8.0, T - 9 * H),  # 9 h <= 8 h + 2 h: still current
                ("bybit", "BTC-USDT-PERP", -0.0002, 8.0, T),
                ("hyperliquid", "BTC-USD-PERP", 0.0000375, 1.0, T),
                ("okx", "BTC-USDT-PERP", 0.0005, 8.0, T - 11 * H),  # missed a settlement: stale
                ("lighter", "BTC-USD-PERP", 0.00001, 1.0, T),  # no OI at all
            ]
        )
    )
    oi = open_interest(
        [
            ("binance", "BTC-USDT-PERP", 5e9, T - 2 * H),  # exactly 2 h: still counts
            ("bybit", "BTC-USDT-PERP", 3e9, T),
            ("hyperliquid", "BTC-USD-PERP", 2e9, T - 30 * 60_000),
            ("okx", "BTC-USDT-PERP", 9e9, T),
        ]
    )
    rows = funding.with_weights(rates, oi, T, 2 * H)
    flags = {row["venue"]: (row["current"], row["in_aggregate"], row["weight"]) for row in rows.iter_rows(named=True)}
    assert flags["binance"] == (True, True, pytest.approx(0.5))
    assert flags["bybit"] == (True, True, pytest.approx(0.3))
    assert flags["hyperliquid"] == (True, True, pytest.approx(0.2))
    assert flags["okx"] == (False, False, None)
    assert flags["lighter"] == (True, False, None)
    summary = funding.cross_venue(rows, T, 2 * H).row(0, named=True)
    # 0.0001 x 0.5 - 0.0002 x 0.3 + 0.0003 x 0.2 = 5e-5
    assert summary["oi_weighted_rate_8h"] == pytest.approx(5e-5)
    assert summary["oi_weighted_apr"] == pytest.approx(0.05475)
    # current rates once each: (0.0001 - 0.0002 + 0.0003 + 0.00008) / 4 = 0.00007
    assert summary["simple_mean_rate_8h"] == pytest.approx(0.00007)
    assert summary["venues_included"] == ["binance", "bybit", "hyperliquid"]
    assert summary["venues_excluded"] == ["lighter", "okx"]
    assert summary["weights_total_usd"] == 1e10
    assert (summary["base"], summary["as_of"], summary["oi_max_age_h"]) == ("BTC", T, 2.0)
    # one minute older and binance's OI no longer counts
    later = funding.cross_venue(funding.with_weights(rates, oi, T + 60_000, 2 * H), T + 60_000, 2 * H)
    assert later["venues_included"].to_list() == [["bybit", "hyperliquid"]]
    # (-0.0002 x 3e9 + 0.0003 x 2e9) / 5e9 = 0
    assert later["oi_weighted_rate_8h"].to_list() == pytest.approx([0.0])


def test_cross_venue_without_weights() -> None:
    rates = funding.normalise(frame([("okx", "ETH-USDT-PERP", 0.0001, 8.0, T)]))
    rows = funding.with_weights(rates, open_interest([]), T, 2 * H)
    summary = funding.cross_venue(rows, T, 2 * H).row(0, named=True)
    assert summary["oi_weighted_rate_8h"] is None
    assert summary["oi_weighted_apr"] is None
    assert summary["simple_mean_rate_8h"] == pytest.approx(0.0001)
    assert summary["venues_included"] == []
    assert summary["weights_total_usd"] == 0.0
