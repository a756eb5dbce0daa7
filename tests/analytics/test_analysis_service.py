"""The analysis service (perpscope.service.analysis) through real stores (DuckDB and PostgreSQL), on records
built by hand."""

from __future__ import annotations

import polars as pl
import pytest

from perpscope.models import (
    Candle,
    FundingRate,
    Liquidation,
    LongShortRatio,
    OIUnit,
    OpenInterest,
    RatioKind,
    Record,
    Side,
    TakerVolume,
)
from perpscope.service import analysis
from perpscope.store import Store
from perpscope.times import MS_PER_HOUR

H = MS_PER_HOUR
T = 1_760_054_400_000  # 2025-10-10 00:00 UTC
SYMBOLS = {"binance": "BTC-USDT-PERP", "bybit": "BTC-USDT-PERP", "hyperliquid": "BTC-USD-PERP"}


def funding(venue: str, at: int, rate: float, interval_h: float = 8.0) -> FundingRate:
    symbol = SYMBOLS.get(venue, "BTC-USDT-PERP")
    return FundingRate(
        venue=venue, symbol=symbol, native_symbol="BTC", ts_event=at, ts_recv=at, rate=rate, interval_h=interval_h,
        funding_time=at, source="test",
    )  # fmt: skip


def candle(venue: str, at: int, close: float, high: float | None = None, low: float | None = None) -> Candle:
    return Candle(
        venue=venue, symbol=SYMBOLS[venue], native_symbol="BTC", ts_event=at, ts_recv=at, interval="1h",
        open=close, high=high or close, low=low or close, close=close, source="test",
    )  # fmt: skip


def oi(venue: str, at: int, usd: float) -> OpenInterest:
    return OpenInterest(
        venue=venue, symbol=SYMBOLS[venue], native_symbol="BTC", ts_event=at, ts_recv=at, oi_usd=usd,
        reported=OIUnit.USD, source="test",
    )  # fmt: skip


def liquidation(at: int, side: Side, price: float, usd: float, venue: str = "bybit") -> Liquidation:
    return Liquidation(
        venue=venue, symbol=SYMBOLS[venue], native_symbol="BTCUSDT", ts_event=at, ts_recv=at, side=side,
        price=price, quantity=usd / price, notional_usd=usd, complete=venue != "binance", source="test",
    )  # fmt: skip


@pytest.fixture
def store(any_store: Store) -> Store:
    """Two days: funding negative everywhere from T + 24 h while OI climbs 10% and price holds at 100,000."""
    records: list[Record] = []
    for hour in range(-24, 48):
        at = T + hour * H
        negative = hour >= 24
        records.append(funding("hyperliquid", at, -0.00002 if negative else 0.0000125, 1.0))
        if hour % 8 == 0:
            records += [funding("binance", at, -0.0001 if negative else 0.0001)]
            records += [funding("bybit", at, -0.00005 if negative else 0.0001)]
        for venue in ("binance", "bybit", "hyperliquid"):
            records.append(candle(venue, at, 100_000.0))
        growth = 1.0 + 0.1 * max(0, hour - 24) / 23  # +10% from T + 24 h to T + 47 h
        records += [oi("hyperliquid", at, 4e9 * growth), oi("binance", at, 6e9 * growth)]
    any_store.write_records(records)
    return any_store


def test_regimes_and_flips_through_the_store(store: Store) -> None:
    rows = analysis.funding_regimes(store, "BTC", T + 23 * H, T + 25 * H)
    assert rows.filter(pl.col("venue") == "hyperliquid").select("funding_time", "rate_8h", "regime").rows() == [
        (T + 23 * H, pytest.approx(0.0001), "neutral"),
        (T + 24 * H, pytest.approx(-0.00016), "negative"),
    ]
    flips = analysis.funding_flips(store, "BTC", T, T + 48 * H)
    assert flips["venue"].select("venue", "funding_time", "to_sign").rows() == [
        ("binance", T + 24 * H, "negative"),
        ("bybit", T + 24 * H, "negative"),
        ("hyperliquid", T + 24 * H, "negative"),
    ]
    assert flips["cross_venue"].select("time", "to_sign", "first_since").rows() == [(T + 24 * H, "negative", None)]


def test_market_grid_through_the_store(store: Store) -> None:
    grid = analysis.market_grid(store, "BTC", T + 40 * H, T + 47 * H, 24 * H)
    assert grid["time"].to_list() == [T + h * H for h in range(41, 48)]
    last = grid.row(-1, named=True)
    assert last["close"] == 100_000.0
    assert last["funding_venues"] == ["binance", "bybit", "hyperliquid"]
    # OI at T + 47 h (the bar to T + 47 h closes then) against T + 23 h: +10% on both venues
    assert last["oi_change_fraction"] == pytest.approx(0.1)
    assert last["oi_usd"] == pytest.approx(11e9)
    # weights 6e9 x 1.1 (binance, -0.0001) and 4e9 x 1.1 (hyperliquid, -0.00016); bybit has no OI
    assert last["funding_weighted_8h"] == pytest.approx((6 * -0.0001 + 4 * -0.00016) / 10)
    assert last["price_change_fraction"] == 0.0


def test_signals_through_the_store(store: Store) -> None:
    found = analysis.signals(store, "BTC", T, T + 48 * H)
    assert [(signal.kind.value, signal.time) for signal in found] == [
        # +3% over 24 h needs (0.03 x 23 / 0.1) = 6.9 hours of growth: at T + 31 h
        ("short_squeeze_setup", T + 31 * H),
    ]


def test_liquidation_views_through_the_store(any_store: Store) -> None:
    records: list[Record] = [liquidation(T + i * 60_000, Side.SHORT, 97_000.0 + 10 * i, 0.5e6) for i in range(6)]
    records += [liquidation(T + 3 * H, Side.LONG, 90_000.0, 2e6, venue="binance")]
    any_store.write_records(records)
    clusters = analysis.liquidation_clusters(any_store, "BTC", T, T + 4 * H)
    # median price 97,030: 0.5% = 485, rounded down to 200; shorts at 97,000-97,050 fall in 97,000-97,200
    assert clusters.select("side", "price_low", "notional_usd", "lower_bound").rows() == [
        ("short", 97_000.0, 3e6, False),
        ("long", 90_000.0, 2e6, True),
    ]
    found = analysis.liquidation_waves(any_store, "BTC", T, T + 4 * H)
    assert found.select("side", "start", "end", "notional_usd", "events").rows() == [
        ("short", T, T + 5 * 60_000, 3e6, 6)
    ]


def test_nice_bucket() -> None:
    assert analysis.nice_bucket(100_000.0) == 500.0
    assert analysis.nice_bucket(97_000.0) == 200.0
    assert analysis.nice_bucket(3_500.0) == 10.0  # 17.5 -> 10
    assert analysis.nice_bucket(0.0) == 1.0


def test_positioning_index_with_every_component(store: Store) -> None:
    at = T + 47 * H
    ratio = LongShortRatio(
        venue="binance", symbol="BTC-USDT-PERP", native_symbol="BTCUSDT", ts_event=at - H, ts_recv=at,
        kind=RatioKind.ACCOUNTS, period="1h", long_share=0.6, short_share=0.4, source="test",
    )  # fmt: skip
    taker = TakerVolume(
        venue="binance", symbol="BTC-USDT-PERP", native_symbol="BTCUSDT", ts_event=at - H, ts_recv=at,
        period="1h", buy_volume=30.0, sell_volume=10.0, source="test",
    )  # fmt: skip
    store.write_records([ratio, taker, liquidation(at - 2 * H, Side.SHORT, 100_000.0, 3e6)])
    store.write_records([liquidation(at - 2 * H, Side.LONG, 100_000.0, 1e6)])
    index = analysis.positioning(store, "BTC", at)
    values = {part.name: part.value for part in index.components}
    assert values["funding"] == pytest.approx(-0.000124)
    assert values["oi_change"] == pytest.approx(0.1)
    assert values["long_short"] == pytest.approx(0.6)
    assert values["liquidations"] == pytest.approx(0.5)  # (3 - 1) / 4
    # funding 50 + 50 x (-0.000224 / 0.0004) = 22; OI 100; long/short 70; liquidations 75
    expected = 0.35 * 22.0 + 0.25 * 100.0 + 0.20 * 70.0 + 0.20 * 75.0
    assert index.value == pytest.approx(expected)
    assert index.complete is True
    views = analysis.ratios(store, "BTC", T, at + 1)
    assert views["long_short"]["ratio"].to_list() == [pytest.approx(1.5)]
    assert views["taker"]["ratio"].to_list() == [3.0]
