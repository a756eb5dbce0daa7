"""Paging REST history forward in time, the way every venue's history endpoints allow."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from perpscope.models import Record

Fetch = Callable[[int, int], Awaitable[list[Record]]]  # (start ms, end ms) -> one page, ascending by ts_event


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
