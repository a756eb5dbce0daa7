"""What OKX's public feeds offer for USDT swaps (figures from the docs cited below; they may change)."""

from __future__ import annotations

from perpscope.venues.capabilities import Channel, Delivery, Feed, RateLimit, VenueCapabilities
from perpscope.venues.okx import VENUE

_DOCS = "https://www.okx.com/docs-v5/en/"
# The rubik contract statistics keep "the latest 1,440 data entries" per period: 5 days of 5-minute rows.
RUBIK_5M_DAYS = 1_440 * 5 / (24 * 60)  # rows x minutes per row / minutes per day
RUBIK_NOTE = "rubik statistics: the latest 1,440 rows of a period (5 days at 5m, 60 days at 1H)"

CAPABILITIES = VenueCapabilities(
    venue=VENUE,
    feeds=(
        Feed(
            Channel.FUNDING_SETTLED,
            Delivery.POLL,
            "/api/v5/public/funding-rate-history",
            history_days=92,
            note="about the last 3 months",
        ),
        Feed(Channel.FUNDING_PREDICTED, Delivery.STREAM, "funding-rate", note="fundingRate for fundingTime"),
        Feed(Channel.FUNDING_PREDICTED, Delivery.POLL, "/api/v5/public/funding-rate"),
        Feed(Channel.OPEN_INTEREST, Delivery.STREAM, "open-interest", note="every 3 s; contracts and coin"),
        Feed(Channel.OPEN_INTEREST, Delivery.POLL, "/api/v5/public/open-interest"),
        Feed(
            Channel.OPEN_INTEREST,
            Delivery.POLL,
            "/api/v5/rubik/stat/contracts/open-interest-history",
            history_days=RUBIK_5M_DAYS,
            note=RUBIK_NOTE,
        ),
        Feed(
            Channel.LIQUIDATIONS,
            Delivery.STREAM,
            "liquidation-orders",
            complete=False,
            note="at most one order per contract per second: totals are lower bounds",
        ),
        Feed(Channel.MARK, Delivery.STREAM, "mark-price"),
        Feed(Channel.MARK, Delivery.POLL, "/api/v5/market/history-mark-price-candles", since_listing=True),
        Feed(Channel.INDEX, Delivery.STREAM, "index-tickers"),
        Feed(Channel.CANDLES, Delivery.STREAM, "candle1m", note="on the business websocket"),
        Feed(Channel.CANDLES, Delivery.POLL, "/api/v5/market/history-candles", since_listing=True),
        Feed(Channel.CANDLES, Delivery.POLL, "/api/v5/market/candles", history_days=1, note="the latest 1,440 bars"),
        Feed(
            Channel.LONG_SHORT,
            Delivery.POLL,
            "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract",
            history_days=RUBIK_5M_DAYS,
            note=RUBIK_NOTE,
        ),
        Feed(
            Channel.TAKER,
            Delivery.POLL,
            "/api/v5/rubik/stat/taker-volume-contract",
            history_days=RUBIK_5M_DAYS,
            note=RUBIK_NOTE,
        ),
    ),
    rate_limit=RateLimit(
        requests_per_minute=300,
        websocket_messages_per_second=3,
        note="per endpoint, per IP: funding-rate-history 10 requests/2 s, open-interest 20/2 s, candles 40/2 s, "
        "history-candles 20/2 s, position-tiers 10/2 s, rubik statistics 5/2 s per IP and instrument; "
        "websocket: 3 connection requests/s per IP",
    ),
    symbols_per_socket=None,
    connections_note="no documented channel cap per connection; 480 subscribe/unsubscribe/login requests per "
    "hour per connection; candles only on the /ws/v5/business endpoint; ping if idle for 30 s",
    default_funding_interval_h=8.0,
    quote_currencies=("USDT", "USDC"),
    docs=(
        f"{_DOCS}#public-data-rest-api-get-funding-rate-history",
        f"{_DOCS}#public-data-rest-api-get-instruments",
        f"{_DOCS}#public-data-rest-api-get-position-tiers",
        f"{_DOCS}#order-book-trading-market-data-get-candlesticks-history",
        f"{_DOCS}#public-data-websocket-funding-rate-channel",
        f"{_DOCS}#public-data-websocket-liquidation-orders-channel",
        f"{_DOCS}#trading-statistics-rest-api",
        f"{_DOCS}#trading-statistics-rest-api-get-contract-taker-volume",
        f"{_DOCS}#overview-websocket-connect",
    ),
)
