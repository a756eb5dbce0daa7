"""Paging REST history by time: forward for venues that answer oldest first, backward for newest first."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from perpscope.models import Record

Fetch = Callable[[int, int], Awaitable[list[Record]]]  # (start ms, end ms) -> one page, ascending by ts_event
CLOSE_GRACE_MS = 5_000  # a bar counts as closed this long after its end by our clock (clocks differ, venues lag)


def closed_bars(records: list[Record], bar_ms: int, now_ms: int) -> list[Record]:
    """The bars (``ts_event`` = open time) that ended at least ``CLOSE_GRACE_MS`` before ``now_ms``. A history
    follow moves past the newest bar it stored, so a bar taken while still forming would never be fetched again."""
    return [record for record in records if record.ts_event + bar_ms + CLOSE_GRACE_MS <= now_ms]


async def forward(fetch: Fetch, since: int, until: int, *, max_pages: int = 10_000) -> AsyncIterator[list[Record]]:
    """Pages covering ``since..until``: each page starts after the previous page's last record. Stops at an empty
    page, at ``until``, or when a page does not advance (a venue ignoring the start parameter)."""
    cursor = since
    for _ in range(max_pages):
        page = [record for record in await fetch(cursor, until) if since <= record.ts_event <= until]
        if not page:
            return
        yield page
        last = max(record.ts_event for record in page)
        if last < cursor or last >= until:
            return
        cursor = last + 1


async def backward(fetch: Fetch, since: int, until: int, *, max_pages: int = 10_000) -> AsyncIterator[list[Record]]:
    """Pages covering ``since..until`` for venues that answer newest first: each page ends before the previous
    page's oldest record. Stops at an empty page, at ``since``, or when a page does not move back."""
    cursor = until
    for _ in range(max_pages):
        page = [record for record in await fetch(since, cursor) if since <= record.ts_event <= until]
        if not page:
            return
        yield page
        first = min(record.ts_event for record in page)
        if first > cursor or first <= since:
            return
        cursor = first - 1
