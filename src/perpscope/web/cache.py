"""A small thread-safe LRU of computed results (heatmaps, maps, signals) keyed by the data they were computed on.

Keys include :func:`perpscope.service.dashboard.data_version`, so a result is reused only while the store holds
exactly what it was computed from; new data makes a new key and the old entry ages out. Bounded by entry count
(:data:`perpscope.web.limits.CACHE_ENTRIES` per kind), so memory stays bounded whatever requests arrive.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from perpscope.web.limits import CACHE_ENTRIES

T = TypeVar("T")


class ResultCache:
    def __init__(self, entries: int = CACHE_ENTRIES):
        self.entries = entries
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
