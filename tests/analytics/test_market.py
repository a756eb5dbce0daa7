"""The market grid (perpscope.analytics.market) and OI against price (perpscope.analytics.open_interest), by hand."""

from __future__ import annotations

import polars as pl
import pytest

from perpscope.analytics import funding, market
from perpscope.analytics import open_interest as oi_math
from perpscope.times import MS_PER_HOUR

H = MS_PER_HOUR
T = 1_760_054_400_000  # 2025-10-10 00:00 UTC


def candles(rows: list[tuple[str, int, float, float, float, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["venue", "ts_event", "open", "high", "low", "close"], orient="row")


def times(count: int, start: int = T + H) -> pl.DataFrame:
    return pl.DataFrame({"time": [start + i * H for i in range(count)]})


def settled(rows: list[tuple[str, float, float, int]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=["venue", "rate", "interval_h", "funding_time"], orient="row")
    return funding.normalise(frame.with_columns(symbol=pl.lit("BTC-USDT-PERP")))


def oi_rows(rows: list[tuple[str, int, float]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=["venue", "ts_event", "oi_usd"], orient="row")
    return frame.with_columns(symbol=pl.lit("BTC-USDT-PERP"))


def test_price_bars_take_the_median_over_venues() -> None:
    bars = market.price_bars(
        candles(
            [
                ("binance", T, 100.0, 110.0, 90.0, 105.0),
                ("bybit", T, 101.0, 111.0, 91.0, 106.0),
                ("kraken", T, 99.0, 200.0, 10.0, 104.0),  # a bad wick does not move the median
            ]
        )
    )
    assert bars.row(0, named=True) == {
        "open_time": T,
        "time": T + H,
        "open": 100.0,
        "high": 111.0,
        "low": 90.0,
        "close": 105.0,
        "price_venues": 3,
    }


def test_funding_on_grid_simple_and_oi_weighted_from_current_prints() -> None:
    prints = settled(
        [
            ("binance", 0.0001, 8.0, T),  # 0.0001 per 8 h
            ("hyperliquid", 0.00005, 1.0, T + H),  # x 8 = 0.0004 per 8 h
            ("okx", -0.0002, 8.0, T + 8 * H),  # OKX: known at T (one interval early)
        ]
    )
    oi = pl.DataFrame(
        {"time": [T + H] * 3, "venue": ["binance", "hyperliquid", "okx"], "symbol": ["BTC-USDT-PERP"] * 3}
    ).with_columns(oi_usd=pl.Series([3e9, 1e9, None]))
    grid = market.funding_on_grid(times(1), prints, oi).row(0, named=True)
    # simple: (0.0001 + 0.0004 - 0.0002) / 3 = 0.0001
    assert grid["funding_simple_8h"] == pytest.approx(0.0001)
    # weighted over the venues with OI: (3e9 x 0.0001 + 1e9 x 0.0004) / 4e9 = 0.000175
    assert grid["funding_weighted_8h"] == pytest.approx(0.000175)
    assert grid["funding_venues"] == ["binance", "hyperliquid", "okx"]
    assert (grid["venues_negative"], grid["venues_positive"]) == (1, 2)
    assert grid["funding_min_8h"] == pytest.approx(-0.0002)


def test_a_stale_print_leaves_the_grid() -> None:
    # hyperliquid's 1 h print at T is older than 1 h + 2 h at T + 4 h
    prints = settled([("binance", 0.0001, 8.0, T), ("hyperliquid", 0.00005, 1.0, T)])
    grid = market.funding_on_grid(pl.DataFrame({"time": [T + 3 * H, T + 4 * H]}), prints).sort("time")
    assert grid["funding_venues"].to_list() == [["binance", "hyperliquid"], ["binance"]]
    assert grid["funding_weighted_8h"].to_list() == [None, None]  # no OI given


def test_oi_change_counts_only_venues_known_at_both_ends() -> None:
    history = oi_rows(
        [
            ("hyperliquid", T, 4.8e9),
            ("hyperliquid", T + H, 4.0e9),
            ("hyperliquid", T + 2 * H, 2.2e9),
            ("lighter", T + 2 * H, 0.4e9),  # starts reporting: not growth
        ]
    )
    per_venue = market.oi_on_grid(pl.DataFrame({"time": [T, T + H, T + 2 * H]}), history)
    change = market.oi_change(per_venue, 2 * H).sort("time").row(-1, named=True)
    assert change["oi_usd"] == pytest.approx(2.6e9)
    assert change["oi_venues"] == 2
    assert change["oi_change_usd"] == pytest.approx(-2.6e9)  # 2.2e9 - 4.8e9, hyperliquid only
    assert change["oi_change_fraction"] == pytest.approx(-2.6 / 4.8)


def test_oi_older_than_two_hours_is_not_used() -> None:
    per_venue = market.oi_on_grid(pl.DataFrame({"time": [T + 2 * H, T + 3 * H]}), oi_rows([("hyperliquid", T, 1e9)]))
    assert per_venue.sort("time")["oi_usd"].to_list() == [1e9, None]


def test_market_grid_price_change_over_the_window() -> None:
    bars = market.price_bars(candles([("binance", T + i * H, 100.0, 101.0, 99.0, 100.0 + i) for i in range(4)]))
    grid = market.market_grid(bars, settled([]), oi_rows([]), 2 * H).sort("time")
    # close at T+4h is 103 against 101 two hours earlier
    assert grid["price_change_fraction"].to_list()[:2] == [None, None]
    assert grid["price_change_fraction"][3] == pytest.approx(103 / 101 - 1)


def test_quadrants() -> None:
    frame = pl.DataFrame(
        {
            "price_change_fraction": [0.02, -0.02, 0.02, -0.02, 0.004, None],
            "oi_change_fraction": [0.05, 0.05, -0.05, -0.05, 0.05, 0.05],
        }
    )
    assert oi_math.with_quadrant(frame)["quadrant"].to_list() == [
        "new longs building",
        "new shorts building",
        "short covering",
        "long unwinding",
        None,  # price flat (|0.4%| < 0.5%)
        None,
    ]


def test_change_from_extremes() -> None:
    series = pl.DataFrame({"time": [1, 2, 3, 4, 5], "oi_usd": [4.8e9, 2.2e9, None, 2.0e9, 2.62e9]})
    result = oi_math.change_from_extremes(series)
    assert (result["low"], result["low_time"], result["high"], result["high_time"]) == (2.0e9, 4, 4.8e9, 1)
    assert result["from_low_fraction"] == pytest.approx(0.31)  # "+31% from the low"
    assert result["from_high_fraction"] == pytest.approx(2.62 / 4.8 - 1)
    assert oi_math.change_from_extremes(series.clear())["latest"] is None


def test_base_units_from_the_latest_close() -> None:
    history = pl.DataFrame({"ts_event": [T + H, T + 2 * H], "oi_usd": [2.2e9, None], "oi_base": [None, 5.0]})
    bars = pl.DataFrame({"time": [T + H], "close": [110_000.0]})
    filled = oi_math.with_base_units(history, bars)
    assert filled["oi_base"].to_list() == pytest.approx([20_000.0, 5.0])
    assert filled["oi_base_basis"].to_list() == ["oi_usd ÷ close", "stored"]
