"""Fetching the Fear & Greed Index: one GET of the public endpoint through perpscope's HTTP client (its rate
budget, retries and clear errors), parsed into :class:`perpscope.models.SentimentIndex` records."""

from __future__ import annotations

import httpx

from perpscope.collect.http import DEFAULT_HTTP, HttpClient, HttpSettings, TokenBucket
from perpscope.models import SentimentIndex
from perpscope.times import now_ms
from perpscope.venues.alternative.capabilities import CAPABILITIES
from perpscope.venues.alternative.endpoints import FEAR_GREED, REST, fear_greed_request
from perpscope.venues.alternative.parse import parse_fear_greed


async def fetch_fear_greed(
    days: int,
    *,
    base_url: str = REST,
    http: HttpSettings = DEFAULT_HTTP,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[SentimentIndex]:
    """The newest ``days`` daily values (0: every day since 2018-02-01), oldest first. ``base_url`` replaces
    the public API's (a proxy, a local copy); ``transport`` replaces httpx's network layer."""
    bucket = TokenBucket.for_limit(CAPABILITIES.rate_limit, http.budget_share)
    client = HttpClient(base_url, bucket, http, transport)
    try:
        body = await client.get(FEAR_GREED.path, fear_greed_request(days))
    finally:
        await client.close()
    return parse_fear_greed(body, ts_recv=now_ms())
