"""The OKX connector against the fake OKX venue on loopback: what the venue serves (position tiers, 1-minute candles,
the account long/short ratio and taker volume) is what the store holds, field by field."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import msgspec
import pytest

from perpscope.collect.collector import Collector, CollectorSettings
from perpscope.collect.connector import ConnectorSettings, Intervals, VenueUrls
from perpscope.collect.http import HttpSettings
from perpscope.collect.writer import WriterSettings
from perpscope.fakevenue import okx_data
from perpscope.fakevenue.market import CandleEvent, Event, MarginTiersEvent, RatioEvent, TakerEvent
from perpscope.fakevenue.okx import OkxDialect
from perpscope.fakevenue.server import FakeVenue
from perpscope.models import MarginBracket, brackets_from_json
from perpscope.store import DuckDBStore
from perpscope.venues.okx.connector import OkxConnector

MINUTE_MS = 60_000
CANDLES = 150  # more than one page of history-candles (100 rows)
FOLLOWED_PATHS = (okx_data.HISTORY_CANDLES_PATH, okx_data.LONG_SHORT_PATH, okx_data.TAKER_PATH)


def _bracket(floor: float, cap: float, leverage: float, mmr: float) -> MarginBracket:
    return MarginBracket(floor=floor, cap=cap, max_leverage=leverage, mmr=mmr, maintenance_amount=0.0)


BTC_TIERS = (_bracket(0.0, 5.0, 100.0, 0.004), _bracket(5.0, 25.0, 75.0, 0.006), _bracket(25.0, 100.0, 50.0, 0.008))


def _market(now: int) -> tuple[int, list[Event]]:
    """150 one-minute BTC bars ending 2 minutes ago, two 5-minute statistics rows, BTC's tiers (none for ETH)."""
    first = (now // MINUTE_MS - CANDLES - 2) * MINUTE_MS
    events: list[Event] = [MarginTiersEvent("BTC", first, BTC_TIERS)]
    for number in range(CANDLES):
        price = 100_000.0 + number
        ts = first + number * MINUTE_MS
        events.append(CandleEvent("BTC", ts, price, price + 50.5, price - 99.75, price + 10.0, 12.5, 1_250_125.0))
    stats = first + 100 * MINUTE_MS
    events += [
        RatioEvent("BTC", stats, "5m", 0.6, 0.4),
        RatioEvent("BTC", stats + 5 * MINUTE_MS, "5m", 0.55, 0.45),
        TakerEvent("BTC", stats, "5m", 3.25, 1.75),
        TakerEvent("BTC", stats + 5 * MINUTE_MS, "5m", 0.5, 8.0),
    ]
    return first, events


async def _collect(venue: FakeVenue, connector: OkxConnector, store: DuckDBStore, done: Callable[[], bool]) -> None:
    settings = CollectorSettings(writer=WriterSettings(flush_interval_s=0.2))
    collector = Collector([connector], store, settings)
    running = asyncio.create_task(collector.run())
    deadline = time.monotonic() + 15
    while not done() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # the answers' records reach the writer
    collector.stop()
    await running
    assert collector.errors == {}
    assert collector.status.malformed == 0 and collector.status.poll_failures == 0


async def _serve_and_collect(store: DuckDBStore, events: Iterable[Event]) -> FakeVenue:
    async with FakeVenue(OkxDialect()) as venue:
        for event in events:
            await venue.publish(event)
        urls = VenueUrls(venue.rest_url, venue.websocket_url)
        intervals = Intervals(history_s=0.2, history_lookback_s=4 * 3_600.0)
        http = HttpSettings(timeout_s=2.0, max_attempts=2, budget_share=20.0)  # the fake venue has no budget
        connector = OkxConnector(ConnectorSettings(("BTC", "ETH"), intervals, urls), http)

        def answered() -> bool:  # the hourly tiers once, every followed channel paged through at least once
            requests = venue.ledger.requests
            tiers = requests.get(okx_data.POSITION_TIERS_PATH, 0) >= 1
            return tiers and all(requests.get(path, 0) >= 4 for path in FOLLOWED_PATHS)

        await _collect(venue, connector, store, answered)
        return venue


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, DuckDBStore]:
    first, events = _market(time.time_ns() // 1_000_000)
    store = DuckDBStore(Path(tmp_path_factory.mktemp("okx")) / "okx.duckdb")
    asyncio.run(_serve_and_collect(store, events))
    return first, store


def _brackets(store: DuckDBStore, symbol: str) -> tuple[MarginBracket, ...]:
    frame = store.query("SELECT margin_brackets FROM instruments WHERE venue = 'okx' AND symbol = ?", [symbol])
    return brackets_from_json(frame["margin_brackets"][0])


def test_position_tiers_are_stored_as_base_unit_brackets(collected: tuple[int, DuckDBStore]) -> None:
    _, store = collected
    assert _brackets(store, "BTC-USDT-PERP") == BTC_TIERS  # served as 0-500, 500-2,500, 2,500-10,000 contracts
    assert _brackets(store, "ETH-USDT-PERP") == okx_data.DEFAULT_TIERS  # none published: the documented default
    row = store.query("SELECT contract_size, source FROM instruments WHERE symbol = 'BTC-USDT-PERP'").rows()[0]
    assert row == (0.01, "okx rest /api/v5/public/instruments, /api/v5/public/position-tiers")


def test_every_candle_is_stored_with_its_values(collected: tuple[int, DuckDBStore]) -> None:
    first, store = collected
    sql = (
        "SELECT ts_event, interval, kind, open, high, low, close, volume, quote_volume, source FROM candles "
        "WHERE venue = 'okx' AND symbol = 'BTC-USDT-PERP' ORDER BY ts_event"
    )
    source = "okx rest /api/v5/market/history-candles"
    bars = [(1e5 + n, 1e5 + n + 50.5, 1e5 + n - 99.75, 1e5 + n + 10.0) for n in range(CANDLES)]
    expected = [  # volume from volCcy (coins), not vol (contracts)
        (first + n * MINUTE_MS, "1m", "last", *bar, 12.5, 1_250_125.0, source) for n, bar in enumerate(bars)
    ]
    assert store.query(sql).rows() == expected


def test_long_short_ratios_are_stored_as_shares(collected: tuple[int, DuckDBStore]) -> None:
    first, store = collected
    sql = (
        "SELECT ts_event, kind, period, long_share, short_share, source FROM long_short_ratios "
        "WHERE venue = 'okx' ORDER BY ts_event"
    )
    rows = store.query(sql).rows()
    stats = first + 100 * MINUTE_MS
    source = "okx rest /api/v5/rubik/stat/contracts/long-short-account-ratio-contract"
    assert [row[:3] + row[5:] for row in rows] == [
        (stats, "accounts", "5m", source),
        (stats + 300_000, "accounts", "5m", source),
    ]
    # served as ratios 1.5 and 0.55 / 0.45 = 1.2222...: long = r / (1 + r), short = 1 / (1 + r)
    assert [row[3:5] for row in rows] == [
        pytest.approx((0.6, 0.4), rel=1e-12),
        pytest.approx((0.55, 0.45), rel=1e-12),
    ]


def test_taker_volume_is_stored_in_coins(collected: tuple[int, DuckDBStore]) -> None:
    first, store = collected
    sql = "SELECT ts_event, period, buy_volume, sell_volume, source FROM taker_volume WHERE venue = 'okx' ORDER BY 1"
    stats = first + 100 * MINUTE_MS
    source = "okx rest /api/v5/rubik/stat/taker-volume-contract"
    assert store.query(sql).rows() == [
        (stats, "5m", 3.25, 1.75, source),
        (stats + 300_000, "5m", 0.5, 8.0, source),
    ]


def test_tiers_are_asked_per_family_and_the_history_is_followed() -> None:
    connector = OkxConnector(ConnectorSettings(("BTC", "ETH-USDT-PERP")))
    tiers = [plan for plan in connector.polls() if plan.key.startswith("okx tiers")]
    assert [(plan.key, plan.path, plan.params, plan.interval_s, plan.first) for plan in tiers] == [
        (
            "okx tiers 0",
            "/api/v5/public/position-tiers",
            (("instType", "SWAP"), ("tdMode", "cross"), ("instFamily", "BTC-USDT,ETH-USDT")),
            3_600.0,
            False,  # a refused tiers request does not drop the venue
        )
    ]
    followed = [(plan.carried.channel.value, plan.carried.native_symbol) for plan in connector.history_polls()]
    assert followed == [
        ("candles", "BTC-USDT-SWAP"),
        ("long_short", "BTC-USDT-SWAP"),
        ("taker", "BTC-USDT-SWAP"),
        ("candles", "ETH-USDT-SWAP"),
        ("long_short", "ETH-USDT-SWAP"),
        ("taker", "ETH-USDT-SWAP"),
    ]


def test_only_the_followed_swaps_instruments_are_stored() -> None:
    """Another collector may follow the other swaps: their rows (and brackets) are not overwritten from here."""
    connector = OkxConnector(ConnectorSettings(("BTC",)))
    rows = [
        {"instId": inst_id, "ctVal": value, "ctType": "linear", "settleCcy": "USDT", "tickSz": "0.1", "state": "live"}
        for inst_id, value in (("BTC-USDT-SWAP", "0.01"), ("ETH-USDT-SWAP", "0.1"))
    ]
    payload = msgspec.json.encode({"code": "0", "msg": "", "data": rows}).decode()
    (instrument,) = connector.parse("okx instruments", payload, 1_000)
    assert (instrument.symbol, instrument.contract_size) == ("BTC-USDT-PERP", 0.01)  # type: ignore[attr-defined]
    assert connector.contract_values == {"BTC-USDT-SWAP": 0.01, "ETH-USDT-SWAP": 0.1}  # liquidations of every swap
