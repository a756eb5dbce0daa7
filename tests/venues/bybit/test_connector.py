"""The Bybit connector against the fake Bybit venue on loopback: the instrument stored with the risk-limit tiers
the venue served, and the 1-minute klines and account ratios it serves, followed and backfilled, field by field."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from perpscope.collect.collector import Collector, CollectorSettings
from perpscope.collect.connector import ConnectorSettings, Intervals, VenueUrls
from perpscope.collect.http import HttpSettings
from perpscope.collect.writer import WriterSettings
from perpscope.fakevenue import bybit as fake_bybit
from perpscope.fakevenue.market import CandleEvent, Event, MarginTiersEvent, RatioEvent
from perpscope.fakevenue.server import FakeVenue
from perpscope.models import Candle, LongShortRatio, MarginBracket, Record, brackets_from_json
from perpscope.store import DuckDBStore
from perpscope.venues.bybit.connector import BybitConnector
from perpscope.venues.capabilities import Channel

MINUTE_MS = 60_000
CANDLES = 1_100  # more than one page of klines (1,000 rows)
HTTP = HttpSettings(timeout_s=2.0, max_attempts=2, budget_share=20.0)  # the fake venue has no request budget


def _bracket(floor: float, cap: float, leverage: float, mmr: float, amount: float) -> MarginBracket:
    return MarginBracket(floor=floor, cap=cap, max_leverage=leverage, mmr=mmr, maintenance_amount=amount)


# Deductions by hand: 1,000,000 x (0.01 - 0.005) = 5,000; 2,000,000 x (0.02 - 0.01) + 5,000 = 25,000.
BTC_TIERS = (
    _bracket(0.0, 1_000_000.0, 100.0, 0.005, 0.0),
    _bracket(1_000_000.0, 2_000_000.0, 50.0, 0.01, 5_000.0),
    _bracket(2_000_000.0, 5_000_000.0, 25.0, 0.02, 25_000.0),
)


def _market(now: int) -> tuple[int, list[Event]]:
    """1,100 one-minute BTC bars ending 2 minutes ago, three 5-minute ratios and one hourly, BTC's tiers only."""
    first = (now // MINUTE_MS - CANDLES - 2) * MINUTE_MS
    events: list[Event] = [MarginTiersEvent("BTC", first, BTC_TIERS)]
    for number in range(CANDLES):
        price = 100_000.0 + number
        ts = first + number * MINUTE_MS
        events.append(CandleEvent("BTC", ts, price, price + 50.5, price - 99.75, price + 10.0, 12.5, 1_250_125.0))
    stats = first + 1_000 * MINUTE_MS
    events += [
        RatioEvent("BTC", stats, "5m", 0.6, 0.4),
        RatioEvent("BTC", stats + 5 * MINUTE_MS, "5m", 0.55, 0.45),
        RatioEvent("BTC", stats + 10 * MINUTE_MS, "5m", 0.5125, 0.4875),
        RatioEvent("BTC", stats, "1h", 0.3, 0.7),  # another period: not asked for
    ]
    return first, events


def _followed_twice(venue: FakeVenue) -> Callable[[], bool]:
    def done() -> bool:
        requests = venue.ledger.requests
        paths = (fake_bybit.KLINE_PATH, fake_bybit.ACCOUNT_RATIO_PATH, fake_bybit.INSTRUMENTS_PATH)
        return all(requests.get(path, 0) >= 2 for path in paths)

    return done


async def _serve_and_collect(store: DuckDBStore, events: list[Event]) -> FakeVenue:
    async with FakeVenue(fake_bybit.BybitDialect()) as venue:
        for event in events:
            await venue.publish(event)
        urls = VenueUrls(venue.rest_url, venue.websocket_url)
        intervals = Intervals(history_s=0.2, history_lookback_s=20 * 3_600.0)
        connector = BybitConnector(ConnectorSettings(("BTC", "ETH"), intervals, urls), HTTP)
        collector = Collector([connector], store, CollectorSettings(writer=WriterSettings(flush_interval_s=0.2)))
        running = asyncio.create_task(collector.run())
        deadline = time.monotonic() + 15
        while not _followed_twice(venue)() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # the last answers' records reach the writer
        collector.stop()
        await running
        assert collector.errors == {}
        assert collector.status.malformed == 0 and collector.status.poll_failures == 0
        return venue


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, DuckDBStore, FakeVenue]:
    first, events = _market(time.time_ns() // 1_000_000)
    store = DuckDBStore(Path(tmp_path_factory.mktemp("bybit")) / "bybit.duckdb")
    venue = asyncio.run(_serve_and_collect(store, events))
    return first, store, venue


def _brackets(store: DuckDBStore, symbol: str) -> tuple[MarginBracket, ...]:
    frame = store.query("SELECT margin_brackets FROM instruments WHERE venue = 'bybit' AND symbol = ?", [symbol])
    return brackets_from_json(frame["margin_brackets"][0])


def test_instruments_are_stored_with_the_served_tiers(collected: tuple[int, DuckDBStore, FakeVenue]) -> None:
    _, store, venue = collected
    assert _brackets(store, "BTC-USDT-PERP") == BTC_TIERS
    assert _brackets(store, "ETH-USDT-PERP") == fake_bybit.DEFAULT_TIERS  # none published: the documented default
    assert len(fake_bybit.DEFAULT_TIERS) == 20 and fake_bybit.DEFAULT_TIERS[0].cap == 2_000_000.0
    sql = (
        "SELECT symbol, native_symbol, base, quote, settle, contract_size, tick_size, funding_interval_h, inverse, "
        "source FROM instruments ORDER BY symbol"
    )
    source = "bybit rest /v5/market/instruments-info"
    assert store.query(sql).rows() == [
        ("BTC-USDT-PERP", "BTCUSDT", "BTC", "USDT", "USDT", 1.0, 0.1, 8.0, False, source),
        ("ETH-USDT-PERP", "ETHUSDT", "ETH", "USDT", "USDT", 1.0, 0.1, 8.0, False, source),
    ]
    served = {record.symbol: record for record in venue.ledger.delivered_records("instruments")}
    for symbol in ("BTC-USDT-PERP", "ETH-USDT-PERP"):
        assert _brackets(store, symbol) == served[symbol].margin_brackets  # type: ignore[attr-defined]
    assert venue.ledger.requests[fake_bybit.RISK_LIMIT_PATH] == 2  # once per symbol: the refresh is hourly


def _candles(first: int, count: int, source: str = "bybit rest /v5/market/kline") -> list[tuple[object, ...]]:
    bars = [(1e5 + n, 1e5 + n + 50.5, 1e5 + n - 99.75, 1e5 + n + 10.0) for n in range(count)]
    return [(first + n * MINUTE_MS, "1m", "last", *bar, 12.5, 1_250_125.0, source) for n, bar in enumerate(bars)]


def test_every_candle_is_followed_with_its_values(collected: tuple[int, DuckDBStore, FakeVenue]) -> None:
    first, store, _ = collected
    sql = (
        "SELECT ts_event, interval, kind, open, high, low, close, volume, quote_volume, source FROM candles "
        "WHERE venue = 'bybit' AND symbol = 'BTC-USDT-PERP' ORDER BY ts_event"
    )
    assert store.query(sql).rows() == _candles(first, CANDLES)  # two pages, newest first, all 1,100


def test_account_ratios_are_followed(collected: tuple[int, DuckDBStore, FakeVenue]) -> None:
    first, store, _ = collected
    sql = (
        "SELECT ts_event, kind, period, long_share, short_share, source FROM long_short_ratios "
        "WHERE venue = 'bybit' ORDER BY ts_event"
    )
    stats = first + 1_000 * MINUTE_MS
    source = "bybit rest /v5/market/account-ratio"
    assert store.query(sql).rows() == [
        (stats, "accounts", "5m", 0.6, 0.4, source),
        (stats + 300_000, "accounts", "5m", 0.55, 0.45, source),
        (stats + 600_000, "accounts", "5m", 0.5125, 0.4875, source),
    ]


async def _backfilled(channel: Channel, since: int, until: int, page_cap: int) -> tuple[list[Record], FakeVenue]:
    _, events = _market(time.time_ns() // 1_000_000)
    async with FakeVenue(fake_bybit.BybitDialect(page_cap=page_cap)) as venue:
        for event in events:
            await venue.publish(event)
        urls = VenueUrls(venue.rest_url, venue.websocket_url)
        connector = BybitConnector(ConnectorSettings(("BTC",), urls=urls), HTTP)
        records = [
            record async for page in connector.backfill(channel, "BTC-USDT-PERP", since, until) for record in page
        ]
        await connector.http.close()
        return records, venue


def test_a_candle_gap_is_backfilled_page_by_page() -> None:
    first = (time.time_ns() // 1_000_000 // MINUTE_MS - CANDLES - 2) * MINUTE_MS
    since, until = first + 10 * MINUTE_MS, first + 34 * MINUTE_MS  # 25 bars, asked 10 at a time
    records, venue = asyncio.run(_backfilled(Channel.CANDLES, since, until, page_cap=10))
    assert venue.ledger.requests[fake_bybit.KLINE_PATH] == 3  # 10 + 10 + 5, newest first
    candles = sorted((record for record in records if isinstance(record, Candle)), key=lambda c: c.ts_event)
    assert len(candles) == len(records) == 25
    got = [(c.ts_event, c.interval, c.kind.value, c.open, c.high, c.low, c.close, c.volume, c.quote_volume, c.source)
           for c in candles]  # fmt: skip
    assert got == _candles(first, 35)[10:]


def test_an_account_ratio_gap_is_backfilled() -> None:
    first = (time.time_ns() // 1_000_000 // MINUTE_MS - CANDLES - 2) * MINUTE_MS
    stats = first + 1_000 * MINUTE_MS
    records, venue = asyncio.run(_backfilled(Channel.LONG_SHORT, stats + 1, stats + 10 * MINUTE_MS, page_cap=1))
    ratios = [record for record in records if isinstance(record, LongShortRatio)]
    assert [(r.ts_event, r.period, r.long_share, r.short_share) for r in ratios] == [
        (stats + 600_000, "5m", 0.5125, 0.4875),  # newest first, one a page
        (stats + 300_000, "5m", 0.55, 0.45),
    ]
    assert venue.ledger.requests[fake_bybit.ACCOUNT_RATIO_PATH] == 3  # the third page is empty: done


def test_reference_polls_come_first_per_symbol_and_history_is_followed() -> None:
    connector = BybitConnector(ConnectorSettings(("BTC", "ETH-USDT-PERP")))
    reference = [plan for plan in connector.polls() if plan.first]
    paths = {"risk_limit": "/v5/market/risk-limit", "instrument": "/v5/market/instruments-info"}
    assert [(plan.key, plan.path, plan.params, plan.interval_s) for plan in reference] == [
        (f"bybit {kind} {native}", paths[kind], (("category", "linear"), ("symbol", native)), 3600.0)
        for native in ("BTCUSDT", "ETHUSDT")
        for kind in ("risk_limit", "instrument")
    ]
    followed = [(plan.carried.channel.value, plan.carried.native_symbol) for plan in connector.history_polls()]
    assert followed == [
        ("candles", "BTCUSDT"),
        ("long_short", "BTCUSDT"),
        ("candles", "ETHUSDT"),
        ("long_short", "ETHUSDT"),
    ]
    assert all(connector.can_backfill(channel) for channel in (Channel.CANDLES, Channel.LONG_SHORT))


def test_an_instrument_waits_for_its_tiers() -> None:
    connector = BybitConnector(ConnectorSettings(("BTC",)))
    instruments = msgspec.json.encode(
        {"retCode": 0, "result": {"list": [
            {"symbol": "BTCUSDT", "contractType": "LinearPerpetual", "status": "Trading", "baseCoin": "BTC",
             "quoteCoin": "USDT", "settleCoin": "USDT", "fundingInterval": 480, "priceFilter": {"tickSize": "0.10"}}
        ]}, "time": 1_000}
    ).decode()  # fmt: skip
    risk_limit = msgspec.json.encode(
        {"retCode": 0, "result": {"list": [
            {"id": 1, "symbol": "BTCUSDT", "riskLimitValue": "1000000", "maintenanceMargin": "0.005",
             "initialMargin": "0.01", "isLowestRisk": 1, "maxLeverage": "100.00", "mmDeduction": ""}
        ]}, "time": 2_000}
    ).decode()  # fmt: skip
    assert connector.parse("bybit instrument BTCUSDT", instruments, 1_500) == []  # no tiers yet
    (instrument,) = connector.parse("bybit risk_limit BTCUSDT", risk_limit, 2_500)
    assert (instrument.ts_event, instrument.ts_recv) == (2_500, 2_500)  # the later answer's receipt
    assert instrument.margin_brackets == (_bracket(0.0, 1_000_000.0, 100.0, 0.005, 0.0),)  # type: ignore[attr-defined]
    (again,) = connector.parse("bybit instrument BTCUSDT", instruments, 3_500)  # the hourly refresh
    assert (again.ts_recv, again.margin_brackets) == (3_500, instrument.margin_brackets)  # type: ignore[attr-defined]
    empty = msgspec.json.encode({"retCode": 0, "result": {"list": []}, "time": 4_000}).decode()
    assert connector.parse("bybit risk_limit BTCUSDT", empty, 4_500) == []  # keeps the stored tiers
    (later,) = connector.parse("bybit instrument BTCUSDT", instruments, 5_500)
    assert later.margin_brackets == instrument.margin_brackets  # type: ignore[attr-defined]
