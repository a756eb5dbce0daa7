"""Pure parse functions: Hyperliquid payload (bytes or decoded JSON) -> typed records.

Conventions (docs: https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api):
- Funding is paid every hour: every rate here has ``interval_h = 1``. ``fundingHistory`` rows are settled rates
  at ``time`` (millisecond jitter kept); ``activeAssetCtx``/``metaAndAssetCtxs`` ``funding`` is the live estimate
  for the next whole hour.
- Asset contexts carry no timestamp: their ``ts_event`` is ``ts_recv``.
- Sizes and open interest are in coins (base units); prices in USD (USDC at par).
"""

from __future__ import annotations

from typing import Any

import msgspec

from perpscope.errors import ParseError
from perpscope.models import FundingKind, FundingRate, OIUnit, OpenInterest, Price, PriceKind, Record
from perpscope.venues.decoding import Payload, decode, next_whole_hour
from perpscope.venues.hyperliquid import VENUE, endpoints, symbols
from perpscope.venues.hyperliquid.capabilities import CAPABILITIES

INTERVAL_H = CAPABILITIES.default_funding_interval_h
REST_SOURCE = "hyperliquid rest /info"
WS_SOURCE = "hyperliquid ws"


def canonical(coin: str, source: str) -> str:
    try:
        return symbols.to_canonical(coin)
    except ParseError as error:
        raise error.located(file=source) from None


class _FundingRow(msgspec.Struct):
    coin: str
    fundingRate: float
    time: int
    premium: float | None = None


def parse_funding_history(payload: Payload, ts_recv: int) -> list[FundingRate]:
    """``{"type": "fundingHistory"}``: hourly settled rates, oldest first."""
    source = f"{REST_SOURCE} fundingHistory"
    funding_rows = decode(payload, list[_FundingRow], source=source)
    return [
        FundingRate(
            venue=VENUE,
            symbol=canonical(row.coin, source),
            native_symbol=row.coin,
            ts_event=row.time,
            ts_recv=ts_recv,
            source=source,
            rate=row.fundingRate,
            interval_h=INTERVAL_H,
            kind=FundingKind.SETTLED,
            funding_time=row.time,
        )
        for row in funding_rows
    ]


# ---------------------------------------------------------------- asset contexts (websocket and REST)


class AssetContext(msgspec.Struct):
    """One perpetual's live context, as in ``activeAssetCtx`` and ``metaAndAssetCtxs``."""

    funding: float
    openInterest: float
    markPx: float
    oraclePx: float
    premium: float | None = None
    midPx: float | None = None


def context_records(coin: str, context: AssetContext, ts_recv: int, source: str) -> list[Record]:
    """Predicted funding for the next whole hour, open interest (coins, valued at the mark), mark and oracle."""
    common: dict[str, Any] = {
        "venue": VENUE,
        "symbol": canonical(coin, source),
        "native_symbol": coin,
        "ts_event": ts_recv,  # contexts carry no venue time
        "ts_recv": ts_recv,
        "source": source,
    }
    return [
        FundingRate(
            rate=context.funding,
            interval_h=INTERVAL_H,
            kind=FundingKind.PREDICTED,
            funding_time=next_whole_hour(ts_recv),
            **common,
        ),
        OpenInterest(
            oi_base=context.openInterest,
            oi_usd=context.openInterest * context.markPx,
            reported=OIUnit.BASE,
            conversion_price=context.markPx,
            **common,
        ),
        Price(kind=PriceKind.MARK, price=context.markPx, **common),
        Price(kind=PriceKind.INDEX, price=context.oraclePx, **common),
    ]


class _ActiveAssetCtxData(msgspec.Struct):
    coin: str
    ctx: AssetContext


class _Push(msgspec.Struct):
    channel: str
    data: msgspec.Raw = msgspec.Raw()  # absent on {"channel": "pong"}


def _push(payload: Payload) -> tuple[str, Payload | bytes]:
    if isinstance(payload, dict):
        return str(payload.get("channel", "")), payload.get("data") or {}
    push = decode(payload, _Push, source=WS_SOURCE)
    return push.channel, bytes(push.data) if push.data else {}


def parse_active_asset_ctx(payload: Payload, ts_recv: int) -> list[Record]:
    """``activeAssetCtx`` for a perpetual; the spot variant (``activeSpotAssetCtx``) yields nothing."""
    source = f"{WS_SOURCE} activeAssetCtx"
    channel, data = _push(payload)
    if channel != endpoints.ACTIVE_ASSET_CTX:
        return []
    update = decode(data, _ActiveAssetCtxData, source=source)
    if not symbols.is_perpetual(update.coin):
        return []
    return context_records(update.coin, update.ctx, ts_recv, source)


class Trade(msgspec.Struct, frozen=True):
    """A public trade. perpscope's records have no trade type yet, so this stays a venue-level value:
    ``side`` is the aggressor's (``B`` buy, ``A`` sell), ``size`` in coins, ``price`` in USD."""

    coin: str
    side: str
    price: float
    size: float
    time: int
    hash: str
    tid: int


class _TradeRow(msgspec.Struct):
    coin: str
    side: str
    px: float
    sz: float
    time: int
    hash: str = ""
    tid: int = 0


def parse_trades(payload: Payload, ts_recv: int) -> list[Trade]:
    """``trades``: one push may hold several fills of one taker order (same ``hash``)."""
    source = f"{WS_SOURCE} trades"
    channel, data = _push(payload)
    if channel != endpoints.TRADES:
        return []
    return [
        Trade(coin=row.coin, side=row.side, price=row.px, size=row.sz, time=row.time, hash=row.hash, tid=row.tid)
        for row in decode(data, list[_TradeRow], source=source)
        if symbols.is_perpetual(row.coin)
    ]


def parse_message(payload: Payload, ts_recv: int) -> list[Record]:
    """Every record-bearing push this package understands (trades are read with :func:`parse_trades`)."""
    channel, _ = _push(payload)
    if channel == endpoints.ACTIVE_ASSET_CTX:
        return parse_active_asset_ctx(payload, ts_recv)
    return []
