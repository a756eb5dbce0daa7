"""The collector: every venue's streams and polls, parsed into records, flushed to the store every second.

One asyncio task per websocket stream, per poll and per backfill; one flush loop that writes the records of the
last second in one transaction. The recorder (when on) writes each raw frame before it is parsed, so a recording
always holds at least what the store holds. A venue whose first connection fails is reported once and dropped; the
collector stops when told (:meth:`Collector.stop`, wired to SIGINT/SIGTERM by the CLI) or when no venue is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import connect

from perpscope.collect import gaps
from perpscope.collect.connector import Carried, Connector, HistoryPoll, PollPlan, StreamPlan
from perpscope.collect.recorder import Recorder
from perpscope.collect.session import Connect, Frame, SessionSettings, frames, now_ms
from perpscope.collect.status import Status
from perpscope.collect.writer import BatchWriter, WriterSettings
from perpscope.errors import ParseError, VenueError
from perpscope.store.base import Store

log = logging.getLogger(__name__)
RETRY_FAILED_POLL_S = 60.0  # a poll that failed after having worked is tried again this soon at the latest


@dataclass(frozen=True)
class CollectorSettings:
    session: SessionSettings = field(default_factory=SessionSettings)
    writer: WriterSettings = field(default_factory=WriterSettings)
    edge_ms: int = 1_000  # backfill spans are widened by this much on both sides: clocks and edges differ


class Collector:
    def __init__(
        self,
        connectors: Sequence[Connector],
        store: Store,
        settings: CollectorSettings = CollectorSettings(),
        *,
        recorder: Recorder | None = None,
        open_connection: Connect = connect,
    ):
        self.connectors = list(connectors)
        self.settings = settings
        self.recorder = recorder
        self.writer = BatchWriter(store, settings.writer)
        self.status = Status()
        self.errors: dict[str, str] = {}  # venue -> why it was dropped
        self._open_connection = open_connection
        self._stop = asyncio.Event()
        self._venue_tasks: dict[str, list[asyncio.Task[None]]] = {}
        self._backfills: set[asyncio.Task[None]] = set()

    def stop(self) -> None:
        self._stop.set()

    async def run(self, *, backfill_since: dict[str, int] | None = None) -> None:
        """Collect until :meth:`stop` or until every venue has failed. ``backfill_since`` maps a venue to the time
        (ms) to backfill its history channels from at start: the restart gap."""
        for connector in self.connectors:
            self._start_venue(connector)
            since = (backfill_since or {}).get(connector.venue)
            if since is not None:
                self._restart_backfill(connector, since)
        flusher = asyncio.create_task(self._flush_loop())
        watcher = asyncio.create_task(self._stop_when_no_venue_left())
        await self._stop.wait()
        watcher.cancel()
        await self._cancel([task for tasks in self._venue_tasks.values() for task in tasks] + list(self._backfills))
        await flusher  # it ends at the stop (after finishing a write it may be in)...
        await self.flush()  # ...so the last batch is taken only once every producer has stopped
        for connector in self.connectors:
            await connector.http.close()

    def _start_venue(self, connector: Connector) -> None:
        self._venue_tasks[connector.venue] = [asyncio.create_task(self._open_venue(connector))]

    async def _open_venue(self, connector: Connector) -> None:
        """Reference data first (parsers may need it), then every stream and poll of the venue."""
        polls = connector.polls()
        for plan in [plan for plan in polls if plan.first]:
            try:
                payload = await plan.fetch(connector.http)
            except VenueError as error:
                self._fail_venue(connector, error)
                return
            self._take(connector, plan.key, payload.decode("utf-8", errors="replace"), now_ms())
        jobs: list[Coroutine[Any, Any, None]] = [self._stream(connector, plan) for plan in connector.streams()]
        jobs += [self._poll(connector, plan, delay=plan.interval_s if plan.first else 0.0) for plan in polls]
        jobs += [self._follow_history(connector, plan) for plan in connector.history_polls()]
        self._venue_tasks[connector.venue] += [asyncio.create_task(job) for job in jobs]

    async def _stop_when_no_venue_left(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            if all(all(task.done() for task in tasks) for tasks in self._venue_tasks.values()):
                self.stop()
                return

    def _fail_venue(self, connector: Connector, error: VenueError) -> None:
        """The venue cannot be reached at all: say so once, and stop its other tasks."""
        if connector.venue in self.errors:
            return
        self.errors[connector.venue] = str(error)
        log.info("%s dropped: %s", connector.venue, error)  # the caller reports self.errors
        for task in self._venue_tasks.get(connector.venue, []):
            if task is not asyncio.current_task():
                task.cancel()

    # -- producers -----------------------------------------------------------------------------------------

    async def _stream(self, connector: Connector, plan: StreamPlan) -> None:
        try:
            async for item in frames(plan.spec, self.settings.session, open_connection=self._open_connection):
                if isinstance(item, Frame):
                    self._take(connector, item.key, item.payload, item.ts_recv)
                    continue
                counters = self.status.stream(item.key)
                counters.reconnects += 1
                counters.last_error = item.reason
                log.warning("%s reconnected after %d ms: %s", item.key, item.down_until - item.down_from, item.reason)
                self._plan_recovery(connector, plan.carries, item.down_from, item.down_until, item.reason)
        except VenueError as error:
            self._fail_venue(connector, error)

    async def _poll(self, connector: Connector, plan: PollPlan, delay: float = 0.0) -> None:
        succeeded_at: int | None = now_ms() if delay else None  # a delayed poll has already succeeded once
        failing_since: int | None = None
        await asyncio.sleep(delay)
        while True:
            try:
                payload = await plan.fetch(connector.http)
            except VenueError as error:
                if succeeded_at is None:
                    self._fail_venue(connector, error)
                    return
                self.status.poll_failures += 1
                self.status.stream(plan.key).last_error = str(error)
                failing_since = failing_since or succeeded_at
                await asyncio.sleep(min(plan.interval_s, RETRY_FAILED_POLL_S))  # hourly reference data: not an hour
                continue
            else:
                received = now_ms()
                self._take(connector, plan.key, payload.decode("utf-8", errors="replace"), received)
                if failing_since is not None:
                    self._plan_recovery(connector, plan.carries, failing_since, received, "poll failed")
                succeeded_at, failing_since = received, None
            await asyncio.sleep(plan.interval_s)

    async def _follow_history(self, connector: Connector, plan: HistoryPoll) -> None:
        """Page the channel's history from just after the newest record seen; a failed round is simply covered
        by the next one, which starts from the same place."""
        item = plan.carried
        key = f"{connector.venue} {item.channel} {item.native_symbol}"
        since = now_ms() - plan.lookback_ms
        while True:
            until = now_ms()
            try:
                async for page in connector.backfill(item.channel, item.symbol, since, until):
                    self.status.message(key, until)
                    self.writer.add(page)
                    since = max(since, max(record.ts_event for record in page) + 1)
            except VenueError as error:
                self.status.poll_failures += 1
                self.status.stream(key).last_error = str(error)
            await asyncio.sleep(plan.interval_s)

    def _take(self, connector: Connector, key: str, payload: str, ts_recv: int) -> None:
        self.status.message(key, ts_recv)
        if self.recorder is not None:
            self.recorder.add(connector.venue, key, ts_recv, payload)
        try:
            records = connector.parse(key, payload, ts_recv)
        except ParseError as error:
            self.status.stream(key).malformed += 1
            log.warning("%s: malformed message skipped: %s", key, error)
            return
        self.writer.add(records)

    # -- gaps and backfill ---------------------------------------------------------------------------------

    def _plan_recovery(self, connector: Connector, carries: Sequence[Carried], start: int, end: int, why: str) -> None:
        edge = self.settings.edge_ms
        plan = gaps.plan(connector.venue, carries, start - edge, end + edge, why, connector.can_backfill)
        self.writer.add(plan.gaps)
        self.status.gaps += len(plan.gaps)
        for request in plan.backfills:
            self._spawn(self._backfill(connector, request))

    def _restart_backfill(self, connector: Connector, since: int) -> None:
        carried = {item for stream in connector.streams() for item in stream.carries}
        carried |= {item for poll in connector.polls() for item in poll.carries}
        self._plan_recovery(connector, sorted(carried, key=str), since, now_ms(), "restart")

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(job)
        self._backfills.add(task)
        task.add_done_callback(self._backfills.discard)

    async def _backfill(self, connector: Connector, request: gaps.BackfillRequest) -> None:
        try:
            async for page in connector.backfill(request.channel, request.symbol, request.since, request.until):
                self.writer.add(page)
                self.status.backfilled += len(page)
        except VenueError as error:
            log.warning("backfill of %s %s failed: %s", request.venue, request.channel, error)
            self.writer.add([gaps.failed_backfill(request, str(error))])
            self.status.gaps += 1
            return
        self.writer.add([gaps.filled(request)])

    @property
    def backfilling(self) -> int:
        return len(self._backfills)

    # -- flushing ------------------------------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        """Flush on a fixed cadence (not interval-after-write), so a slow write does not stretch the loss bound."""
        loop = asyncio.get_running_loop()
        interval = self.settings.writer.flush_interval_s
        deadline = loop.time() + interval
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    await self._stop.wait()
            if self._stop.is_set():
                return  # run() flushes last, after the producers have stopped
            deadline = max(deadline + interval, loop.time())
            await self.flush()

    async def flush(self) -> None:
        await self.writer.flush()
        self.status.stored = self.writer.added
        self.status.repeated = self.writer.received - self.writer.added

    @staticmethod
    async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


HISTORY_TABLES = ("liquidations", "prices", "funding", "open_interest")


def restart_since(store: Store, venue: str, now: int, max_lookback_ms: int) -> int | None:
    """When this venue's collection last received anything (ms), not further back than ``max_lookback_ms``: the
    start of the restart gap. None for a venue never collected into this store."""
    latest: int | None = None
    for table in HISTORY_TABLES:
        sql = f"SELECT max(ts_recv) AS latest FROM {table} WHERE venue = ? AND source NOT LIKE 'import%'"
        frame = store.query(sql, [venue])
        value = frame["latest"][0]
        if value is not None and (latest is None or int(value) > latest):
            latest = int(value)
    return None if latest is None else max(latest, now - max_lookback_ms)
