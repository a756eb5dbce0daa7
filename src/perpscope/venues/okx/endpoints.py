"""OKX v5 public endpoints and websocket channels, as data.

Sources: https://www.okx.com/docs-v5/en/ (#public-data-rest-api, #order-book-trading-market-data,
#trading-statistics-rest-api, #public-data-websocket, #overview-websocket).
"""

from __future__ import annotations

from typing import Any

import msgspec

from perpscope.venues.endpoints import BaseUrls, RestEndpoint

URLS = BaseUrls(rest="https://www.okx.com", websocket="wss://ws.okx.com:8443/ws/v5/public")
# Candle channels live on a second websocket endpoint.
BUSINESS_WEBSOCKET = "wss://ws.okx.com:8443/ws/v5/business"

INST_TYPE = "SWAP"
_PAGE = ("after", "before", "limit")  # cursors are timestamps: ``after`` pages to older rows
# Rubik statistics: ``begin``/``end`` are exclusive ("records newer/earlier than the requested ts"), newest first.
_RUBIK = ("period", "begin", "end", "limit")
RUBIK_PERIODS = ("5m", "15m", "30m", "1H", "2H", "4H", "6H", "12H", "1D")

INSTRUMENTS = RestEndpoint("/api/v5/public/instruments", required=("instType",), optional=("instId",))
FUNDING_RATE = RestEndpoint("/api/v5/public/funding-rate", required=("instId",), note="current and next rate")
FUNDING_RATE_HISTORY = RestEndpoint(
    "/api/v5/public/funding-rate-history",
    required=("instId",),
    optional=("before", "after", "limit"),
    page_limit=400,
    note="newest first; about the last 3 months; 10 requests/2 s",
)
OPEN_INTEREST = RestEndpoint("/api/v5/public/open-interest", required=("instType",), optional=("instId",))
POSITION_TIERS = RestEndpoint(
    "/api/v5/public/position-tiers",
    required=("instType", "tdMode"),
    optional=("instFamily", "instId", "tier"),
    note="SWAP tiers per instrument family (up to 5 a request), minSz/maxSz in contracts; 10 requests/2 s",
)
TIERS_MARGIN_MODE = "cross"  # tdMode is required; the tiers asked for are cross margin's
MARK_PRICE = RestEndpoint("/api/v5/public/mark-price", required=("instType",), optional=("instId",))
CANDLES = RestEndpoint(
    "/api/v5/market/candles", ("instId",), ("bar", *_PAGE), page_limit=300, note="the latest 1,440 rows; 40/2 s"
)
HISTORY_CANDLES = RestEndpoint(
    "/api/v5/market/history-candles",
    ("instId",),
    ("bar", *_PAGE),
    page_limit=100,
    note="rows [ts, o, h, l, c, vol (contracts), volCcy (coin), volCcyQuote, confirm]; since listing; 20/2 s",
)
MARK_PRICE_CANDLES = RestEndpoint(
    "/api/v5/market/history-mark-price-candles", ("instId",), ("bar", *_PAGE), page_limit=100
)
RUBIK_OPEN_INTEREST = RestEndpoint(
    "/api/v5/rubik/stat/contracts/open-interest-history",
    ("instId",),
    _RUBIK,
    page_limit=100,
    note="rows [ts, oi (contracts), oiCcy, oiUsd]; the latest 1,440 rows; 5 requests/2 s",
)
RUBIK_LONG_SHORT = RestEndpoint(
    "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract",
    ("instId",),
    _RUBIK,
    page_limit=100,
    note="rows [ts, longShortAccountRatio]; the latest 1,440 rows; 5 requests/2 s",
)
RUBIK_TAKER = RestEndpoint(
    "/api/v5/rubik/stat/taker-volume-contract",
    ("instId",),
    ("period", "unit", "begin", "end", "limit"),
    page_limit=100,
    note="rows [ts, sellVol, buyVol]; unit 0 coin, 1 contracts (default), 2 USD; the latest 1,440 rows; 5/2 s",
)

# Websocket channels (public endpoint unless noted).
FUNDING_RATE_CHANNEL = "funding-rate"
OPEN_INTEREST_CHANNEL = "open-interest"
MARK_PRICE_CHANNEL = "mark-price"
INDEX_TICKERS_CHANNEL = "index-tickers"
LIQUIDATION_ORDERS_CHANNEL = "liquidation-orders"  # one subscription per instType, all instruments


def candle_channel(bar: str = "1m") -> str:
    """Candles, on the business websocket: ``candle1m``, ``candle1H``; mark-price candles ``mark-price-candle1m``."""
    return f"candle{bar}"


def subscription(channel: str, inst_id: str | None = None) -> dict[str, str]:
    """One ``args`` entry; ``liquidation-orders`` is keyed by ``instType`` instead of ``instId``."""
    if channel == LIQUIDATION_ORDERS_CHANNEL:
        return {"channel": channel, "instType": INST_TYPE}
    if inst_id is None:
        raise ValueError(f"channel {channel!r} needs an instId")
    return {"channel": channel, "instId": inst_id}


def subscribe_message(args: list[dict[str, str]]) -> bytes:
    message: dict[str, Any] = {"op": "subscribe", "args": args}
    return msgspec.json.encode(message)


def unsubscribe_message(args: list[dict[str, str]]) -> bytes:
    message: dict[str, Any] = {"op": "unsubscribe", "args": args}
    return msgspec.json.encode(message)
