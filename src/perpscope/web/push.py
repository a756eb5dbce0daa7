"""Live push: new liquidations, funding prints and signals to every open page, over server-sent events.

One poller per server, not per client: every ``interval_s`` (default 0.25 s) it asks the store for liquidation
and funding rows whose receipt time ``ts_recv`` is newer than the newest it has seen (minus a 2-second overlap,
de-duplicated by natural key, so a batch committed slightly out of receipt order is not missed) — a cheap query,
since rows arrive in receipt order and DuckDB's zone maps skip all but the newest row groups. Each new row goes to
every subscriber's bounded queue; a client too slow to drain its queue is dropped rather than letting the queue
grow. Signals are recomputed at most every ``signals_every_s`` for the bases that received data, and only signals
not seen before are pushed. Server-sent events rather than a websocket: one direction is all the page needs, the
browser's EventSource reconnects by itself, and it is plain HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from typing import Any

import polars as pl
from fastapi import APIRouter, HTTPException
from starlette.responses import StreamingResponse

from perpscope.api import Perpscope
from perpscope.service import analysis
from perpscope.service import dashboard as board
from perpscope.store import schema
from perpscope.times import MS_PER_DAY, now_ms
from perpscope.web.limits import MAX_PUSH_CLIENTS
from perpscope.web.responses import encode

log = logging.getLogger(__name__)

OVERLAP_MS = 2_000
ROWS_PER_POLL = 500
QUEUE_EVENTS = 2_000
HEARTBEAT_S = 15.0
SIGNAL_LOOKBACK_MS = 2 * MS_PER_DAY

Event = tuple[str, dict[str, Any]]


class PushHub:
    def __init__(
        self,
        opener: Callable[[], AbstractContextManager[Perpscope]],
        interval_s: float = 0.25,
        signals_every_s: float = 5.0,
    ):
        self.opener = opener
        self.interval_s = interval_s
        self.signals_every_s = signals_every_s
        self.subscribers: set[asyncio.Queue[Event]] = set()
        self.polls = 0
        self._last: dict[str, int] = {}
        self._seen: dict[str, dict[tuple[Any, ...], int]] = {table: {} for table in board.PUSHED_TABLES}
        self._seen_signals: set[tuple[Any, ...]] | None = None
        self._dirty_bases: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._poll_loop()), asyncio.create_task(self._signal_loop())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- polling ---------------------------------------------------------------------------------------------

    async def _poll_loop(self) -> None:
        while True:
            try:
                events = await asyncio.to_thread(self.poll)
            except Exception as error:  # a busy or vanished store must not end live push for good
                log.warning("live push: poll failed: %s", error)
                events = []
            for event in events:
                self.publish(event)
            await asyncio.sleep(self.interval_s)

    def poll(self) -> list[Event]:
        """One look at the store: the rows received since the last look, as events."""
        events: list[Event] = []
        with self.opener() as api:
            for table in board.PUSHED_TABLES:
                if table not in self._last:  # the first look learns what is already there and pushes none of it
                    self._last[table] = board.newest_receipt(api.store, table)
                    self._new_rows(api, table)
                    continue
                events += self._new_rows(api, table)
        self.polls += 1
        return events

    def _new_rows(self, api: Perpscope, table: str) -> list[Event]:
        key_columns = schema.table(table).key
        last = self._last[table]
        # The overlap (rows committed late with a receipt time we have passed) and what is strictly newer are read
        # apart, each bounded, so a burst inside the overlap cannot starve the new rows.
        overlap = board.received_since(api.store, table, last - OVERLAP_MS, ROWS_PER_POLL, up_to_recv=last)
        frame = pl.concat([overlap, board.received_since(api.store, table, last, ROWS_PER_POLL)])
        seen = self._seen[table]
        kind = "liquidation" if table == "liquidations" else "funding"
        events: list[Event] = []
        for row in frame.iter_rows(named=True):
            key = tuple(row[name] for name in key_columns)
            if key in seen:
                continue
            seen[key] = row["ts_recv"]
            self._last[table] = max(self._last[table], int(row["ts_recv"]))
            self._dirty_bases.add(str(row["symbol"]).split("-", 1)[0])
            events.append((kind, {**row, "pushed_ms": now_ms()}))
        horizon = self._last[table] - OVERLAP_MS
        for key in [key for key, received in seen.items() if received < horizon]:
            del seen[key]
        return events

    async def _signal_loop(self) -> None:
        while True:
            await asyncio.sleep(self.signals_every_s)
            if not self._dirty_bases and self._seen_signals is not None:
                continue
            bases, self._dirty_bases = self._dirty_bases, set()
            try:
                for event in await asyncio.to_thread(self.new_signals, bases):
                    self.publish(event)
            except Exception as error:
                log.warning("live push: signals failed: %s", error)

    def new_signals(self, bases: set[str]) -> list[Event]:
        """Signals over the last two days of each base that are not yet known; the first call only learns."""
        found: list[Event] = []
        learning = self._seen_signals is None
        seen = self._seen_signals if self._seen_signals is not None else set()
        with self.opener() as api:
            names = bases if not learning else set(api.bases("funding"))
            for base in sorted(names):
                until = board.present(api.store, base)
                if until is None:
                    continue
                for signal in analysis.signals(api.store, base, until - SIGNAL_LOOKBACK_MS, until):
                    key = (signal.symbol, signal.kind.value, signal.time)
                    if key not in seen:
                        seen.add(key)
                        found.append(("signal", {**signal_fields(signal), "pushed_ms": now_ms()}))
        self._seen_signals = seen
        return [] if learning else found

    # -- subscribers -----------------------------------------------------------------------------------------

    def publish(self, event: Event) -> None:
        for queue in list(self.subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self.subscribers.discard(queue)  # too slow: drop it; its stream ends and the browser reconnects

    async def stream(self, queue: asyncio.Queue[Event]) -> AsyncIterator[bytes]:
        try:
            yield b"retry: 1000\n\n"
            while queue in self.subscribers:
                try:
                    kind, data = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_S)
                except TimeoutError:
                    yield b": heartbeat\n\n"
                    continue
                yield b"event: " + kind.encode() + b"\ndata: " + encode(data) + b"\n\n"
        finally:
            self.subscribers.discard(queue)

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/api/live", include_in_schema=False)
        async def live() -> StreamingResponse:
            """Server-sent events: ``liquidation``, ``funding`` and ``signal``, each one JSON row."""
            if len(self.subscribers) >= MAX_PUSH_CLIENTS:
                raise HTTPException(503, f"at most {MAX_PUSH_CLIENTS} live connections; close a page and retry")
            queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=QUEUE_EVENTS)
            self.subscribers.add(queue)
            headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
            return StreamingResponse(self.stream(queue), media_type="text/event-stream", headers=headers)

        return router


def signal_fields(signal: Any) -> dict[str, Any]:
    return {
        "time": signal.time,
        "symbol": signal.symbol,
        "kind": signal.kind.value,
        "strength": signal.strength,
        "evidence": signal.evidence,
        "sentence": signal.sentence,
    }
