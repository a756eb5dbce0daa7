"""Websocket sessions against a real loopback server: frames, reconnect markers, stale detection, heartbeats."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

import pytest
from collect_helpers import closed_port, now_ms
from websockets.asyncio.server import ServerConnection, serve
from websockets.protocol import State

from perpscope.collect.session import Frame, Reconnected, SessionSettings, StreamSpec, backoff_delay, frames
from perpscope.errors import NetworkError
from perpscope.fakevenue import FakeVenue, FaultPlan
from perpscope.fakevenue.binance import BinanceDialect
from perpscope.fakevenue.market import LiquidationEvent
from perpscope.models import Side

FAST = SessionSettings(stale_after_s=5.0, backoff_initial_s=0.02, backoff_max_s=0.1, jitter=0.0, first_attempts=2)
STREAM_PATH = "/stream?streams=btcusdt@forceOrder"


def test_backoff_doubles_from_the_initial_delay_up_to_the_cap() -> None:
    settings = SessionSettings(backoff_initial_s=0.5, backoff_max_s=4.0, jitter=0.0)
    assert [backoff_delay(attempt, settings) for attempt in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_jitter_stretches_each_delay_by_at_most_its_fraction() -> None:
    settings = SessionSettings(backoff_initial_s=1.0, backoff_max_s=8.0, jitter=0.5)
    rng = random.Random(7)
    delays = [backoff_delay(3, settings, rng) for _ in range(200)]
    assert all(4.0 <= delay <= 6.0 for delay in delays)
    assert max(delays) - min(delays) > 1.0  # it does vary


def _liquidation(number: int) -> LiquidationEvent:
    return LiquidationEvent("BTC", now_ms(), Side.LONG, 60_000.0 + number, 0.5)


async def _take(iterator: object, count: int) -> list[Frame | Reconnected]:
    items: list[Frame | Reconnected] = []
    async for item in iterator:  # type: ignore[attr-defined]
        items.append(item)
        if len(items) == count:
            break
    return items


async def _publish_when_connected(venue: FakeVenue, numbers: range) -> None:
    for number in numbers:
        while venue.connections == 0:
            await asyncio.sleep(0.01)
        await venue.publish(_liquidation(number))
        await asyncio.sleep(0.02)


def test_an_aborted_connection_is_reopened_and_the_down_span_reported() -> None:
    async def scenario() -> list[Frame | Reconnected]:
        async with FakeVenue(BinanceDialect(), FaultPlan(disconnect_after=(2,))) as venue:
            spec = StreamSpec("binance ws0", venue.websocket_url + STREAM_PATH)
            publisher = asyncio.create_task(_publish_when_connected(venue, range(4)))
            items = await asyncio.wait_for(_take(frames(spec, FAST), 5), timeout=10)
            await publisher
            return items

    items = asyncio.run(scenario())
    kinds = [type(item).__name__ for item in items]
    assert kinds == ["Frame", "Frame", "Reconnected", "Frame", "Frame"]
    second, marker = items[1], items[2]
    assert isinstance(second, Frame) and isinstance(marker, Reconnected)
    assert marker.key == "binance ws0"
    assert marker.down_from == second.ts_recv  # the span starts at the last frame received
    assert second.ts_recv <= marker.down_until <= items[3].ts_recv  # type: ignore[union-attr]
    assert "no close frame" in marker.reason
    prices = [item.payload.split('"ap":"')[1].split('"')[0] for item in items if isinstance(item, Frame)]
    assert prices == ["60000.0", "60001.0", "60002.0", "60003.0"]


def test_a_silent_connection_is_declared_stale_and_replaced() -> None:
    settings = SessionSettings(stale_after_s=0.3, backoff_initial_s=0.02, jitter=0.0)

    async def scenario() -> tuple[list[Frame | Reconnected], float]:
        async with FakeVenue(BinanceDialect(), FaultPlan(stall_after=(1,))) as venue:
            spec = StreamSpec("binance ws0", venue.websocket_url + STREAM_PATH)
            publisher = asyncio.create_task(_publish_when_connected(venue, range(1)))
            started = time.monotonic()
            items = await asyncio.wait_for(_take(frames(spec, settings), 2), timeout=10)
            await publisher
            return items, time.monotonic() - started

    items, elapsed = asyncio.run(scenario())
    marker = items[1]
    assert isinstance(items[0], Frame) and isinstance(marker, Reconnected)
    assert marker.reason == "stale: no data for 0.3 s"
    assert marker.down_until - marker.down_from >= 300
    assert 0.3 <= elapsed < 3.0


def test_a_venue_that_never_answers_is_one_network_error() -> None:
    port = closed_port()
    spec = StreamSpec("binance ws0", f"ws://127.0.0.1:{port}{STREAM_PATH}")

    async def scenario() -> None:
        async for _ in frames(spec, FAST):
            pass

    started = time.monotonic()
    with pytest.raises(NetworkError) as caught:
        asyncio.run(scenario())
    assert str(caught.value).startswith(f"cannot connect to ws://127.0.0.1:{port}/stream: ")
    assert "Connect" in str(caught.value) or "refused" in str(caught.value).lower()
    assert time.monotonic() - started < 2.0


def test_subscribe_messages_then_heartbeats_are_sent() -> None:
    received: list[str] = []

    async def echo(connection: ServerConnection) -> None:
        async for message in connection:
            received.append(str(message))
            if message == "ping":
                await connection.send("pong")

    async def scenario() -> list[Frame | Reconnected]:
        async with serve(echo, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            spec = StreamSpec("okx ws0", f"ws://127.0.0.1:{port}/", ("sub-1", "sub-2"), heartbeat="ping")
            settings = SessionSettings(stale_after_s=1.0, heartbeat_s=0.05)
            return await asyncio.wait_for(_take(frames(spec, settings), 3), timeout=5)

    items = asyncio.run(scenario())
    assert [item.payload for item in items if isinstance(item, Frame)] == ["pong", "pong", "pong"]
    assert received[:5] == ["sub-1", "sub-2", "ping", "ping", "ping"]


class _AlwaysBuffered:
    """A connection whose next frame is always already there: ``recv`` returns without suspending, as it does
    when the socket has delivered more than the collector has parsed yet."""

    state = State.CLOSED  # nothing to drop when the session lets go of it

    def __init__(self) -> None:
        self.read = 0

    async def send(self, text: str) -> None:
        pass

    async def recv(self) -> str:
        self.read += 1
        return str(self.read)

    async def close(self) -> None:
        pass


def test_a_session_with_frames_always_waiting_lets_the_loop_run_and_can_be_cancelled() -> None:
    limit = 300_000  # frames the consumer would read if neither the timer nor the cancellation got through

    async def scenario() -> tuple[float, bool, int]:
        connection = _AlwaysBuffered()

        async def opened(*args: object, **options: object) -> _AlwaysBuffered:
            return connection

        async def consume() -> None:
            async for _ in frames(StreamSpec("flood ws0", "ws://flood"), FAST, open_connection=opened):
                if connection.read >= limit:
                    return

        loop = asyncio.get_running_loop()
        consumer = asyncio.create_task(consume())
        started = loop.time()
        await asyncio.sleep(0.05)  # a timer, like the flush's and the stop's
        late = loop.time() - started - 0.05
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer
        return late, consumer.cancelled(), connection.read

    late, cancelled, read = asyncio.run(scenario())
    assert late < 0.5  # within a few 5 ms slices, not after the whole flood
    assert cancelled and read < limit  # the cancellation ended the session; it was not swallowed
