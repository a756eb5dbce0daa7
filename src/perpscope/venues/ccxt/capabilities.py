"""What a ccxt exchange offers perpscope, read from ccxt's own ``has`` flags and ``rateLimit`` (no network).

ccxt does not say how deep each exchange's history reaches, so the feeds carry no depth: a backfill asks from
``since`` and takes what the exchange still keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from perpscope.venues.capabilities import Channel, Delivery, Feed, RateLimit, VenueCapabilities

# perpscope channel -> the ccxt method whose ``has`` flag says the exchange can page its history.
HISTORY_METHODS: dict[Channel, str] = {
    Channel.FUNDING_SETTLED: "fetchFundingRateHistory",
    Channel.OPEN_INTEREST: "fetchOpenInterestHistory",
}
DEPTH_NOTE = "history depth as the exchange keeps it (ccxt does not declare it)"
MS_PER_MINUTE = 60_000


def supports(has: Mapping[str, Any], channel: Channel) -> bool:
    """True when ccxt implements the channel's history method for this exchange (``has`` value True or
    ``"emulated"``; False and None mean no)."""
    method = HISTORY_METHODS.get(channel)
    return method is not None and bool(has.get(method))


def capabilities(exchange_id: str, has: Mapping[str, Any], rate_limit_ms: float, venue: str) -> VenueCapabilities:
    """The feeds one ccxt exchange offers, from its ``has`` flags; ``rate_limit_ms`` is ccxt's ``rateLimit``
    (milliseconds between requests, which ccxt's own throttle enforces when ``enableRateLimit`` is on)."""
    feeds = tuple(
        Feed(channel, Delivery.POLL, method, note=DEPTH_NOTE)
        for channel, method in HISTORY_METHODS.items()
        if supports(has, channel)
    )
    per_minute = MS_PER_MINUTE / rate_limit_ms if rate_limit_ms > 0 else None
    return VenueCapabilities(
        venue=venue,
        feeds=feeds,
        rate_limit=RateLimit(requests_per_minute=per_minute, note=f"ccxt {exchange_id} rateLimit {rate_limit_ms:g} ms"),
        symbols_per_socket=None,
        connections_note="REST only, through ccxt",
        default_funding_interval_h=8.0,
        quote_currencies=("USDT", "USDC", "USD"),
        docs=("https://docs.ccxt.com",),
    )
