"""The simulated market served through the fake venues and collected by the real collector: what the simulator
published is what the store holds, exactly once, value for value."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from perpscope.collect import registry
from perpscope.collect.collector import Collector, CollectorSettings
from perpscope.collect.connector import ConnectorSettings, VenueUrls
from perpscope.collect.profiles import SIM_INTERVALS
from perpscope.collect.writer import WriterSettings
from perpscope.fakevenue.market import (
    CandleEvent,
    FundingSettlement,
    LiquidationEvent,
    MarkEvent,
    OpenInterestEvent,
    RatioEvent,
)
from perpscope.models import (
    Candle,
    FundingKind,
    FundingRate,
    Liquidation,
    LongShortRatio,
    OIUnit,
    OpenInterest,
    Price,
    PriceKind,
    RatioKind,
    Record,
    Side,
    TakerVolume,
)
from perpscope.sim import RunConfig, scenario
from perpscope.sim.serve import SimServer, events_of, start_for, venue_ports
from perpscope.store import DuckDBStore

HOURS = 3.0
SPEED = 3_600.0  # 3 simulated hours in 3 wall seconds
WARM_UP_S = 300.0
DAY_MS = 86_400_000
VENUES = ("binance", "bybit", "okx")


# -- the pieces, by hand ---------------------------------------------------------------------------------------


def test_start_for_ends_the_fast_forward_at_the_present() -> None:
    # 2 days at 2880x: 172,500 s after the warm-up take 59.896 s; the end is then now + 59,896 ms.
    now = 1_763_700_000_000  # on a minute
    start = start_for(now, 2.0, 2_880.0, 300.0)
    end = now + (2 * 86_400 - 300) / 2_880 * 1000
    assert start == ((end - 2 * DAY_MS) // 60_000) * 60_000
    assert start % 60_000 == 0
    assert 0 <= now + 59_896 - (start + 2 * DAY_MS) < 60_000


def test_venue_ports_are_consecutive_or_free() -> None:
    assert venue_ports(17_801, VENUES) == {"binance": 17_801, "bybit": 17_802, "okx": 17_803}
    assert venue_ports(0, VENUES) == {"binance": 0, "bybit": 0, "okx": 0}


def test_a_minute_of_records_becomes_one_mark_event() -> None:
    common: dict[str, Any] = {
        "venue": "okx",
        "symbol": "BTC-USDT-PERP",
        "native_symbol": "BTC-USDT-SWAP",
        "ts_event": 60_000,
        "ts_recv": 60_000,
        "source": "sim",
    }
    records: list[Record] = [
        Price(**common, kind=PriceKind.MARK, price=100_010.5),
        Price(**common, kind=PriceKind.INDEX, price=100_000.0),
        FundingRate(**common, rate=0.0002, interval_h=8.0, kind=FundingKind.PREDICTED, funding_time=28_800_000),
        FundingRate(
            **{**common, "ts_event": 28_800_000},
            rate=0.0003,
            interval_h=8.0,
            kind=FundingKind.SETTLED,
            funding_time=28_800_000,
        ),
        OpenInterest(**common, oi_base=1_234.5, reported=OIUnit.BASE, conversion_price=100_010.5),
        Candle(**common, interval="1m", open=1.0, high=3.0, low=0.5, close=2.0, volume=7.0, quote_volume=14.0),
        LongShortRatio(**common, kind=RatioKind.ACCOUNTS, period="5m", long_share=0.6, short_share=0.4),
        Liquidation(**common, side=Side.LONG, price=99_000.0, quantity=0.25, notional_usd=24_750.0, complete=True),
    ]
    assert events_of(records) == [
        ("okx", MarkEvent("BTC", 60_000, 100_010.5, 100_000.0, 0.0002, 28_800_000)),
        ("okx", FundingSettlement("BTC", 28_800_000, 0.0003)),
        ("okx", OpenInterestEvent("BTC", 60_000, 1_234.5, 100_010.5)),
        ("okx", CandleEvent("BTC", 60_000, 1.0, 3.0, 0.5, 2.0, 7.0, 14.0)),
        ("okx", RatioEvent("BTC", 60_000, "5m", 0.6, 0.4)),
        ("okx", LiquidationEvent("BTC", 60_000, Side.LONG, 99_000.0, 0.25)),
    ]


def test_each_venue_serves_the_margin_table_the_simulator_liquidates_with() -> None:
    config = RunConfig(scenario("quiet", positions=50), seed=1)
    with SimServer(config) as server:
        for spec in config.venues:
            assert server.venues[spec.name].venue.state.tiers == {"BTC": spec.table.brackets}
        assert server.venues["binance"].venue.state.tiers["BTC"][0].mmr == 0.004  # METHOD.md's BTCUSDT tier 1


# -- served and collected --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Record], int, DuckDBStore]:
    """Serve 3 simulated hours of long-cascade (5,000 positions) and collect all three venues into a store.
    Returns the simulator's records, how many of them were made before the collector was connected (the
    warm-up: streamed channels of those are not expected), and the store."""
    now = time.time_ns() // 1_000_000
    config = RunConfig(
        scenario("long-cascade", positions=5_000), seed=3, start_ms=start_for(now, HOURS / 24, SPEED, WARM_UP_S)
    )
    store = DuckDBStore(Path(tmp_path_factory.mktemp("serve")) / "served.duckdb")
    with SimServer(config, keep_records=True) as server:
        server.warm_up(WARM_UP_S)
        warm = len(server.served.records)
        urls = server.urls()
        connectors = [
            registry.make(venue, ConnectorSettings(("BTC",), SIM_INTERVALS, VenueUrls(*urls[venue])))
            for venue in VENUES
        ]
        collector = Collector(connectors, store, CollectorSettings(writer=WriterSettings(flush_interval_s=0.5)))
        asyncio.run(_collect(collector, server, steps=round(HOURS * 3600 - WARM_UP_S)))
        assert collector.errors == {}
        assert collector.status.malformed == 0 and collector.status.reconnects == 0
        return server.served.records, warm, store


async def _collect(collector: Collector, server: SimServer, steps: int) -> None:
    running = asyncio.create_task(collector.run())
    for _ in range(100):  # every venue connected and subscribed
        await asyncio.sleep(0.1)
        if all(venue.venue.connections for venue in server.venues.values()):
            break
    await asyncio.sleep(0.5)
    thread = threading.Thread(target=server.serve, args=(SPEED, steps))
    thread.start()
    while thread.is_alive():
        await asyncio.sleep(0.1)
    await asyncio.sleep(3.0)  # a few rounds of the one-second polls after the last step
    collector.stop()
    await running
    thread.join()


def _expected(records: list[Record], warm: int, venue: str, kind: type[Record], *, streamed: bool) -> list[Record]:
    chosen = records[warm:] if streamed else records
    return [record for record in chosen if isinstance(record, kind) and record.venue == venue]


def _rows(store: DuckDBStore, sql: str, venue: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in store.query(sql, [venue]).iter_rows()]


@pytest.mark.parametrize("venue", VENUES)
def test_every_liquidation_is_stored_once_with_its_values(
    collected: tuple[list[Record], int, DuckDBStore], venue: str
) -> None:
    records, warm, store = collected
    expected = _expected(records, warm, venue, Liquidation, streamed=True)
    assert len(expected) > 20  # the crowd of leveraged longs gets liquidated within 3 hours
    stored = _rows(store, "SELECT ts_event, side, price, quantity FROM liquidations WHERE venue = ?", venue)
    want = [(r.ts_event, r.side.value, r.price, r.quantity) for r in expected if isinstance(r, Liquidation)]
    assert len(set(stored)) == len(stored)
    if venue == "okx":  # OKX sizes are contracts of 0.01 BTC: quantity / 0.01 * 0.01 may differ in the last bit
        assert [row[:3] for row in sorted(stored)] == [row[:3] for row in sorted(want)]
        assert [row[3] for row in sorted(stored)] == pytest.approx([row[3] for row in sorted(want)], rel=1e-12)
    else:
        assert Counter(stored) == Counter(want)


@pytest.mark.parametrize("venue", VENUES)
def test_settled_funding_arrives_through_rest(collected: tuple[list[Record], int, DuckDBStore], venue: str) -> None:
    records, _, store = collected
    funding = [r for r in _expected(records, 0, venue, FundingRate, streamed=False) if isinstance(r, FundingRate)]
    stored = _rows(store, "SELECT ts_event, rate FROM funding WHERE venue = ? AND kind = 'settled' ORDER BY 1", venue)
    assert stored == [(r.ts_event, r.rate) for r in funding if r.kind is FundingKind.SETTLED]


def test_binance_marks_indexes_and_predicted_funding(collected: tuple[list[Record], int, DuckDBStore]) -> None:
    records, warm, store = collected
    prices = [r for r in _expected(records, warm, "binance", Price, streamed=True) if isinstance(r, Price)]
    stored = _rows(store, "SELECT kind, ts_event, price FROM prices WHERE venue = ? ORDER BY 2, 1", "binance")
    assert stored == sorted(((r.kind.value, r.ts_event, r.price) for r in prices), key=lambda row: (row[1], row[0]))
    predicted = [
        r
        for r in _expected(records, warm, "binance", FundingRate, streamed=True)
        if isinstance(r, FundingRate) and r.kind is FundingKind.PREDICTED
    ]
    sql = "SELECT ts_event, rate, funding_time FROM funding WHERE venue = ? AND kind = 'predicted' ORDER BY 1"
    assert _rows(store, sql, "binance") == [(r.ts_event, r.rate, r.funding_time) for r in predicted]
    assert len(predicted) >= 170  # a minute apart over about 2 h 55 min


def test_binance_open_interest_follows_the_five_minute_history(
    collected: tuple[list[Record], int, DuckDBStore],
) -> None:
    records, _, store = collected
    expected = [
        r for r in _expected(records, 0, "binance", OpenInterest, streamed=False) if isinstance(r, OpenInterest)
    ]
    assert len(expected) == 36  # every 5 simulated minutes for 3 hours
    sql = "SELECT ts_event, oi_base, oi_usd FROM open_interest WHERE venue = ? ORDER BY 1"
    assert _rows(store, sql, "binance") == [(r.ts_event, r.oi_base, r.oi_usd) for r in expected]


def test_binance_candles_ratios_and_taker_volume(collected: tuple[list[Record], int, DuckDBStore]) -> None:
    records, warm, store = collected
    candles = [r for r in _expected(records, warm, "binance", Candle, streamed=True) if isinstance(r, Candle)]
    sql = (
        "SELECT ts_event, open, high, low, close, volume, quote_volume FROM candles "
        "WHERE venue = ? AND kind = 'last' ORDER BY 1"
    )
    want = [(r.ts_event, r.open, r.high, r.low, r.close, r.volume, r.quote_volume) for r in candles]
    assert _rows(store, sql, "binance") == want
    # Mark-price klines: one simulated mark a minute, so each bar's open, high, low and close are that mark.
    marks = {
        r.ts_event: r.price
        for r in records
        if isinstance(r, Price) and r.venue == "binance" and r.kind is PriceKind.MARK
    }
    sql = "SELECT ts_event, open, high, low, close FROM candles WHERE venue = ? AND kind = 'mark' ORDER BY 1"
    bars = _rows(store, sql, "binance")
    assert len(bars) >= len(marks) - 5  # all but the last few minutes served before the collector stopped
    assert bars == [(ts, marks[ts], marks[ts], marks[ts], marks[ts]) for ts, *_ in bars]
    ratios = [
        r for r in _expected(records, 0, "binance", LongShortRatio, streamed=False) if isinstance(r, LongShortRatio)
    ]
    sql = "SELECT ts_event, kind, period, long_share, short_share FROM long_short_ratios WHERE venue = ? ORDER BY 1"
    assert _rows(store, sql, "binance") == [(r.ts_event, "accounts", "5m", r.long_share, r.short_share) for r in ratios]
    takers = [r for r in _expected(records, 0, "binance", TakerVolume, streamed=False) if isinstance(r, TakerVolume)]
    sql = "SELECT ts_event, buy_volume, sell_volume FROM taker_volume WHERE venue = ? ORDER BY 1"
    assert _rows(store, sql, "binance") == [(r.ts_event, r.buy_volume, r.sell_volume) for r in takers]
    assert len(ratios) == len(takers) == 36


def test_every_time_served_is_in_the_past(collected: tuple[list[Record], int, DuckDBStore]) -> None:
    records, _, store = collected
    latest = store.query("SELECT max(ts_event) AS latest, max(ts_recv) AS received FROM prices")
    assert latest["latest"][0] <= latest["received"][0]
    assert max(record.ts_event for record in records) <= time.time_ns() // 1_000_000
