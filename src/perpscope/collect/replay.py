"""Recorded frames back through the venues' parsers into the store: how recordings become history.

Replaying is idempotent (the store's natural keys), so replaying after a crash, or twice, stores nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from perpscope.collect.connector import Connector
from perpscope.collect.recorder import read_frames, recordings
from perpscope.errors import InputError, ParseError
from perpscope.models import Record
from perpscope.store.base import Store

log = logging.getLogger(__name__)

BATCH = 50_000


@dataclass(frozen=True)
class ReplayCount:
    files: int
    frames: int
    malformed: int  # frames the parser rejected
    records: int  # records parsed
    added: int  # records new to the store


def replay(
    folder: str | Path,
    connectors: Mapping[str, Connector],
    store: Store,
    *,
    since_ms: int | None = None,
    progress: Callable[[Path], None] | None = None,
) -> ReplayCount:
    """Replay every recording under ``folder`` (only frames received at or after ``since_ms``, if given)."""
    paths = recordings(folder)
    if not paths:
        raise InputError(f"no recordings (*.jsonl.gz) under {folder}")
    frames = malformed = parsed = added = 0
    batch: list[Record] = []
    for path in paths:
        if progress is not None:
            progress(path)
        for frame in read_frames(path):
            if since_ms is not None and frame.t < since_ms:
                continue
            frames += 1
            connector = connectors.get(frame.v)
            if connector is None:
                raise InputError(f"{path}: frames of venue {frame.v!r}, which this perpscope has no connector for")
            try:
                batch.extend(connector.parse(frame.k, frame.p, frame.t))
            except ParseError as error:
                malformed += 1
                log.warning("%s: frame at %d skipped: %s", path, frame.t, error)
            if len(batch) >= BATCH:
                parsed, added = parsed + len(batch), added + _write(store, batch)
                batch = []
    parsed, added = parsed + len(batch), added + _write(store, batch)
    return ReplayCount(len(paths), frames, malformed, parsed, added)


def _write(store: Store, batch: list[Record]) -> int:
    if not batch:
        return 0
    return sum(count.added for count in store.write_records(batch).values())
