"""What the fake venue's server needs from a venue's wire format: one :class:`Dialect` per venue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from perpscope.fakevenue.market import Event
from perpscope.fakevenue.state import MarketState
from perpscope.models import Record


@dataclass(frozen=True)
class Rendered:
    """One websocket message: the stream it belongs to, its text, and the records it carries."""

    stream: str
    payload: str
    records: tuple[Record, ...]


@dataclass(frozen=True)
class RestRequest:
    method: str  # GET or POST
    path: str
    query: Mapping[str, str]
    body: Any  # the decoded JSON body of a POST; None for a GET


@dataclass(frozen=True)
class RestAnswer:
    status: int
    body: Any  # JSON-encodable
    records: tuple[Record, ...]  # what a 200 answer delivers


class Dialect(Protocol):
    venue: str
    needs_post: bool  # the venue's REST API is queried by POST (served on a port of its own)

    def initial_streams(self, path: str) -> tuple[frozenset[str], bool]: ...

    def on_message(self, text: str) -> tuple[frozenset[str], tuple[str, ...]]:
        """A client's request: the streams it subscribes to and the venue's replies."""
        ...

    def on_subscribe(self, streams: frozenset[str], state: MarketState, now: int) -> list[Rendered]:
        """Frames a venue sends right after a subscription (a snapshot to apply later deltas to)."""
        ...

    def wrap(self, stream: str, payload: str, wrapped: bool) -> str: ...

    def render(self, event: Event) -> list[Rendered]: ...

    def malformed(self, stream: str, number: int) -> str: ...

    def rest(self, request: RestRequest, state: MarketState) -> RestAnswer | None:
        """The answer to a REST request; None for a path the venue does not have."""
        ...
