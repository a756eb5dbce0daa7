"""Bybit v5 public endpoints and websocket topics, as data.

Sources: https://bybit-exchange.github.io/docs/v5/ (market/*, websocket/public/*, rate-limit, ws/connect).
"""

from __future__ import annotations

from typing import Any

import msgspec

from perpscope.venues.endpoints import BaseUrls, RestEndpoint

URLS = BaseUrls(rest="https://api.bybit.com", websocket="wss://stream.bybit.com/v5/public/linear")

CATEGORY = "linear"
OPEN_INTEREST_INTERVALS = ("5min", "15min", "30min", "1h", "4h", "1d")
KLINE_INTERVALS = ("1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M")

_RANGE = ("startTime", "endTime", "limit")
_KLINE_RANGE = ("start", "end", "limit")  # the kline endpoints name their range ``start``/``end``

INSTRUMENTS_INFO = RestEndpoint(
    "/v5/market/instruments-info", ("category",), ("symbol", "limit", "cursor"), page_limit=1000
)
RISK_LIMIT = RestEndpoint(
    "/v5/market/risk-limit",
    ("category",),
    ("symbol", "cursor"),
    note="every tier of one symbol per answer; without a symbol, 15 symbols a page (cursor)",
)
TICKERS = RestEndpoint("/v5/market/tickers", ("category",), ("symbol",))
FUNDING_HISTORY = RestEndpoint(
    "/v5/market/funding/history", ("category", "symbol"), _RANGE, page_limit=200, note="newest first"
)
OPEN_INTEREST = RestEndpoint(
    "/v5/market/open-interest",
    ("category", "symbol", "intervalTime"),
    (*_RANGE, "cursor"),
    page_limit=200,
    note="newest first; back to listing; page on nextPageCursor",
)
ACCOUNT_RATIO = RestEndpoint(
    "/v5/market/account-ratio",
    ("category", "symbol", "period"),
    (*_RANGE, "cursor"),
    page_limit=500,
    note="newest first",
)
ACCOUNT_RATIO_PERIODS = ("5min", "15min", "30min", "1h", "4h", "1d")
KLINE = RestEndpoint(
    "/v5/market/kline", ("symbol", "interval"), ("category", *_KLINE_RANGE), page_limit=1000, note="newest first"
)
MARK_PRICE_KLINE = RestEndpoint(
    "/v5/market/mark-price-kline", ("symbol", "interval"), ("category", *_KLINE_RANGE), page_limit=1000
)
INDEX_PRICE_KLINE = RestEndpoint(
    "/v5/market/index-price-kline", ("symbol", "interval"), ("category", *_KLINE_RANGE), page_limit=1000
)


def tickers_topic(native: str) -> str:
    """Snapshot then deltas: merge them (see ``bybit.tickers``)."""
    return f"tickers.{native}"


def all_liquidation_topic(native: str) -> str:
    return f"allLiquidation.{native}"


def kline_topic(native: str, interval: str = "1") -> str:
    return f"kline.{interval}.{native}"


def subscribe_message(topics: list[str], request_id: str | None = None) -> bytes:
    message: dict[str, Any] = {"op": "subscribe", "args": topics}
    if request_id is not None:
        message["req_id"] = request_id
    return msgspec.json.encode(message)


def unsubscribe_message(topics: list[str]) -> bytes:
    message: dict[str, Any] = {"op": "unsubscribe", "args": topics}
    return msgspec.json.encode(message)


PING_MESSAGE = b'{"op":"ping"}'
