"""Counters of a running collector and the one status line a user watches.

Per stream: messages, parse failures, reconnects and the time of the last message; overall: records stored and
gaps recorded. ``line`` renders them: ``412 msg/s  stored 10,233 (+1,201 dup)  reconnects 1  gaps 2  |
binance ws0 0.2s  okx ws0 1.4s``.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

RATE_HORIZON_S = 60  # the longest window a rate can be asked for


@dataclass
class StreamCounters:
    messages: int = 0
    malformed: int = 0
    reconnects: int = 0
    last_message_ms: int | None = None
    last_error: str = ""


@dataclass
class Status:
    streams: dict[str, StreamCounters] = field(default_factory=dict)
    stored: int = 0  # records new to the store
    repeated: int = 0  # records the store already had (replays, duplicates, overlapping backfills)
    gaps: int = 0  # spans recorded as not backfillable
    backfilled: int = 0  # records added by backfill
    poll_failures: int = 0
    # Messages per whole monotonic second, the last RATE_HORIZON_S of them: bounded whatever the message rate,
    # and whether or not anyone reads the rate.
    _recent: deque[list[int]] = field(default_factory=deque)

    def stream(self, key: str) -> StreamCounters:
        return self.streams.setdefault(key, StreamCounters())

    def message(self, key: str, ts_recv: int) -> None:
        counters = self.stream(key)
        counters.messages += 1
        counters.last_message_ms = ts_recv
        second = int(time.monotonic())
        if self._recent and self._recent[-1][0] == second:
            self._recent[-1][1] += 1
            return
        self._recent.append([second, 1])
        while self._recent[0][0] <= second - RATE_HORIZON_S:
            self._recent.popleft()

    def rate(self, window_s: int = 5) -> float:
        """Messages per second over the last ``window_s`` whole seconds, the current one included."""
        first = int(time.monotonic()) - window_s + 1
        return sum(count for second, count in self._recent if second >= first) / window_s

    @property
    def messages(self) -> int:
        return sum(counters.messages for counters in self.streams.values())

    @property
    def malformed(self) -> int:
        return sum(counters.malformed for counters in self.streams.values())

    @property
    def reconnects(self) -> int:
        return sum(counters.reconnects for counters in self.streams.values())

    def line(self, now_ms: int) -> str:
        ages = "  ".join(f"{key} {_age(counters.last_message_ms, now_ms)}" for key, counters in self.streams.items())
        return (
            f"{self.rate():,.0f} msg/s  stored {self.stored:,} records (+{self.repeated:,} already stored)  "
            f"reconnects {self.reconnects}  gaps {self.gaps}  malformed {self.malformed}  | last message: {ages}"
        )


def _age(last_ms: int | None, now_ms: int) -> str:
    if last_ms is None:
        return "never"
    return f"{max(0, now_ms - last_ms) / 1000:.1f}s ago"
