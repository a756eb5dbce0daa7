"""The Hyperliquid connector against the fake Hyperliquid venue on loopback: each coin's instrument is stored with
the margin table ``meta`` served, tier by tier, and the stored table reads back for the heatmap; closed 1-minute
candles are followed and backfilled through ``candleSnapshot``."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path

import pytest

from perpscope.collect.collector import Collector, CollectorSettings
from perpscope.collect.connector import ConnectorSettings, Intervals, VenueUrls
from perpscope.collect.http import HttpSettings
from perpscope.collect.writer import WriterSettings
from perpscope.fakevenue import hyperliquid as fake_hyperliquid
from perpscope.fakevenue.market import CandleEvent, MarginTiersEvent, scripted
from perpscope.fakevenue.server import FakeVenue
from perpscope.models import Candle, MarginBracket, Record, brackets_from_json
from perpscope.service.heatmap import margin_table
from perpscope.store import DuckDBStore
from perpscope.venues.capabilities import Channel
from perpscope.venues.hyperliquid.connector import HyperliquidConnector

CANDLES = 700  # more than one page (the fake serves 500 a request)
MINUTE_MS = 60_000
NO_CAP = math.inf  # the uncapped top tier (stored as a null cap: JSON has no infinity)


def _served(floor: float, leverage: float) -> MarginBracket:
    """What a venue publishes: only the floor and the leverage reach the wire (rates follow from the leverage)."""
    return MarginBracket(floor=floor, cap=floor + 1.0, max_leverage=leverage, mmr=0.5 / leverage, maintenance_amount=0)


BTC_TIERS = (_served(0.0, 50.0), _served(10_000_000.0, 25.0), _served(50_000_000.0, 10.0))


def _first_candle(now: int) -> int:
    return (now // MINUTE_MS - CANDLES - 2) * MINUTE_MS


def _candle_events(first: int) -> list[CandleEvent]:
    return [
        CandleEvent("BTC", first + n * MINUTE_MS, 60_000.0 + n, 60_050.5 + n, 59_900.25 + n, 60_010.0 + n, 1.5, 0.0)
        for n in range(CANDLES)
    ]


def _candle_rows(first: int, numbers: range) -> list[tuple[object, ...]]:
    source = "hyperliquid rest /info candleSnapshot"
    return [
        (first + n * MINUTE_MS, "1m", "last", 60_000.0 + n, 60_050.5 + n, 59_900.25 + n, 60_010.0 + n, 1.5, source)
        for n in numbers
    ]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> tuple[DuckDBStore, FakeVenue]:
    store = DuckDBStore(Path(tmp_path_factory.mktemp("hyperliquid")) / "hl.duckdb")

    async def scenario() -> FakeVenue:
        async with FakeVenue(fake_hyperliquid.HyperliquidDialect()) as venue:
            now = time.time_ns() // 1_000_000
            await venue.publish(MarginTiersEvent("BTC", now, BTC_TIERS))
            for candle in _candle_events(_first_candle(now)):
                await venue.publish(candle)
            for event in scripted(("BTC", "ETH", "SOL"), 3, now - 10_000, step_ms=1_000):
                await venue.publish(event)
            urls = VenueUrls(venue.rest_url, venue.websocket_url)
            http = HttpSettings(timeout_s=2.0, max_attempts=2, budget_share=20.0)
            intervals = Intervals(funding_s=5.0, history_s=5.0, history_lookback_s=CANDLES * 60 + 600)
            connector = HyperliquidConnector(ConnectorSettings(("BTC", "ETH"), intervals, urls), http)
            collector = Collector([connector], store, CollectorSettings(writer=WriterSettings(flush_interval_s=0.2)))
            running = asyncio.create_task(collector.run())
            while venue.connections == 0:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.5)
            collector.stop()
            await running
            assert collector.errors == {} and collector.status.malformed == 0
            return venue

    return store, asyncio.run(scenario())


def test_every_closed_candle_is_followed_with_its_values(collected: tuple[DuckDBStore, FakeVenue]) -> None:
    store, venue = collected
    sql = (
        "SELECT ts_event, interval, kind, open, high, low, close, volume, source FROM candles "
        "WHERE venue = 'hyperliquid' AND symbol = 'BTC-USD-PERP' ORDER BY ts_event"
    )
    rows = store.query(sql).rows()
    first = rows[0][0]
    assert isinstance(first, int)
    assert rows == _candle_rows(first, range(CANDLES))  # two pages, oldest first
    assert len(venue.ledger.delivered_records("candles")) == CANDLES


def _brackets(store: DuckDBStore, symbol: str) -> tuple[MarginBracket, ...]:
    sql = "SELECT margin_brackets FROM instruments WHERE venue = 'hyperliquid' AND symbol = ?"
    return brackets_from_json(store.query(sql, [symbol])["margin_brackets"][0])


def test_the_served_margin_table_is_stored_tier_by_tier(collected: tuple[DuckDBStore, FakeVenue]) -> None:
    store, venue = collected
    # Rates 1 / (2 x 50, 25, 10) = 0.01, 0.02, 0.05; deductions 10M x 0.01 = 100,000 and
    # 50M x (0.05 - 0.02) + 100,000 = 1,600,000.
    brackets = _brackets(store, "BTC-USD-PERP")
    assert [(b.floor, b.cap, b.max_leverage, b.mmr) for b in brackets] == [
        (0.0, 10_000_000.0, 50.0, 0.01),
        (10_000_000.0, 50_000_000.0, 25.0, 0.02),
        (50_000_000.0, NO_CAP, 10.0, 0.05),
    ]
    assert [b.maintenance_amount for b in brackets] == pytest.approx([0.0, 100_000.0, 1_600_000.0], abs=1e-6)
    served = {record.symbol: record for record in venue.ledger.delivered_records("instruments")}
    assert brackets == served["BTC-USD-PERP"].margin_brackets  # type: ignore[attr-defined]
    # ETH published none: the documented default, the BTC table (40x to $150M, 20x beyond).
    assert _brackets(store, "ETH-USD-PERP") == (
        MarginBracket(floor=0.0, cap=150_000_000.0, max_leverage=40.0, mmr=0.0125, maintenance_amount=0.0),
        MarginBracket(floor=150_000_000.0, cap=NO_CAP, max_leverage=20.0, mmr=0.025, maintenance_amount=1_875_000.0),
    )


def test_only_the_collected_coins_are_stored(collected: tuple[DuckDBStore, FakeVenue]) -> None:
    store, _ = collected
    sql = "SELECT symbol, native_symbol, base, quote, settle, funding_interval_h, source FROM instruments ORDER BY 1"
    source = "hyperliquid rest /info meta"
    assert store.query(sql).rows() == [
        ("BTC-USD-PERP", "BTC", "BTC", "USD", "USDC", 1.0, source),
        ("ETH-USD-PERP", "ETH", "ETH", "USD", "USDC", 1.0, source),
    ]  # SOL is listed by the venue but not collected


def test_the_stored_table_reads_back_for_the_heatmap(collected: tuple[DuckDBStore, FakeVenue]) -> None:
    store, _ = collected
    table = margin_table(store, "hyperliquid", "BTC-USD-PERP")
    assert table is not None
    assert table.source == "hyperliquid BTC-USD-PERP brackets (stored instrument)"
    assert table.index(9_999_999.0) == 0 and table.index(60_000_000.0) == 2 and table.index(1e15) == 2


def test_meta_is_asked_first_then_hourly() -> None:
    connector = HyperliquidConnector(ConnectorSettings(("BTC",)))
    (plan,) = connector.polls()
    assert (plan.key, plan.path, plan.body, plan.interval_s, plan.first, plan.weight) == (
        "hyperliquid meta",
        "/info",
        {"type": "meta"},
        3_600.0,
        True,
        20,
    )
    assert HyperliquidConnector(ConnectorSettings(())).polls() == []


def test_candles_are_followed_every_history_interval_and_backfillable() -> None:
    connector = HyperliquidConnector(ConnectorSettings(("BTC",), Intervals(history_s=30.0, history_lookback_s=600.0)))
    plans = {(poll.carried.channel, poll.carried.symbol): poll for poll in connector.history_polls()}
    candles = plans[(Channel.CANDLES, "BTC-USD-PERP")]
    assert (candles.interval_s, candles.lookback_ms) == (30.0, 600_000)
    assert connector.can_backfill(Channel.CANDLES) and not connector.can_backfill(Channel.OPEN_INTEREST)
    off = HyperliquidConnector(ConnectorSettings(("BTC",), Intervals(history_s=0.0)))
    assert [poll.carried.channel for poll in off.history_polls()] == [Channel.FUNDING_SETTLED]


def test_a_candle_gap_is_backfilled_page_by_page() -> None:
    async def backfill() -> tuple[list[Record], int]:
        async with FakeVenue(fake_hyperliquid.HyperliquidDialect()) as venue:
            first = _first_candle(time.time_ns() // 1_000_000)
            for candle in _candle_events(first):
                await venue.publish(candle)
            urls = VenueUrls(venue.rest_url, venue.websocket_url)
            connector = HyperliquidConnector(ConnectorSettings(("BTC",), Intervals(), urls))
            since, until = first + 100 * MINUTE_MS, first + 650 * MINUTE_MS
            pages = [page async for page in connector.backfill(Channel.CANDLES, "BTC", since, until)]
            return [record for page in pages for record in page], first

    records, first = asyncio.run(backfill())
    assert all(isinstance(record, Candle) for record in records)
    got = [
        (c.ts_event, c.interval, c.kind.value, c.open, c.high, c.low, c.close, c.volume, c.source)
        for c in records
        if isinstance(c, Candle)
    ]
    assert got == _candle_rows(first, range(100, 651))  # 500 + 51: two pages, none twice
