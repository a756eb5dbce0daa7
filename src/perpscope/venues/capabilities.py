"""What a venue's public feeds offer, declared as data so the collector plans from it instead of guessing.

One frozen :class:`VenueCapabilities` per venue lives in ``<venue>/capabilities.py``; this module only defines
the shapes. Figures are from each venue's documentation (cited in ``docs``) and may change without notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Channel(StrEnum):
    FUNDING_SETTLED = "funding_settled"
    FUNDING_PREDICTED = "funding_predicted"
    OPEN_INTEREST = "open_interest"
    LIQUIDATIONS = "liquidations"
    MARK = "mark"
    INDEX = "index"
    CANDLES = "candles"
    MARK_CANDLES = "mark_candles"  # the mark price's bars (what liquidations trigger on)
    LONG_SHORT = "long_short"
    TAKER = "taker"


class Delivery(StrEnum):
    STREAM = "stream"  # pushed over a websocket
    POLL = "poll"  # fetched by REST on a schedule


@dataclass(frozen=True)
class Feed:
    """One way to obtain a channel. A channel may have several feeds (a stream for live, a poll for history)."""

    channel: Channel
    delivery: Delivery
    name: str  # the websocket channel/topic or the REST path
    history_days: float | None = None  # how far back it reaches; None: live values only
    since_listing: bool = False  # history reaches back to the instrument's listing
    complete: bool | None = None  # liquidations: False when throttled, so totals are lower bounds (METHOD.md §4)
    note: str = ""


@dataclass(frozen=True)
class RateLimit:
    requests_per_minute: float | None = None  # per IP
    weight_per_minute: float | None = None  # Binance-style weighted budget per IP
    websocket_messages_per_second: float | None = None  # client -> venue (subscribe requests, pings)
    note: str = ""


@dataclass(frozen=True)
class VenueCapabilities:
    venue: str
    feeds: tuple[Feed, ...]
    rate_limit: RateLimit
    symbols_per_socket: int | None  # most subscriptions one websocket connection may carry
    connections_note: str
    default_funding_interval_h: float
    quote_currencies: tuple[str, ...]
    docs: tuple[str, ...]  # documentation pages the figures come from

    def feeds_for(self, channel: Channel) -> tuple[Feed, ...]:
        return tuple(feed for feed in self.feeds if feed.channel is channel)

    def offers(self, channel: Channel, delivery: Delivery | None = None) -> bool:
        return any(delivery is None or feed.delivery is delivery for feed in self.feeds_for(channel))

    def history_days(self, channel: Channel) -> float | None:
        """The deepest REST history for ``channel``: days, ``inf`` when it reaches the listing, None when none."""
        depths = [
            float("inf") if feed.since_listing else feed.history_days
            for feed in self.feeds_for(channel)
            if feed.delivery is Delivery.POLL and (feed.since_listing or feed.history_days is not None)
        ]
        return max((depth for depth in depths if depth is not None), default=None)
