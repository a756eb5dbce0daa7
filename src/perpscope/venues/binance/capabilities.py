"""What Binance USDⓈ-M's public feeds offer (figures from the docs cited below; they may change)."""

from __future__ import annotations

from perpscope.venues.binance import VENUE
from perpscope.venues.capabilities import Channel, Delivery, Feed, RateLimit, VenueCapabilities

_DOCS = "https://developers.binance.com/docs/derivatives/usds-margined-futures"

CAPABILITIES = VenueCapabilities(
    venue=VENUE,
    feeds=(
        Feed(Channel.FUNDING_SETTLED, Delivery.POLL, "/fapi/v1/fundingRate", since_listing=True),
        Feed(Channel.FUNDING_PREDICTED, Delivery.STREAM, "<symbol>@markPrice@1s", note="field r, next time T"),
        Feed(Channel.FUNDING_PREDICTED, Delivery.POLL, "/fapi/v1/premiumIndex", note="lastFundingRate"),
        Feed(Channel.OPEN_INTEREST, Delivery.POLL, "/fapi/v1/openInterest", note="current value, base units"),
        Feed(Channel.OPEN_INTEREST, Delivery.POLL, "/futures/data/openInterestHist", history_days=30),
        Feed(
            Channel.LIQUIDATIONS,
            Delivery.STREAM,
            "!forceOrder@arr",
            complete=False,
            note="or <symbol>@forceOrder, one stream per symbol; either way at most one liquidation per symbol per "
            "second: totals are lower bounds",
        ),
        Feed(Channel.MARK, Delivery.STREAM, "<symbol>@markPrice@1s"),
        Feed(Channel.MARK, Delivery.POLL, "/fapi/v1/markPriceKlines", since_listing=True),
        Feed(Channel.INDEX, Delivery.STREAM, "<symbol>@markPrice@1s", note="field i"),
        Feed(Channel.INDEX, Delivery.POLL, "/fapi/v1/indexPriceKlines", since_listing=True),
        Feed(Channel.CANDLES, Delivery.STREAM, "<symbol>@kline_<interval>"),
        Feed(Channel.CANDLES, Delivery.POLL, "/fapi/v1/klines", since_listing=True),
        Feed(Channel.MARK_CANDLES, Delivery.POLL, "/fapi/v1/markPriceKlines", since_listing=True),
        Feed(Channel.LONG_SHORT, Delivery.POLL, "/futures/data/globalLongShortAccountRatio", history_days=30),
        Feed(Channel.LONG_SHORT, Delivery.POLL, "/futures/data/topLongShortAccountRatio", history_days=30),
        Feed(Channel.LONG_SHORT, Delivery.POLL, "/futures/data/topLongShortPositionRatio", history_days=30),
        Feed(Channel.TAKER, Delivery.POLL, "/futures/data/takerlongshortRatio", history_days=30),
    ),
    rate_limit=RateLimit(
        weight_per_minute=2400,
        websocket_messages_per_second=10,
        note="2400 request weight/min/IP; fundingRate+fundingInfo share 500 requests/5 min/IP; "
        "/futures/data endpoints 1000 requests/5 min/IP; HTTP 429 then 418 (ban) with Retry-After",
    ),
    symbols_per_socket=1024,
    connections_note="1024 streams per connection; 10 incoming messages/s per connection; 300 connections "
    "per 5 min per IP; a connection lives 24 h; server pings every 3 min",
    default_funding_interval_h=8.0,
    quote_currencies=("USDT", "USDC"),
    docs=(
        f"{_DOCS}/general-info",
        f"{_DOCS}/websocket-market-streams",
        f"{_DOCS}/websocket-market-streams/Liquidation-Order-Streams",
        f"{_DOCS}/websocket-market-streams/Mark-Price-Stream",
        f"{_DOCS}/market-data/rest-api/Get-Funding-Rate-History",
        f"{_DOCS}/market-data/rest-api/Open-Interest-Statistics",
    ),
)
