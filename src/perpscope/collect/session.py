"""One websocket session as an async iterator: frames with their receipt time, and a marker per reconnect.

The session owns everything that keeps a subscription alive: the subscribe messages (sent again after every
reconnect), an application heartbeat for venues that want one, stale detection (no frame for ``stale_after_s``
means the connection is dead even if TCP has not noticed: a half-open socket), and reconnection with exponential
backoff and jitter. The caller only sees :class:`Frame` and, after each reconnect, one :class:`Reconnected`
naming the span in which frames may have been missed.

Receipt times (ms) are strictly increasing within a session: frames read in the same millisecond get consecutive
milliseconds. Venues whose messages carry no time of their own (Hyperliquid's asset contexts) are keyed by
receipt time, and would otherwise lose all but one of a burst.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from perpscope.errors import NetworkError

Connect = Callable[..., Any]  # ``websockets.asyncio.client.connect`` or a stand-in with its signature


@dataclass(frozen=True)
class SessionSettings:
    stale_after_s: float = 30.0  # no frame at all for this long: reconnect
    heartbeat_s: float = 20.0  # how often the application heartbeat (if the venue has one) is sent
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    jitter: float = 0.5  # each delay is stretched by a random fraction up to this
    open_timeout_s: float = 10.0
    first_attempts: int = 3  # failed attempts before the very first connection is declared impossible


@dataclass(frozen=True)
class StreamSpec:
    """Where to connect and what to say once connected."""

    key: str  # stable name of the stream, recorded with every frame (the connector parses by it)
    url: str
    subscribe: tuple[str, ...] = ()
    heartbeat: str | None = None  # an application-level ping text; protocol pings are automatic
    subscribe_interval_s: float = 0.0  # pause between subscribe messages (venues cap messages per second)


@dataclass(frozen=True)
class Frame:
    key: str
    ts_recv: int  # ms UTC
    payload: str


@dataclass(frozen=True)
class Reconnected:
    """The connection was lost and is back: frames between ``down_from`` and ``down_until`` (ms) may be missing."""

    key: str
    down_from: int
    down_until: int
    reason: str
    attempts: int


class _Lost(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def backoff_delay(attempt: int, settings: SessionSettings, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt ``attempt`` (1-based): doubling from the initial delay, capped, jittered."""
    base = min(settings.backoff_max_s, settings.backoff_initial_s * 2.0 ** (attempt - 1))
    return base * (1 + settings.jitter * (rng or random).random())


async def frames(
    spec: StreamSpec, settings: SessionSettings, *, open_connection: Connect = connect
) -> AsyncIterator[Frame | Reconnected]:
    """Frames of ``spec`` forever (until the consumer stops iterating). Raises NetworkError only when the very
    first connection fails ``settings.first_attempts`` times in a row: then the venue is unreachable."""
    connected_once = False
    last_seen = now_ms()
    reason = ""
    failures = 0
    while True:
        try:
            connection = await _open(spec, settings, open_connection)
        except _Lost as lost:
            failures += 1
            if not connected_once and failures >= settings.first_attempts:
                raise NetworkError(f"cannot connect to {_where(spec.url)}: {lost.reason}") from None
            reason = reason or lost.reason
            await asyncio.sleep(backoff_delay(failures, settings))
            continue
        if connected_once:
            yield Reconnected(spec.key, last_seen, now_ms(), reason, failures + 1)
        connected_once, failures = True, 0
        try:
            async for frame in _receive(connection, spec, settings):
                if frame.ts_recv <= last_seen:  # strictly increasing: frames read in one burst stay distinct
                    frame = dataclasses.replace(frame, ts_recv=last_seen + 1)
                last_seen = frame.ts_recv
                yield frame
        except _Lost as lost:
            reason = lost.reason
        finally:
            await _close(connection)
        await asyncio.sleep(backoff_delay(1, settings))


async def _open(spec: StreamSpec, settings: SessionSettings, open_connection: Connect) -> ClientConnection:
    try:
        connection: ClientConnection = await open_connection(
            spec.url, open_timeout=settings.open_timeout_s, max_size=2**24, close_timeout=1
        )
        for position, message in enumerate(spec.subscribe):
            if position and spec.subscribe_interval_s:
                await asyncio.sleep(spec.subscribe_interval_s)
            await connection.send(message)
    except (OSError, TimeoutError, WebSocketException) as error:
        raise _Lost(_describe(error)) from None
    return connection


async def _receive(connection: ClientConnection, spec: StreamSpec, settings: SessionSettings) -> AsyncIterator[Frame]:
    loop = asyncio.get_running_loop()
    last_frame = loop.time()
    next_heartbeat = last_frame + settings.heartbeat_s
    while True:
        deadline = last_frame + settings.stale_after_s
        wake = min(deadline, next_heartbeat) if spec.heartbeat else deadline
        try:
            message = await asyncio.wait_for(connection.recv(), timeout=max(0.0, wake - loop.time()))
        except TimeoutError:
            if loop.time() >= deadline:
                raise _Lost(f"stale: no data for {settings.stale_after_s:g} s") from None
            await _send(connection, spec.heartbeat or "")
            next_heartbeat = loop.time() + settings.heartbeat_s
            continue
        except (OSError, WebSocketException) as error:
            raise _Lost(_describe(error)) from None
        last_frame = loop.time()
        text = message if isinstance(message, str) else bytes(message).decode("utf-8", errors="replace")
        yield Frame(spec.key, now_ms(), text)


async def _send(connection: ClientConnection, text: str) -> None:
    try:
        await connection.send(text)
    except (OSError, WebSocketException) as error:
        raise _Lost(_describe(error)) from None


async def _close(connection: ClientConnection) -> None:
    with contextlib.suppress(OSError, TimeoutError, WebSocketException):  # it is being abandoned anyway
        await asyncio.wait_for(connection.close(), timeout=1.0)


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}" if type(error).__name__ not in text else text


def _where(url: str) -> str:
    return url.split("?", 1)[0]
