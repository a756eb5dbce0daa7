"""The collector under a flood of frames: it keeps its one-second flush, stops promptly when told, and stamps
receipt times that never run ahead of the wall clock.

The flood is real: a websocket server sending as fast as it can, or the fake Binance on a thread of its own playing
a market whose every step is already due, so frames are always waiting when the collector reads. That is the
condition under which a cancelled stream used to carry on reading (the stop never took effect) and receipt times
ran seconds ahead of the clock."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from collect_helpers import now_ms, stored_keys
from websockets.asyncio.server import ServerConnection, serve

from perpscope.collect.collector import Collector, CollectorSettings
from perpscope.collect.connector import ConnectorSettings, Intervals, VenueUrls
from perpscope.collect.session import Frame, SessionSettings, StreamSpec, frames
from perpscope.fakevenue.background import BackgroundVenue
from perpscope.fakevenue.binance import BinanceDialect
from perpscope.fakevenue.market import Event, scripted
from perpscope.store import DuckDBStore, schema
from perpscope.venues.binance.connector import BinanceConnector

FLOOD_FRAMES = 20_000
BASES = ("BTC", "ETH", "SOL", "XRP", "DOGE", "BNB", "ADA", "AVAX", "LINK", "DOT")
FLOOD_S = 4.0  # how long the collector reads the flood before it is told to stop
STOP_BOUND_S = 5.0  # it must have stopped (last batch written) this soon after stop()
QUIET = Intervals(open_interest_s=60.0, funding_s=60.0, history_s=60.0)  # the websocket does the work here


def test_receipt_times_never_run_ahead_of_the_wall_clock_at_a_high_rate() -> None:
    """20,000 frames on one connection, sent back to back: many are read in each millisecond."""

    async def flood(connection: ServerConnection) -> None:
        for number in range(FLOOD_FRAMES):
            await connection.send(str(number))
        await connection.wait_closed()

    async def scenario() -> tuple[list[tuple[Frame, int]], float]:
        async with serve(flood, "127.0.0.1", 0) as server:
            spec = StreamSpec("flood ws0", f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/")
            taken: list[tuple[Frame, int]] = []
            started = time.monotonic()
            async for item in frames(spec, SessionSettings(stale_after_s=10.0)):
                assert isinstance(item, Frame)
                taken.append((item, now_ms()))  # the wall clock as the frame is handed over
                if len(taken) == FLOOD_FRAMES:
                    break
            return taken, time.monotonic() - started

    taken, elapsed = asyncio.run(scenario())
    assert FLOOD_FRAMES / elapsed > 2_000  # well above 1,000 a second: the old +1 ms rule would have run ahead
    assert [frame.payload for frame, _ in taken] == [str(number) for number in range(FLOOD_FRAMES)]
    lead = max(frame.ts_recv - clock for frame, clock in taken)
    assert lead <= 0, f"a receipt time ran {lead} ms ahead of the clock"
    stamps = [frame.ts_recv for frame, _ in taken]
    assert stamps == sorted(stamps)  # the wall clock does not go back
    assert len(set(stamps)) < FLOOD_FRAMES / 2  # many frames share a millisecond: nothing is invented


class _TimedCollector(Collector):
    """The real collector, noting when each flush completed (monotonic seconds)."""

    flushed_at: list[float]

    async def flush(self) -> None:
        await super().flush()
        self.flushed_at.append(time.monotonic())


def test_a_flooded_collector_flushes_every_second_and_stops_when_told(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "flood.duckdb")
    with BackgroundVenue(BinanceDialect()) as background:
        background.publish_all(scripted(BASES, 1, now_ms() - 60_000))  # the venue knows every symbol before polls
        urls = VenueUrls(background.venue.rest_url, background.venue.websocket_url)
        connector = BinanceConnector(ConnectorSettings(BASES, QUIET, urls))
        collector = _TimedCollector([connector], store, CollectorSettings(session=SessionSettings(stale_after_s=10.0)))
        collector.flushed_at = []
        stopped_after, flood_started = asyncio.run(_flood_then_stop(collector, background))
    sent = background.venue.ledger.texts_written
    delivered = background.venue.ledger.delivered_keys("prices")
    stored = sum(store.count(name) for name in sorted({table.name for table in schema.TABLE_OF_RECORD.values()}))
    prices = set(stored_keys(store, "prices"))
    latest = store.query("SELECT max(ts_recv) AS latest FROM prices")["latest"][0]
    store.close()

    assert stopped_after < STOP_BOUND_S, f"stop() took {stopped_after:.1f} s"
    assert collector.status.messages > 5_000 and sent > collector.status.messages  # it was flooded
    during = [at - flood_started for at in collector.flushed_at]
    assert len(during) >= int(FLOOD_S)  # one a second while flooded, and the last one on stopping
    spacings = [later - earlier for earlier, later in zip([0.0, *during], during, strict=False)]
    assert max(spacings) < 2.5, spacings  # a 1 s cadence; a slow write may stretch one, none may be skipped
    assert (collector.writer.pending, collector.writer.failures) == (0, 0)  # nothing left behind in memory
    assert stored == collector.status.stored > 5_000  # every record read was written, each once
    assert len(prices) > 5_000 and prices <= delivered
    assert latest <= now_ms()


async def _flood_then_stop(collector: Collector, background: BackgroundVenue) -> tuple[float, float]:
    """Seconds from stop() to run() returning (inf if it did not within twice the bound), and when the flood began."""
    running = asyncio.create_task(collector.run())
    while background.venue.connections == 0:
        await asyncio.sleep(0.01)
    flood_started = time.monotonic()
    over = threading.Event()
    background.play(_flood(over))
    try:
        return await _stop_after_flood(collector, running), flood_started
    finally:
        over.set()


async def _stop_after_flood(collector: Collector, running: asyncio.Task[None]) -> float:
    await asyncio.sleep(FLOOD_S)
    collector.stop()
    told = time.monotonic()
    done, _ = await asyncio.wait({running}, timeout=2 * STOP_BOUND_S)
    if not done:  # a stream kept reading after its cancellation: end it the hard way so the test can report
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        return float("inf")
    running.result()
    return time.monotonic() - told


def _flood(over: threading.Event) -> Iterator[Event]:
    """A market whose every step is already due, so the venue sends as fast as its thread can, until ``over`` is
    set (a venue publishing to no client never yields its loop, so the flood must end by itself)."""
    for event in scripted(BASES, count=10**7, start_ms=now_ms() - 10**9, step_ms=1):
        if over.is_set():
            return
        yield event
