"""What a lost connection cost: channels REST history can refill become backfill requests, the rest gaps.

A gap is recorded for the span in which frames may have been missed: from the last frame received before the
loss to the first moment the connection was back. Throttled liquidation feeds have no history anywhere, so their
gaps stay visible to users (``perpscope`` reports them) instead of silently undercounting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import msgspec

from perpscope.collect.connector import Carried
from perpscope.models import Gap
from perpscope.venues.capabilities import Channel


@dataclass(frozen=True)
class BackfillRequest:
    venue: str
    channel: Channel
    symbol: str
    native_symbol: str
    since: int  # ms, inclusive
    until: int  # ms, inclusive
    reason: str


@dataclass(frozen=True)
class Plan:
    backfills: tuple[BackfillRequest, ...]
    gaps: tuple[Gap, ...]


def plan(
    venue: str,
    carried: Iterable[Carried],
    down_from: int,
    down_until: int,
    reason: str,
    can_backfill: Callable[[Channel], bool],
) -> Plan:
    backfills: list[BackfillRequest] = []
    gaps: list[Gap] = []
    for item in carried:
        if can_backfill(item.channel):
            backfills.append(
                BackfillRequest(venue, item.channel, item.symbol, item.native_symbol, down_from, down_until, reason)
            )
        else:
            gaps.append(unfilled(venue, item, down_from, down_until, reason))
    return Plan(tuple(backfills), tuple(gaps))


def unfilled(venue: str, item: Carried, down_from: int, down_until: int, reason: str) -> Gap:
    return Gap(
        venue=venue,
        symbol=item.symbol,
        native_symbol=item.native_symbol,
        ts_event=down_from,
        ts_recv=down_until,
        source=f"{venue} collector",
        channel=str(item.channel),
        ts_end=down_until,
        reason=reason,
    )


def failed_backfill(request: BackfillRequest, error: str) -> Gap:
    """A backfill that could not complete leaves its whole span as a gap."""
    item = Carried(request.channel, request.symbol, request.native_symbol)
    return unfilled(request.venue, item, request.since, request.until, f"{request.reason}; backfill failed: {error}")


def filled(request: BackfillRequest) -> Gap:
    """A span that was lost and then refilled from REST history: kept, marked ``backfilled``, for the record."""
    item = Carried(request.channel, request.symbol, request.native_symbol)
    return msgspec.structs.replace(
        unfilled(request.venue, item, request.since, request.until, request.reason), backfilled=True
    )
