"""A small thread-safe LRU of computed results (heatmaps, maps, signals) keyed by the data they were computed on.

Keys include :func:`perpscope.service.dashboard.data_version`, so a result is reused only while the store holds
exactly what it was computed from; new data makes a new key and the old entry ages out. The latest heatmap of a
range is the exception (:meth:`ResultCache.recent`): while a collector writes, the data change every second and the
model run over a range takes 0.5–4 s, so a run less than ``max_age_s`` old is served even if newer data came since
(the response says the time it ends at). Bounded by entry count (:data:`perpscope.web.limits.CACHE_ENTRIES` per
kind), so memory stays bounded whatever requests arrive.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from perpscope.web.limits import CACHE_ENTRIES

T = TypeVar("T")


class ResultCache:
    def __init__(self, entries: int = CACHE_ENTRIES, clock: Callable[[], float] = time.monotonic):
        self.entries = entries
        self.clock = clock
        self._kinds: dict[str, OrderedDict[Hashable, Any]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, kind: str, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached result for ``key``, or ``compute()`` stored under it (errors are not cached)."""
        with self._lock:
            found = self._kinds.setdefault(kind, OrderedDict())
            if key in found:
                found.move_to_end(key)
                self.hits += 1
                return found[key]  # type: ignore[no-any-return]
            self.misses += 1
        value = compute()  # outside the lock: a slow heatmap must not hold up other requests
        with self._lock:
            found[key] = value
            found.move_to_end(key)
            while len(found) > self.entries:
                found.popitem(last=False)
        return value

    def held(self, kind: str) -> int:
        """How many results of ``kind`` are kept now."""
        with self._lock:
            return len(self._kinds.get(kind, ()))

    def recent(self, kind: str, key: Hashable, version: Hashable, compute: Callable[[], T], max_age_s: float) -> T:
        """The result for ``key`` computed from data ``version``, or one computed from older data less than
        ``max_age_s`` ago; else ``compute()``, stored with the version and the time."""

        def fresh() -> tuple[Hashable, float, T]:
            return version, self.clock(), compute()

        found_version, made, value = self.get(kind, key, fresh)
        if found_version == version or self.clock() - made < max_age_s:
            return value
        with self._lock:
            self._kinds[kind].pop(key, None)
        return self.get(kind, key, fresh)[2]
