"""Paging REST history: forward and backward cover a span once, and only bars safely closed are taken."""

from __future__ import annotations

import asyncio

from perpscope.collect import paging
from perpscope.models import Candle, Record

MINUTE_MS = 60_000


def _bar(ts: int) -> Candle:
    return Candle(
        venue="v", symbol="BTC-USDT-PERP", native_symbol="BTCUSDT", ts_event=ts, ts_recv=ts, interval="1m",
        open=1.0, high=1.0, low=1.0, close=1.0,
    )  # fmt: skip


def test_a_bar_counts_as_closed_five_seconds_after_its_end() -> None:
    bars: list[Record] = [_bar(0), _bar(MINUTE_MS), _bar(2 * MINUTE_MS)]
    # The second bar ends at 120,000 ms: closed from 125,000 on by our clock, not at 124,999.
    assert paging.closed_bars(bars, MINUTE_MS, 124_999) == [bars[0]]
    assert paging.closed_bars(bars, MINUTE_MS, 125_000) == bars[:2]


def test_forward_pages_cover_the_span_once_and_stop_at_an_empty_page() -> None:
    stored = [_bar(n * MINUTE_MS) for n in range(25)]

    async def fetch(start: int, end: int) -> list[Record]:
        return [bar for bar in stored if start <= bar.ts_event <= end][:10]

    async def pages() -> list[list[Record]]:
        return [page async for page in paging.forward(fetch, 3 * MINUTE_MS, 24 * MINUTE_MS)]

    got = asyncio.run(pages())
    assert [len(page) for page in got] == [10, 10, 2]
    assert [bar.ts_event for page in got for bar in page] == [n * MINUTE_MS for n in range(3, 25)]


def test_backward_pages_cover_the_span_once_newest_first() -> None:
    stored = [_bar(n * MINUTE_MS) for n in range(25)]

    async def fetch(start: int, end: int) -> list[Record]:
        return [bar for bar in stored if start <= bar.ts_event <= end][-10:]

    async def pages() -> list[list[Record]]:
        return [page async for page in paging.backward(fetch, 3 * MINUTE_MS, 24 * MINUTE_MS)]

    got = asyncio.run(pages())
    assert sorted(bar.ts_event for page in got for bar in page) == [n * MINUTE_MS for n in range(3, 25)]
