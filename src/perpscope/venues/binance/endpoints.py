"""Binance USDⓈ-M public endpoints and websocket streams, as data.

Sources: https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info (limits),
.../market-data/rest-api (paths, parameters, page sizes), .../websocket-market-streams (stream names, limits).
"""

from __future__ import annotations

from typing import Any

import msgspec

from perpscope.venues.endpoints import BaseUrls, RestEndpoint

URLS = BaseUrls(rest="https://fapi.binance.com", websocket="wss://fstream.binance.com")

# Periods accepted by the /futures/data statistics endpoints.
STATISTICS_PERIODS = ("5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d")
KLINE_INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M")

_RANGE = ("startTime", "endTime", "limit")


def _statistics(path: str) -> RestEndpoint:
    """The /futures/data family: same parameters, 500 rows a page, only the latest 30 days."""
    return RestEndpoint(path, ("symbol", "period"), _RANGE, page_limit=500, note="only the latest 30 days")


EXCHANGE_INFO = RestEndpoint("/fapi/v1/exchangeInfo")
FUNDING_INFO = RestEndpoint(
    "/fapi/v1/fundingInfo", note="lists only symbols with an adjusted cap/floor or interval; shares 500/5min/IP"
)
LEVERAGE_BRACKET = RestEndpoint(
    "/fapi/v1/leverageBracket", optional=("symbol",), note="USER_DATA: needs an API key and a signature"
)
FUNDING_RATE = RestEndpoint(
    "/fapi/v1/fundingRate", optional=("symbol", *_RANGE), page_limit=1000, note="ascending; shares 500/5min/IP"
)
PREMIUM_INDEX = RestEndpoint("/fapi/v1/premiumIndex", optional=("symbol",), note="weight 10 without symbol")
OPEN_INTEREST = RestEndpoint("/fapi/v1/openInterest", required=("symbol",))
OPEN_INTEREST_HIST = _statistics("/futures/data/openInterestHist")
GLOBAL_LONG_SHORT = _statistics("/futures/data/globalLongShortAccountRatio")
TOP_LONG_SHORT_ACCOUNTS = _statistics("/futures/data/topLongShortAccountRatio")
TOP_LONG_SHORT_POSITIONS = _statistics("/futures/data/topLongShortPositionRatio")
TAKER_RATIO = _statistics("/futures/data/takerlongshortRatio")
KLINES = RestEndpoint(
    "/fapi/v1/klines",
    required=("symbol", "interval"),
    optional=_RANGE,
    page_limit=1500,
    weight=5,
    note="weight by limit: <100 -> 1, <500 -> 2, <=1000 -> 5, more -> 10",
)
MARK_PRICE_KLINES = RestEndpoint(
    "/fapi/v1/markPriceKlines", KLINES.required, KLINES.optional, 1500, weight=5, note=KLINES.note
)
INDEX_PRICE_KLINES = RestEndpoint(
    "/fapi/v1/indexPriceKlines", ("pair", "interval"), KLINES.optional, 1500, weight=5, note=KLINES.note
)


def kline_weight(limit: int) -> int:
    """Request weight of one klines call with ``limit`` rows (the docs' table)."""
    if limit < 100:
        return 1
    if limit < 500:
        return 2
    return 5 if limit <= 1000 else 10


# Websocket streams; ``<symbol>`` is the lower-case native symbol.
ALL_LIQUIDATIONS_STREAM = "!forceOrder@arr"
ALL_MARK_PRICES_STREAM = "!markPrice@arr@1s"


def liquidation_stream(native: str) -> str:
    return f"{native.lower()}@forceOrder"


def mark_price_stream(native: str, *, every_second: bool = True) -> str:
    """Mark, index, predicted funding and next funding time: every 1 s, or every 3 s without the suffix."""
    return f"{native.lower()}@markPrice" + ("@1s" if every_second else "")


def kline_stream(native: str, interval: str) -> str:
    return f"{native.lower()}@kline_{interval}"


def combined_stream_path(streams: list[str]) -> str:
    """Path of a combined-stream connection; its messages arrive as ``{"stream": ..., "data": ...}``."""
    return "/stream?streams=" + "/".join(streams)


def subscribe_message(streams: list[str], request_id: int = 1) -> bytes:
    """A live SUBSCRIBE request for an open connection."""
    message: dict[str, Any] = {"method": "SUBSCRIBE", "params": streams, "id": request_id}
    return msgspec.json.encode(message)


def unsubscribe_message(streams: list[str], request_id: int = 1) -> bytes:
    message: dict[str, Any] = {"method": "UNSUBSCRIBE", "params": streams, "id": request_id}
    return msgspec.json.encode(message)
