"""Venue capabilities, endpoints and symbol mappings as data: the figures the collector plans from."""

from __future__ import annotations

import math

import msgspec
import pytest

from perpscope.errors import ParseError
from perpscope.venues.binance import endpoints as binance_endpoints
from perpscope.venues.binance import symbols as binance_symbols
from perpscope.venues.binance.capabilities import CAPABILITIES as BINANCE
from perpscope.venues.bybit import endpoints as bybit_endpoints
from perpscope.venues.bybit import symbols as bybit_symbols
from perpscope.venues.bybit.capabilities import CAPABILITIES as BYBIT
from perpscope.venues.capabilities import Channel, Delivery
from perpscope.venues.hyperliquid import endpoints as hyperliquid_endpoints
from perpscope.venues.hyperliquid import symbols as hyperliquid_symbols
from perpscope.venues.hyperliquid.capabilities import CAPABILITIES as HYPERLIQUID
from perpscope.venues.okx import endpoints as okx_endpoints
from perpscope.venues.okx import symbols as okx_symbols
from perpscope.venues.okx.capabilities import CAPABILITIES as OKX


def test_history_depths() -> None:
    assert BINANCE.history_days(Channel.OPEN_INTEREST) == 30
    assert BINANCE.history_days(Channel.LONG_SHORT) == 30
    assert BINANCE.history_days(Channel.FUNDING_SETTLED) == math.inf
    assert BYBIT.history_days(Channel.OPEN_INTEREST) == math.inf  # back to listing
    assert OKX.history_days(Channel.FUNDING_SETTLED) == 92
    assert HYPERLIQUID.history_days(Channel.OPEN_INTEREST) is None  # current values only


def test_liquidation_completeness() -> None:
    assert [feed.complete for feed in BINANCE.feeds_for(Channel.LIQUIDATIONS)] == [False]
    assert [feed.complete for feed in OKX.feeds_for(Channel.LIQUIDATIONS)] == [False]
    assert [feed.complete for feed in BYBIT.feeds_for(Channel.LIQUIDATIONS)] == [True]


def test_offers_and_intervals() -> None:
    assert BINANCE.offers(Channel.FUNDING_PREDICTED, Delivery.STREAM)
    assert not BYBIT.offers(Channel.TAKER)
    assert not HYPERLIQUID.offers(Channel.LONG_SHORT)
    assert [venue.default_funding_interval_h for venue in (BINANCE, OKX, BYBIT, HYPERLIQUID)] == [8.0, 8.0, 8.0, 1.0]
    assert (BINANCE.symbols_per_socket, BINANCE.rate_limit.weight_per_minute) == (1024, 2400)
    with pytest.raises(AttributeError):
        BINANCE.venue = "other"  # type: ignore[misc]


def test_base_urls_are_overridable() -> None:
    local = binance_endpoints.URLS.with_overrides(rest="http://127.0.0.1:8080", websocket="ws://127.0.0.1:8081")
    assert (local.rest, local.websocket) == ("http://127.0.0.1:8080", "ws://127.0.0.1:8081")
    assert binance_endpoints.URLS.rest == "https://fapi.binance.com"
    assert okx_endpoints.URLS.with_overrides(rest="http://x").websocket == "wss://ws.okx.com:8443/ws/v5/public"


def test_subscribe_messages() -> None:
    streams = [binance_endpoints.liquidation_stream("BTCUSDT"), binance_endpoints.mark_price_stream("BTCUSDT")]
    assert msgspec.json.decode(binance_endpoints.subscribe_message(streams, 7)) == {
        "method": "SUBSCRIBE",
        "params": ["btcusdt@forceOrder", "btcusdt@markPrice@1s"],
        "id": 7,
    }
    assert binance_endpoints.combined_stream_path(streams) == "/stream?streams=btcusdt@forceOrder/btcusdt@markPrice@1s"
    args = [
        okx_endpoints.subscription("funding-rate", "BTC-USDT-SWAP"),
        okx_endpoints.subscription("liquidation-orders"),
    ]
    assert msgspec.json.decode(okx_endpoints.subscribe_message(args)) == {
        "op": "subscribe",
        "args": [
            {"channel": "funding-rate", "instId": "BTC-USDT-SWAP"},
            {"channel": "liquidation-orders", "instType": "SWAP"},
        ],
    }
    assert msgspec.json.decode(bybit_endpoints.subscribe_message(["tickers.BTCUSDT", "allLiquidation.BTCUSDT"])) == {
        "op": "subscribe",
        "args": ["tickers.BTCUSDT", "allLiquidation.BTCUSDT"],
    }
    assert msgspec.json.decode(hyperliquid_endpoints.subscribe_message("activeAssetCtx", "BTC")) == {
        "method": "subscribe",
        "subscription": {"type": "activeAssetCtx", "coin": "BTC"},
    }
    assert binance_endpoints.kline_weight(1500) == 10 and binance_endpoints.kline_weight(99) == 1


@pytest.mark.parametrize(
    ("to_canonical", "native", "canonical"),
    [
        (binance_symbols.to_canonical, "BTCUSDT", "BTC-USDT-PERP"),
        (binance_symbols.to_canonical, "1000PEPEUSDC", "1000PEPE-USDC-PERP"),
        (okx_symbols.to_canonical, "BTC-USDT-SWAP", "BTC-USDT-PERP"),
        (bybit_symbols.to_canonical, "BTCPERP", "BTC-USDC-PERP"),
        (bybit_symbols.to_canonical, "ETHUSD", "ETH-USD-PERP"),
        (hyperliquid_symbols.to_canonical, "kPEPE", "KPEPE-USD-PERP"),
    ],
)
def test_symbols_to_canonical(to_canonical: object, native: str, canonical: str) -> None:
    assert callable(to_canonical) and to_canonical(native) == canonical


def test_symbols_to_native_and_rejections() -> None:
    assert binance_symbols.to_native("BTC-USDT-PERP") == "BTCUSDT"
    assert okx_symbols.to_native("BTC-USDT-PERP") == "BTC-USDT-SWAP"
    assert okx_symbols.index_id("BTC-USDT-PERP") == "BTC-USDT"
    assert bybit_symbols.to_native("SOL-USDT-PERP") == "SOLUSDT"
    assert hyperliquid_symbols.to_native("KPEPE-USD-PERP", ["BTC", "kPEPE"]) == "kPEPE"
    for to_canonical, native in (
        (binance_symbols.to_canonical, "BTCUSDT_250328"),
        (okx_symbols.to_canonical, "BTC-USDT-250328"),
        (bybit_symbols.to_canonical, "BTCUSDU23"),
        (hyperliquid_symbols.to_canonical, "@2"),
    ):
        with pytest.raises(ParseError, match="not a"):
            to_canonical(native)
