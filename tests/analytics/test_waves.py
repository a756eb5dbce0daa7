"""Liquidation clusters, waves, buckets and ratio views (perpscope.analytics.waves), on constructed events."""

from __future__ import annotations

import polars as pl
import pytest

from perpscope.analytics import waves
from perpscope.times import MS_PER_MINUTE

M = MS_PER_MINUTE
T = 1_760_129_400_000  # 2025-10-10 20:50 UTC


def events(rows: list[tuple[str, str, int, float, float]], complete: bool = True) -> pl.DataFrame:
    """(venue, side, ts_event, price, notional_usd) liquidations."""
    frame = pl.DataFrame(rows, schema=["venue", "side", "ts_event", "price", "notional_usd"], orient="row")
    return frame.with_columns(symbol=pl.lit("BTC-USDT-PERP"), complete=pl.lit(complete))


def test_clusters_by_price_bucket() -> None:
    rows = events(
        [
            ("bybit", "short", T, 96_900.0, 100e6),  # bucket 96,500-97,000
            ("bybit", "short", T + M, 97_100.0, 200e6),  # bucket 97,000-97,500
            ("bybit", "short", T + 2 * M, 97_400.0, 160e6),  # bucket 97,000-97,500
            ("bybit", "long", T + 3 * M, 97_200.0, 50e6),  # same bucket, other side: its own cluster
        ]
    )
    found = waves.clusters(rows, 500.0)
    assert found.select("side", "price_low", "price_high", "notional_usd", "events").rows() == [
        ("short", 97_000.0, 97_500.0, 360e6, 2),  # "$360M of shorts liquidated around $97,000"
        ("short", 96_500.0, 97_000.0, 100e6, 1),
        ("long", 97_000.0, 97_500.0, 50e6, 1),
    ]
    top = found.row(0, named=True)
    assert top["vwap"] == pytest.approx((97_100 * 200 + 97_400 * 160) / 360)  # 97,233.33
    assert (top["first_time"], top["last_time"], top["lower_bound"]) == (T + M, T + 2 * M, False)


def test_a_throttled_feed_makes_its_clusters_lower_bounds() -> None:
    found = waves.clusters(events([("binance", "long", T, 100.0, 1.0)], complete=False), 10.0)
    assert found["lower_bound"].to_list() == [True]


def test_two_waves_found_in_time_and_price() -> None:
    first = [("bybit", "short", T + i * M, 97_000.0 + 50 * i, 1e6) for i in range(5)]  # 5 min, $5M
    # a second burst 30 min later at $101,000, on two venues
    second = [("okx" if i % 2 else "bybit", "short", T + 35 * M + i * M, 101_000.0 + 20 * i, 2e6) for i in range(6)]
    noise = [("bybit", "short", T + 20 * M, 99_000.0, 0.1e6)]  # alone: not a wave
    longs = [("bybit", "long", T + i * M, 96_000.0, 0.5e6) for i in range(3)]  # too small: $1.5M, 3 events
    found = waves.waves(events(first + second + noise + longs), waves.WaveOptions(min_notional_usd=2e6, min_events=4))
    assert found.select("wave", "side", "start", "end", "price_low", "price_high", "notional_usd", "events").rows() == [
        (1, "short", T, T + 4 * M, 97_000.0, 97_200.0, 5e6, 5),
        (2, "short", T + 35 * M, T + 40 * M, 101_000.0, 101_100.0, 12e6, 6),
    ]
    assert found["venues"].to_list() == [["bybit"], ["bybit", "okx"]]
    assert found["price_first"].to_list() == [97_000.0, 101_000.0]


def test_a_price_jump_splits_a_burst() -> None:
    # continuous in time, but the price jumps 2% between the third and the fourth event
    rows = [("bybit", "long", T + i * M, 100_000.0 if i < 3 else 98_000.0, 1e6) for i in range(6)]
    found = waves.waves(events(rows), waves.WaveOptions(min_notional_usd=1e6, min_events=3))
    assert found.select("start", "end", "price_low").rows() == [
        (T, T + 2 * M, 100_000.0),
        (T + 3 * M, T + 5 * M, 98_000.0),
    ]


def test_a_gap_longer_than_allowed_splits_a_burst() -> None:
    rows = [("bybit", "long", t, 100_000.0, 1e6) for t in (T, T + M, T + 2 * M, T + 8 * M, T + 9 * M, T + 10 * M)]
    found = waves.waves(events(rows), waves.WaveOptions(min_notional_usd=3e6, min_events=3))
    assert found["start"].to_list() == [T, T + 8 * M]
    assert waves.waves(events(rows).clear()).is_empty()


def test_largest_and_bucket_totals() -> None:
    rows = events(
        [
            ("bybit", "long", T, 100.0, 5.0),
            ("okx", "long", T + M, 100.0, 7.0),
            ("bybit", "short", T + 61 * M, 100.0, 3.0),
            ("bybit", "long", T + 62 * M, 100.0, 1.0),
        ]
    )
    assert waves.largest(rows, 2)["notional_usd"].to_list() == [7.0, 5.0]
    hour = 60 * M
    buckets = waves.totals_by_bucket(rows, hour)
    start = T // hour * hour
    assert buckets.select("bucket_start", "venue", "side", "notional_usd", "events").rows() == [
        (start, "bybit", "long", 5.0, 1),
        (start, "okx", "long", 7.0, 1),
        (start + hour, "bybit", "long", 1.0, 1),
        (start + hour, "bybit", "short", 3.0, 1),
    ]


def test_ratio_views() -> None:
    ratios = waves.ratio_view(pl.DataFrame({"long_share": [0.6, 1.0], "short_share": [0.4, 0.0]}))
    assert ratios["ratio"].to_list() == [pytest.approx(1.5), None]
    taker = waves.taker_view(pl.DataFrame({"buy_volume": [30.0, 0.0], "sell_volume": [10.0, 0.0]}))
    assert taker["ratio"].to_list() == [3.0, None]
    assert taker["buy_share"].to_list() == [0.75, None]
