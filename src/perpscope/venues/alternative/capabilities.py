"""What the alternative.me Fear & Greed API offers, as data (https://alternative.me/crypto/api/).

Not a trading venue: one market-wide daily series, so it is described by its own small shape rather than by
:class:`perpscope.venues.capabilities.VenueCapabilities`, whose channels are per-instrument market data.
"""

from __future__ import annotations

from dataclasses import dataclass

from perpscope.venues.alternative import SOURCE
from perpscope.venues.capabilities import Delivery, RateLimit


@dataclass(frozen=True)
class IndexCapabilities:
    source: str
    series: str
    delivery: Delivery
    endpoint: str
    scale: tuple[float, float]
    period: str  # one value per this period
    history_since: str  # the first value the API returns (ISO date)
    rate_limit: RateLimit
    docs: tuple[str, ...]
    note: str = ""


CAPABILITIES = IndexCapabilities(
    source=SOURCE,
    series="fear_greed",
    delivery=Delivery.POLL,
    endpoint="/fng/",
    scale=(0.0, 100.0),
    period="1d",
    history_since="2018-02-01",
    rate_limit=RateLimit(requests_per_minute=60, note="60 requests per minute over a 10-minute window"),
    docs=("https://alternative.me/crypto/api/", "https://alternative.me/crypto/fear-and-greed-index/"),
    note="one value per UTC day (timestamp = the day's 00:00 UTC); the newest carries time_until_update (s)",
)
