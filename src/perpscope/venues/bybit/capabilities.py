"""What Bybit v5's public feeds offer for linear perpetuals (figures from the docs cited below)."""

from __future__ import annotations

from perpscope.venues.bybit import VENUE
from perpscope.venues.capabilities import Channel, Delivery, Feed, RateLimit, VenueCapabilities

_DOCS = "https://bybit-exchange.github.io/docs/v5"

CAPABILITIES = VenueCapabilities(
    venue=VENUE,
    feeds=(
        Feed(Channel.FUNDING_SETTLED, Delivery.POLL, "/v5/market/funding/history", since_listing=True),
        Feed(Channel.FUNDING_PREDICTED, Delivery.STREAM, "tickers.{symbol}", note="fundingRate, nextFundingTime"),
        Feed(Channel.OPEN_INTEREST, Delivery.STREAM, "tickers.{symbol}", note="openInterest, base units"),
        Feed(Channel.OPEN_INTEREST, Delivery.POLL, "/v5/market/open-interest", since_listing=True),
        Feed(
            Channel.LIQUIDATIONS,
            Delivery.STREAM,
            "allLiquidation.{symbol}",
            complete=True,
            note="every liquidation, pushed every 500 ms",
        ),
        Feed(Channel.MARK, Delivery.STREAM, "tickers.{symbol}"),
        Feed(Channel.MARK, Delivery.POLL, "/v5/market/mark-price-kline", since_listing=True),
        Feed(Channel.INDEX, Delivery.STREAM, "tickers.{symbol}"),
        Feed(Channel.INDEX, Delivery.POLL, "/v5/market/index-price-kline", since_listing=True),
        Feed(Channel.CANDLES, Delivery.STREAM, "kline.{interval}.{symbol}"),
        Feed(
            Channel.CANDLES,
            Delivery.POLL,
            "/v5/market/kline",
            since_listing=True,
            note="newest first, at most 1000 bars a page (start/end); the last bar is still forming",
        ),
        Feed(
            Channel.LONG_SHORT,
            Delivery.POLL,
            "/v5/market/account-ratio",
            note="accounts, all users; periods 5min-1d; newest first, at most 500 a page (startTime/endTime); "
            "the docs state no history depth",
        ),
    ),
    rate_limit=RateLimit(
        requests_per_minute=7200,
        note="600 requests per 5 s per IP across REST (HTTP 403 'access too frequent' beyond, for 10 min); "
        "websocket: 500 connections per 5 min per IP",
    ),
    symbols_per_socket=None,
    connections_note="linear: no cap on topics per connection, but one subscribe request is at most 21,000 "
    "characters; send a ping every 20 s",
    default_funding_interval_h=8.0,
    quote_currencies=("USDT", "USDC"),
    docs=(
        f"{_DOCS}/market/history-fund-rate",
        f"{_DOCS}/market/open-interest",
        f"{_DOCS}/market/long-short-ratio",
        f"{_DOCS}/market/instrument",
        f"{_DOCS}/market/risk-limit",
        f"{_DOCS}/market/kline",
        f"{_DOCS}/websocket/public/ticker",
        f"{_DOCS}/websocket/public/all-liquidation",
        f"{_DOCS}/rate-limit",
        f"{_DOCS}/ws/connect",
    ),
)
