"""Hyperliquid public endpoints (one POST ``/info`` with a ``type``) and websocket subscriptions, as data.

Sources: https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api (info-endpoint, info-endpoint/perpetuals,
websocket/subscriptions, rate-limits-and-user-limits).
"""

from __future__ import annotations

from typing import Any

import msgspec

from perpscope.venues.endpoints import BaseUrls, RestEndpoint

URLS = BaseUrls(rest="https://api.hyperliquid.xyz", websocket="wss://api.hyperliquid.xyz/ws")

INFO = RestEndpoint("/info", method="POST", note="the request body's 'type' selects the answer")
FUNDING_HISTORY_PAGE = 500  # most rows one fundingHistory answer holds
CANDLES_AVAILABLE = 5000  # candleSnapshot reaches back only this many candles
CANDLE_INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "8h", "12h", "1d", "3d", "1w", "1M")

ACTIVE_ASSET_CTX = "activeAssetCtx"
TRADES = "trades"


def meta_request() -> dict[str, Any]:
    return {"type": "meta"}


def meta_and_asset_ctxs_request() -> dict[str, Any]:
    return {"type": "metaAndAssetCtxs"}


def funding_history_request(coin: str, start_time: int, end_time: int | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"type": "fundingHistory", "coin": coin, "startTime": start_time}
    if end_time is not None:
        request["endTime"] = end_time
    return request


def candle_snapshot_request(coin: str, interval: str, start_time: int, end_time: int) -> dict[str, Any]:
    return {
        "type": "candleSnapshot",
        "req": {"coin": coin, "interval": interval, "startTime": start_time, "endTime": end_time},
    }


def subscribe_message(subscription_type: str, coin: str) -> bytes:
    message: dict[str, Any] = {"method": "subscribe", "subscription": {"type": subscription_type, "coin": coin}}
    return msgspec.json.encode(message)


def unsubscribe_message(subscription_type: str, coin: str) -> bytes:
    message: dict[str, Any] = {"method": "unsubscribe", "subscription": {"type": subscription_type, "coin": coin}}
    return msgspec.json.encode(message)


PING_MESSAGE = b'{"method":"ping"}'
