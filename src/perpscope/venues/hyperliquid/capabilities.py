"""What Hyperliquid's public API offers for perpetuals (figures from the docs cited below)."""

from __future__ import annotations

from perpscope.venues.capabilities import Channel, Delivery, Feed, RateLimit, VenueCapabilities
from perpscope.venues.hyperliquid import VENUE

_DOCS = "https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api"

CAPABILITIES = VenueCapabilities(
    venue=VENUE,
    feeds=(
        Feed(Channel.FUNDING_SETTLED, Delivery.POLL, "fundingHistory", since_listing=True, note="hourly"),
        Feed(Channel.FUNDING_PREDICTED, Delivery.STREAM, "activeAssetCtx", note="ctx.funding, hourly rate"),
        Feed(Channel.FUNDING_PREDICTED, Delivery.POLL, "metaAndAssetCtxs"),
        Feed(Channel.OPEN_INTEREST, Delivery.STREAM, "activeAssetCtx", note="ctx.openInterest, coins"),
        Feed(Channel.OPEN_INTEREST, Delivery.POLL, "metaAndAssetCtxs", note="current values only"),
        Feed(
            Channel.LIQUIDATIONS,
            Delivery.STREAM,
            "trades",
            complete=None,
            note="liquidations are on-chain and complete, but the public trade feed does not flag them",
        ),
        Feed(Channel.MARK, Delivery.STREAM, "activeAssetCtx", note="ctx.markPx"),
        Feed(Channel.INDEX, Delivery.STREAM, "activeAssetCtx", note="ctx.oraclePx"),
        Feed(
            Channel.CANDLES,
            Delivery.POLL,
            "candleSnapshot",
            history_days=5000 / 1440,
            note="only the most recent 5000 candles of an interval (3.5 days at 1m)",
        ),
    ),
    rate_limit=RateLimit(
        weight_per_minute=1200,
        websocket_messages_per_second=2000 / 60,
        note="REST weight 1200/min/IP: most info requests weigh 20 (l2Book, allMids 2); fundingHistory adds 1 "
        "per 20 rows and candleSnapshot 1 per 60 rows returned; websocket: 2000 messages/min sent",
    ),
    symbols_per_socket=1000,
    connections_note="at most 100 websocket connections and 1000 subscriptions per IP",
    default_funding_interval_h=1.0,
    quote_currencies=("USD",),
    docs=(
        f"{_DOCS}/info-endpoint/perpetuals",
        f"{_DOCS}/info-endpoint",
        f"{_DOCS}/websocket/subscriptions",
        f"{_DOCS}/rate-limits-and-user-limits",
        "https://hyperliquid.gitbook.io/hyperliquid-docs/trading/margin-tiers",
    ),
)
