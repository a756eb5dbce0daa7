"""Binance liquidations from the all-market ``!forceOrder@arr`` stream: planned on a connection of its own when
chosen (or from ``ALL_LIQUIDATIONS_FROM`` symbols on), and, against the fake venue on loopback, only the asked
symbols' liquidations are stored, field by field."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from perpscope.collect.collector import Collector, CollectorSettings
from perpscope.collect.connector import ConnectorSettings, Intervals, VenueUrls
from perpscope.collect.http import HttpSettings
from perpscope.collect.writer import WriterSettings
from perpscope.fakevenue.binance import BinanceDialect
from perpscope.fakevenue.market import LiquidationEvent
from perpscope.fakevenue.server import FakeVenue
from perpscope.models import Side
from perpscope.store import DuckDBStore
from perpscope.venues.binance.connector import ALL_LIQUIDATIONS_FROM, BinanceConnector
from perpscope.venues.capabilities import Channel

URL = "wss://fstream.binance.com/stream?streams="


def test_per_symbol_streams_stay_the_default_for_few_symbols() -> None:
    (plan,) = BinanceConnector(ConnectorSettings(("BTC", "ETH"))).streams()
    assert plan.spec.key == "binance ws0"
    assert plan.spec.url == URL + (
        "btcusdt@forceOrder/btcusdt@markPrice@1s/btcusdt@kline_1m/"
        "ethusdt@forceOrder/ethusdt@markPrice@1s/ethusdt@kline_1m"
    )
    assert sum(carried.channel is Channel.LIQUIDATIONS for carried in plan.carries) == 2


def test_the_all_market_stream_has_a_connection_of_its_own() -> None:
    connector = BinanceConnector(ConnectorSettings(("BTC", "ETH")), all_liquidations=True)
    symbols, liquidations = connector.streams()
    assert symbols.spec.url == URL + ("btcusdt@markPrice@1s/btcusdt@kline_1m/ethusdt@markPrice@1s/ethusdt@kline_1m")
    assert Channel.LIQUIDATIONS not in {carried.channel for carried in symbols.carries}
    assert liquidations.spec.key == "binance ws-liquidations"
    assert liquidations.spec.url == URL + "!forceOrder@arr"
    carried = [(item.channel, item.symbol, item.native_symbol) for item in liquidations.carries]
    assert carried == [
        (Channel.LIQUIDATIONS, "BTC-USDT-PERP", "BTCUSDT"),
        (Channel.LIQUIDATIONS, "ETH-USDT-PERP", "ETHUSDT"),
    ]


def test_many_symbols_choose_the_all_market_stream() -> None:
    bases = tuple(f"C{number}" for number in range(ALL_LIQUIDATIONS_FROM))
    assert BinanceConnector(ConnectorSettings(bases)).all_liquidations
    assert not BinanceConnector(ConnectorSettings(bases[:-1])).all_liquidations
    assert not BinanceConnector(ConnectorSettings(bases), all_liquidations=False).all_liquidations


def test_a_subscription_reply_on_the_all_market_stream_gives_nothing() -> None:
    connector = BinanceConnector(ConnectorSettings(("BTC",)), all_liquidations=True)
    assert connector.parse("binance ws-liquidations", '{"result":null,"id":1}', 1) == []


async def _collect(store: DuckDBStore, events: list[LiquidationEvent]) -> FakeVenue:
    async with FakeVenue(BinanceDialect()) as venue:
        urls = VenueUrls(venue.rest_url, venue.websocket_url)
        intervals = Intervals(open_interest_s=0.0, funding_s=60.0, history_s=0.0)  # streams only
        http = HttpSettings(timeout_s=2.0, max_attempts=2, budget_share=20.0)
        settings = ConnectorSettings(("BTC", "SOL"), intervals, urls)
        connector = BinanceConnector(settings, http, all_liquidations=True)
        collector = Collector([connector], store, CollectorSettings(writer=WriterSettings(flush_interval_s=0.2)))
        running = asyncio.create_task(collector.run())
        deadline = time.monotonic() + 10
        while venue.connections < 2 and time.monotonic() < deadline:  # the symbols' and the all-market one
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
        for event in events:
            await venue.publish(event)
        await asyncio.sleep(0.5)
        collector.stop()
        await running
        assert collector.errors == {} and collector.status.malformed == 0
        return venue


def test_only_the_asked_symbols_liquidations_are_stored(tmp_path: Path) -> None:
    now = time.time_ns() // 1_000_000
    events = [
        LiquidationEvent("BTC", now + 1, Side.LONG, 97_000.5, 0.25),
        LiquidationEvent("ETH", now + 2, Side.SHORT, 3_500.25, 4.0),  # not asked for
        LiquidationEvent("SOL", now + 3, Side.SHORT, 180.5, 12.0),
        LiquidationEvent("DOGE", now + 4, Side.LONG, 0.25, 10_000.0),  # not asked for
        LiquidationEvent("BTC", now + 1_005, Side.SHORT, 97_100.0, 0.5),
    ]
    store = DuckDBStore(tmp_path / "binance.duckdb")
    venue = asyncio.run(_collect(store, events))
    assert len(venue.ledger.delivered_records("liquidations")) == 5  # the stream carried every symbol
    sql = (
        "SELECT ts_event, symbol, native_symbol, side, price, quantity, notional_usd, complete, source "
        "FROM liquidations ORDER BY ts_event"
    )
    source = "binance ws forceOrder"
    assert store.query(sql).rows() == [
        (now + 1, "BTC-USDT-PERP", "BTCUSDT", "long", 97_000.5, 0.25, 24_250.125, False, source),
        (now + 3, "SOL-USDT-PERP", "SOLUSDT", "short", 180.5, 12.0, 2_166.0, False, source),
        (now + 1_005, "BTC-USDT-PERP", "BTCUSDT", "short", 97_100.0, 0.5, 48_550.0, False, source),
    ]


def test_the_fake_venue_renders_the_all_market_stream_once_asked_for() -> None:
    dialect = BinanceDialect()
    event = LiquidationEvent("BTC", 1_000, Side.SHORT, 50_000.0, 0.5)
    assert [rendered.stream for rendered in dialect.render(event)] == ["btcusdt@forceOrder"]
    assert dialect.initial_streams("/stream?streams=!forceOrder@arr") == (frozenset({"!forceOrder@arr"}), True)
    per_symbol, all_market = dialect.render(event)
    assert (all_market.stream, all_market.payload, all_market.records) == (
        "!forceOrder@arr",
        per_symbol.payload,  # the same event, one message per liquidation, not an array
        per_symbol.records,
    )
    assert dialect.wrap(all_market.stream, all_market.payload, True).startswith('{"stream":"!forceOrder@arr","data":{')
