"""Batches records in memory; the owner calls :meth:`flush` at most every second: one ``store.write_records``.

Writes are at-least-once: a batch that fails (the embedded file is busy, say) stays queued and is retried with
the next one; the store's natural keys make repeats harmless. A SIGKILL loses at most the records received since
the last flush, i.e. under ``flush_interval_s``. Store calls are synchronous, so they run in a thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import msgspec

from perpscope.errors import StoreError
from perpscope.models import Record
from perpscope.store.base import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriterSettings:
    flush_interval_s: float = 1.0  # the loss bound on SIGKILL without the recorder
    source_prefix: str = ""  # put before every record's source ("sim " for the simulator: labelled as such)


class BatchWriter:
    def __init__(self, store: Store, settings: WriterSettings = WriterSettings()):
        self.store = store
        self.settings = settings
        self.received = 0
        self.added = 0
        self.flushes = 0
        self.failures = 0
        self._pending: list[Record] = []
        self._lock = asyncio.Lock()

    def add(self, records: Iterable[Record]) -> None:
        prefix = self.settings.source_prefix
        if prefix:
            records = [msgspec.structs.replace(record, source=prefix + record.source) for record in records]
        self._pending.extend(records)

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def flush(self) -> int:
        """Write what is pending; returns how many records were new to the store."""
        async with self._lock:
            batch, self._pending = self._pending, []
            if not batch:
                return 0
            try:
                counts = await asyncio.to_thread(self.store.write_records, batch)
            except StoreError as error:
                self.failures += 1
                self._pending = batch + self._pending  # kept for the next attempt: at-least-once
                log.warning("write failed, %d records kept for the next flush: %s", len(batch), error)
                return 0
            self.flushes += 1
            self.received += len(batch)
            added = sum(count.added for count in counts.values())
            self.added += added
            return added
