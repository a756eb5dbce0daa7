"""Funding regimes, z-scores, flips and regime events (perpscope.analytics.regimes), numbers worked by hand."""

from __future__ import annotations

import polars as pl
import pytest

from perpscope.analytics import funding, regimes
from perpscope.times import MS_PER_HOUR

H = MS_PER_HOUR
T = 1_759_996_800_000  # 2025-10-09 08:00 UTC


def settled(rows: list[tuple[str, float, float, int]], symbol: str = "BTC-USDT-PERP") -> pl.DataFrame:
    """(venue, rate, interval_h, funding_time) settled prints, normalised."""
    frame = pl.DataFrame(rows, schema=["venue", "rate", "interval_h", "funding_time"], orient="row")
    return funding.normalise(frame.with_columns(symbol=pl.lit(symbol), ts_event=pl.col("funding_time")))


def test_regimes_on_the_8h_equivalent_of_mixed_intervals() -> None:
    rows = settled(
        [
            ("binance", -0.00001, 8.0, T),  # -0.001% per 8 h: negative
            ("binance", 0.0, 8.0, T + 8 * H),  # exactly zero: neutral
            ("binance", 0.0001, 8.0, T + 16 * H),  # the baseline: neutral
            ("hyperliquid", 0.0000624, 1.0, T),  # x 8 = 0.0004992: still neutral (< 0.0005)
            ("hyperliquid", 0.0000625, 1.0, T + H),  # x 8 = 0.0005: elevated
            ("hyperliquid", 0.0000875, 1.0, T + 2 * H),  # x 8 = 0.0007: overheated
            ("bybit", 0.00035, 4.0, T),  # x 2 = 0.0007: overheated
        ]
    )
    judged = rows.with_columns(regime=regimes.regime_expr()).sort("venue", "funding_time")
    assert judged["regime"].to_list() == [
        "negative",
        "neutral",
        "neutral",
        "overheated",
        "neutral",
        "elevated",
        "overheated",
    ]
    custom = regimes.RegimeThresholds(negative_below=-0.00005, elevated_from=0.0002, overheated_from=0.0004)
    assert rows.with_columns(regime=regimes.regime_expr(custom)).sort("venue", "funding_time")["regime"].to_list() == [
        "neutral",  # -0.00001 is above the custom negative bound
        "neutral",
        "neutral",
        "overheated",
        "overheated",
        "overheated",
        "overheated",
    ]


def test_zscore_against_the_trailing_window_excluding_the_print() -> None:
    rates = [0.0001, 0.0002, 0.0003, 0.0004, 0.0010]
    rows = settled([("binance", rate, 8.0, T + index * 8 * H) for index, rate in enumerate(rates)])
    window = regimes.ZScoreWindow(window_ms=10 * 24 * H, min_prints=4)
    judged = regimes.with_regimes(rows, zscore=window)
    # the last print against the four before it: mean 0.00025, sample std sqrt(((1.5²+0.5²)x2)/3) x 1e-4
    mean, std = 0.00025, (((1.5e-4) ** 2 + (0.5e-4) ** 2) * 2 / 3) ** 0.5
    assert judged["zscore"].to_list()[:4] == [None, None, None, None]  # fewer than 4 earlier prints
    assert judged["zscore"][4] == pytest.approx((0.0010 - mean) / std)  # = 5.8095
    assert judged["zscore"][4] == pytest.approx(5.809475, rel=1e-5)
    assert judged["trailing_mean_8h"][4] == pytest.approx(mean)
    # a window that holds no variation gives no z-score (Binance's long runs of exactly 0.01%)
    flat = regimes.with_regimes(settled([("binance", 0.0001, 8.0, T + i * 8 * H) for i in range(12)]), zscore=window)
    assert flat["zscore"].null_count() == 12


def test_zscore_window_is_time_not_rows() -> None:
    # five 1 h prints, then one 3 days later: its 2-day window holds nothing
    times = [T + i * H for i in range(5)] + [T + 76 * H]
    rows = settled([("hyperliquid", 0.00001 * (i + 1), 1.0, t) for i, t in enumerate(times)], "BTC-USD-PERP")
    judged = regimes.with_regimes(rows, zscore=regimes.ZScoreWindow(window_ms=48 * H, min_prints=2))
    assert judged["zscore"][5] is None
    assert judged["zscore"][2] is not None


def test_venue_flips_with_first_time_since() -> None:
    rows = settled(
        [
            ("okx", -0.0001, 8.0, T),  # negative once, long ago
            ("okx", 0.0001, 8.0, T + 8 * H),  # flip to positive (first positive in data: since = None)
            ("okx", 0.0, 8.0, T + 16 * H),  # zero: neither flips nor breaks the run
            ("okx", 0.0002, 8.0, T + 24 * H),
            ("okx", -0.00005, 8.0, T + 32 * H),  # flip to negative: first since T
            ("binance", 0.0001, 8.0, T),
        ]
    )
    flips = regimes.venue_flips(rows)
    assert flips.select("venue", "funding_time", "to_sign", "first_since").rows() == [
        ("okx", T + 8 * H, "positive", None),
        ("okx", T + 32 * H, "negative", T),
    ]
    second = flips.row(1, named=True)
    assert second["previous_rate_8h"] == pytest.approx(0.0002)
    assert second["previous_time"] == T + 24 * H
    # OKX fixes its rate one interval early (METHOD.md §1): known 8 h before it settles
    assert second["known_at"] == T + 24 * H


def test_cross_venue_flip_all_negative_for_the_first_time_since() -> None:
    rows = settled(
        [
            # all three negative at T, then positive, then all negative again at T + 24 h
            ("binance", -0.0001, 8.0, T),
            ("bybit", -0.0001, 8.0, T),
            ("okx", -0.0001, 8.0, T + 8 * H),  # known at T (fixed one interval early)
            ("binance", 0.0001, 8.0, T + 8 * H),
            ("bybit", 0.0001, 8.0, T + 8 * H),
            ("okx", 0.0001, 8.0, T + 16 * H),
            ("binance", 0.0001, 8.0, T + 16 * H),
            ("bybit", -0.0001, 8.0, T + 16 * H),
            ("okx", -0.0002, 8.0, T + 32 * H),  # known at T + 24 h
            ("binance", -0.0001, 8.0, T + 24 * H),
            ("bybit", -0.0002, 8.0, T + 24 * H),
        ]
    )
    flips = regimes.cross_venue_flips(rows, ["Binance", "OKX", "Bybit"])
    assert flips.rows() == [
        (T, "negative", ["binance", "bybit", "okx"], None),
        (T + 8 * H, "positive", ["binance", "bybit", "okx"], None),
        (T + 24 * H, "negative", ["binance", "bybit", "okx"], T),
    ]


def test_cross_venue_needs_every_venue_current() -> None:
    # bybit's last print is 12 h old at T + 12 h: older than 8 h + 2 h, so not current; no "all negative"
    rows = settled(
        [("binance", -0.0001, 8.0, T), ("bybit", -0.0001, 8.0, T - 4 * H), ("binance", -0.0001, 8.0, T + 8 * H)]
    )
    states = regimes.venue_states(rows)
    assert states.select("time", "negative").rows() == [(T - 4 * H, 1), (T, 2), (T + 8 * H, 1)]
    assert regimes.cross_venue_flips(rows, ["binance", "bybit"]).rows() == [(T, "negative", ["binance", "bybit"], None)]


def test_entering_and_leaving_overheated() -> None:
    rows = settled([("binance", rate, 8.0, T + i * 8 * H) for i, rate in enumerate([0.0001, 0.0008, 0.0009, 0.0003])])
    events = regimes.regime_changes(regimes.with_regimes(rows))
    assert events.select("funding_time", "event", "previous_regime", "regime").rows() == [
        (T + 8 * H, "enter", "neutral", "overheated"),
        (T + 24 * H, "leave", "overheated", "neutral"),
    ]
