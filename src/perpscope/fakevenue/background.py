"""A fake venue on its own thread and event loop, for callers that are not async (CLI tests, a subprocess's
counterpart, the simulator's driver). Coroutines are handed to its loop with :meth:`BackgroundVenue.call`."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterable
from concurrent.futures import Future
from types import TracebackType
from typing import Any, TypeVar

from perpscope.fakevenue.dialect import Dialect
from perpscope.fakevenue.faults import NO_FAULTS, FaultPlan
from perpscope.fakevenue.market import Event
from perpscope.fakevenue.server import FakeVenue

T = TypeVar("T")


class BackgroundVenue:
    def __init__(self, dialect: Dialect, faults: FaultPlan = NO_FAULTS, *, port: int = 0):
        self.venue = FakeVenue(dialect, faults, port=port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-venue", daemon=True)
        self._playing: list[Future[None]] = []

    def __enter__(self) -> BackgroundVenue:
        self._thread.start()
        self.call(self.venue.start())
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for playing in self._playing:
            playing.cancel()
        self.call(self.venue.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def call(self, job: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run ``job`` on the venue's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(job, self._loop).result(timeout)

    def play(self, events: Iterable[Event]) -> Future[None]:
        """Start playing ``events`` on their wall-clock schedule; returns at once."""
        playing = asyncio.run_coroutine_threadsafe(self.venue.play(events), self._loop)
        self._playing.append(playing)
        return playing

    def publish_all(self, events: Iterable[Event]) -> None:
        """Publish ``events`` now, ignoring their times (history for REST to serve)."""

        async def publish() -> None:
            for event in events:
                await self.venue.publish(event)

        self.call(publish())
