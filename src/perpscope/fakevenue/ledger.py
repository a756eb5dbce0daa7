"""What a fake venue published and what it actually delivered, as the records a correct collector stores.

``published`` holds every event of the market; ``delivered`` the records of every frame sent and every 200
response written (keyed as the store keys them, so a record sent twice counts once). A test compares the store
with ``delivered`` and checks that whatever was published but never delivered lies inside a recorded gap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from perpscope.fakevenue.market import Event
from perpscope.models import Record
from perpscope.store import schema


def record_key(record: Record) -> tuple[str, tuple[Any, ...]]:
    """(table, natural key values) of a record: two records with equal keys are one row in the store."""
    spec = schema.TABLE_OF_RECORD[type(record)]
    return spec.name, tuple(getattr(record, name) for name in spec.key)


@dataclass
class Ledger:
    published: list[Event] = field(default_factory=list)
    delivered: dict[tuple[str, tuple[Any, ...]], Record] = field(default_factory=dict)
    frames_sent: int = 0  # market frames the venue meant to send (fault numbers count these)
    texts_written: int = 0  # every websocket message written to a socket: frames, repeats, replies, garbage
    malformed_sent: int = 0
    disconnects: int = 0  # connections the venue aborted
    stalls: int = 0  # connections the venue left silent
    requests: dict[str, int] = field(default_factory=dict)  # REST path -> requests received

    def deliver(self, records: Iterable[Record]) -> None:
        for record in records:
            self.delivered.setdefault(record_key(record), record)

    def delivered_keys(self, table: str) -> set[tuple[Any, ...]]:
        return {key for (name, key) in self.delivered if name == table}

    def delivered_records(self, table: str) -> list[Record]:
        return [record for (name, _), record in self.delivered.items() if name == table]
