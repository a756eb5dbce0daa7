"""Binance's mark-price 1-minute bars (``/fapi/v1/markPriceKlines``, what liquidations trigger on): followed as REST
history and backfilled page by page from the fake venue on loopback, whose bars are built from the marks it
published (first, highest, lowest and last mark of each minute)."""

from __future__ import annotations

import asyncio
import time

from perpscope.collect.connector import ConnectorSettings, Intervals, VenueUrls
from perpscope.fakevenue.binance import BinanceDialect
from perpscope.fakevenue.market import MarkEvent
from perpscope.fakevenue.server import FakeVenue
from perpscope.models import Candle, CandleKind, Record
from perpscope.venues.binance.connector import BinanceConnector
from perpscope.venues.capabilities import Channel

MINUTE_MS = 60_000
MINUTES = 30


def _marks(first: int) -> list[MarkEvent]:
    """Three marks a minute: 100 + n, then 100.5 + n (the high), then 99.75 + n (the low and close)."""
    marks = []
    for n in range(MINUTES):
        for offset, price in ((0, 100.0 + n), (20_000, 100.5 + n), (40_000, 99.75 + n)):
            ts = first + n * MINUTE_MS + offset
            marks.append(MarkEvent("BTC", ts, price, price - 1, 0.0001, ts + 3_600_000))
    return marks


def test_mark_candles_are_backfilled_page_by_page_with_their_values() -> None:
    async def backfill() -> tuple[list[Record], int]:
        async with FakeVenue(BinanceDialect(page_cap=10)) as venue:
            first = (time.time_ns() // 1_000_000 // MINUTE_MS - MINUTES - 2) * MINUTE_MS
            for mark in _marks(first):
                await venue.publish(mark)
            urls = VenueUrls(venue.rest_url, venue.websocket_url)
            connector = BinanceConnector(ConnectorSettings(("BTC",), Intervals(), urls))
            since, until = first + 5 * MINUTE_MS, first + 29 * MINUTE_MS
            pages = [page async for page in connector.backfill(Channel.MARK_CANDLES, "BTC", since, until)]
            return [record for page in pages for record in page], first

    records, first = asyncio.run(backfill())
    candles = [record for record in records if isinstance(record, Candle)]
    assert len(candles) == len(records) == 25  # three pages of at most 10, none twice
    assert [(c.ts_event, c.kind, c.open, c.high, c.low, c.close, c.volume) for c in candles] == [
        (first + n * MINUTE_MS, CandleKind.MARK, 100.0 + n, 100.5 + n, 99.75 + n, 99.75 + n, None) for n in range(5, 30)
    ]
    assert {(c.symbol, c.interval, c.source) for c in candles} == {
        ("BTC-USDT-PERP", "1m", "binance rest /fapi/v1/markPriceKlines")
    }


def test_mark_candles_are_followed_with_the_statistics() -> None:
    connector = BinanceConnector(ConnectorSettings(("BTC",), Intervals(history_s=30.0)))
    followed = {(poll.carried.channel, poll.interval_s) for poll in connector.history_polls()}
    assert (Channel.MARK_CANDLES, 30.0) in followed
    assert connector.can_backfill(Channel.MARK_CANDLES)
