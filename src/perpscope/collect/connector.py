"""What a venue offers the collector, as one protocol each venue package implements (``<venue>/connector.py``).

A connector is pure planning plus parsing: it says which websocket streams to open for some symbols, which REST
polls to run and how often, how to turn a frame of any of those into records, and how to page REST history for a
channel. The collector does the networking, so every venue shares one tested code path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from perpscope.collect.http import HttpClient, HttpSettings, TokenBucket
from perpscope.collect.session import StreamSpec
from perpscope.models import Record
from perpscope.venues.capabilities import Channel, VenueCapabilities
from perpscope.venues.endpoints import BaseUrls


@dataclass(frozen=True)
class Carried:
    """One channel of one symbol that a stream or poll carries (what a reconnect can cost)."""

    channel: Channel
    symbol: str  # canonical
    native_symbol: str


@dataclass(frozen=True)
class StreamPlan:
    spec: StreamSpec
    carries: tuple[Carried, ...]


@dataclass(frozen=True)
class PollPlan:
    key: str  # stable name, recorded with the response (the connector parses by it)
    path: str
    params: tuple[tuple[str, str], ...]
    interval_s: float
    carries: tuple[Carried, ...]
    weight: int = 1
    first: bool = False  # answered once before any stream opens (reference data the parsers need)
    body: Mapping[str, Any] | None = None  # a JSON body: POSTed instead of a GET with ``params``

    async def fetch(self, http: HttpClient) -> bytes:
        if self.body is not None:
            return await http.post(self.path, dict(self.body), weight=self.weight)
        return await http.get(self.path, dict(self.params), weight=self.weight)


@dataclass(frozen=True)
class HistoryPoll:
    """A channel kept current by paging its REST history from the last record on (venues that publish settled
    values only as history): the collector calls ``backfill`` every ``interval_s``."""

    carried: Carried
    interval_s: float
    lookback_ms: int  # how far back the first request reaches


@dataclass(frozen=True)
class Intervals:
    """How often polled channels are fetched, in seconds. ``open_interest_s`` 0 turns the latest-value poll off;
    ``open_interest_history_s`` above 0 follows the venue's open-interest history (5-minute points) instead or as
    well. ``history_s`` is for channels a venue keeps only as REST history (long/short ratios, taker volume);
    ``history_lookback_s`` is how far back the first page of a followed history reaches."""

    open_interest_s: float = 10.0
    funding_s: float = 60.0
    other_s: float = 60.0
    open_interest_history_s: float = 0.0
    history_s: float = 60.0
    history_lookback_s: float = 3_600.0


@dataclass(frozen=True)
class VenueUrls:
    """Base URLs replacing a venue's real ones (tests, the simulator, a proxy); empty means the venue's own."""

    rest: str = ""
    websocket: str = ""


@dataclass(frozen=True)
class ConnectorSettings:
    symbols: tuple[str, ...]  # bases (``BTC``) or canonical symbols
    intervals: Intervals = field(default_factory=Intervals)
    urls: VenueUrls = field(default_factory=VenueUrls)


def venue_client(
    urls: BaseUrls,
    capabilities: VenueCapabilities,
    settings: ConnectorSettings,
    http: HttpSettings,
    transport: httpx.AsyncBaseTransport | None,
) -> tuple[BaseUrls, HttpClient]:
    """A venue's base URLs with the settings' overrides (a fake venue in tests, the simulator), and an HTTP client
    kept within the venue's published rate budget."""
    chosen = urls.with_overrides(rest=settings.urls.rest, websocket=settings.urls.websocket)
    bucket = TokenBucket.for_limit(capabilities.rate_limit, http.budget_share)
    return chosen, HttpClient(chosen.rest, bucket, http, transport)


class Connector(Protocol):
    venue: str
    capabilities: VenueCapabilities
    http: HttpClient

    def streams(self) -> Sequence[StreamPlan]:
        """The websocket connections to open, split to respect the venue's per-connection limits."""
        ...

    def polls(self) -> Sequence[PollPlan]:
        """REST requests to repeat for what is not streamed."""
        ...

    def history_polls(self) -> Sequence[HistoryPoll]:
        """Channels refreshed by paging their history (empty for most venues)."""
        ...

    def parse(self, key: str, payload: str, ts_recv: int) -> list[Record]:
        """Records in one frame or response of stream/poll ``key``; control messages (acks, pongs) give none.
        Raises ParseError for a malformed payload."""
        ...

    def can_backfill(self, channel: Channel) -> bool:
        """Whether REST history can fill a gap in ``channel``."""
        ...

    def backfill(self, channel: Channel, symbol: str, since: int, until: int) -> AsyncIterator[list[Record]]:
        """Pages of ``channel`` records for ``symbol`` with ``since <= ts_event <= until`` (ms)."""
        ...
