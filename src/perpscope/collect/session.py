"""One websocket session as an async iterator: frames with their receipt time, and a marker per reconnect.

The session owns everything that keeps a subscription alive: the subscribe messages (sent again after every
reconnect), an application heartbeat for venues that want one, stale detection (no frame for ``stale_after_s``
means the connection is dead even if TCP has not noticed: a half-open socket), and reconnection with exponential
backoff and jitter. The caller only sees :class:`Frame` and, after each reconnect, one :class:`Reconnected`
naming the span in which frames may have been missed.

Receipt times (ms) are the wall clock when the frame was read, never ahead of it: frames read in one millisecond
share it. A venue whose messages carry no time of their own makes its keys unique in its own connector.

Cancelling the consumer always ends the session. Two things make that so under load, when frames are already
buffered and ``recv`` returns without suspending: the receive timeout is ``asyncio.timeout`` (Python 3.11's
``asyncio.wait_for`` swallows a cancellation that arrives as the awaited ``recv`` completes, and with a frame
always waiting it always does), and the session yields to the event loop once per time slice, so timers
(the flush, the stop) and other streams run however fast frames arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException
from websockets.protocol import State

from perpscope.errors import NetworkError

Connect = Callable[..., Any]  # ``websockets.asyncio.client.connect`` or a stand-in with its signature
CLOSE_TIMEOUT_S = 1.0  # how long a closing handshake may take before the TCP connection is dropped
TIME_SLICE_S = 0.005  # longest a session reads buffered frames (and its consumer handles them) before yielding


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
            spec.url, open_timeout=settings.open_timeout_s, max_size=2**24, close_timeout=CLOSE_TIMEOUT_S
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
    slice_end = last_frame + TIME_SLICE_S
    while True:
        deadline = last_frame + settings.stale_after_s
        try:
            async with asyncio.timeout_at(min(deadline, next_heartbeat) if spec.heartbeat else deadline):
                message = await connection.recv()
        except TimeoutError:
            if loop.time() >= deadline:
                raise _Lost(f"stale: no data for {settings.stale_after_s:g} s") from None
            await _send(connection, spec.heartbeat or "")
            next_heartbeat = loop.time() + settings.heartbeat_s
            continue
        except (OSError, WebSocketException) as error:
            raise _Lost(_describe(error)) from None
        frame = Frame(spec.key, now_ms(), message if isinstance(message, str) else _text(message))
        last_frame = loop.time()
        if last_frame >= slice_end:  # a buffered frame is returned without suspending: let the loop run
            await asyncio.sleep(0)
            slice_end = loop.time() + TIME_SLICE_S
        yield frame


def _text(message: bytes | bytearray | memoryview) -> str:
    return bytes(message).decode("utf-8", errors="replace")


async def _send(connection: ClientConnection, text: str) -> None:
    try:
        await connection.send(text)
    except (OSError, WebSocketException) as error:
        raise _Lost(_describe(error)) from None


async def _close(connection: ClientConnection) -> None:
    """The closing handshake, which websockets ends by dropping the TCP connection after ``CLOSE_TIMEOUT_S``;
    the outer bound is longer so it never cuts that short, which would leave the socket open and the venue
    waiting on it. Cancelled meanwhile (shutdown), the connection is dropped at once."""
    try:
        with contextlib.suppress(OSError, TimeoutError, WebSocketException):  # it is being abandoned anyway
            async with asyncio.timeout(CLOSE_TIMEOUT_S + 1.0):
                await connection.close()
    finally:
        if connection.state is not State.CLOSED:
            connection.transport.abort()


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}" if type(error).__name__ not in text else text


def _where(url: str) -> str:
    return url.split("?", 1)[0]
