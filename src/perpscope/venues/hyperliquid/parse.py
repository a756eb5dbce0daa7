"""Pure parse functions: Hyperliquid payload (bytes or decoded JSON) -> typed records.

Conventions (docs: https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api):
- Funding is paid every hour: every rate here has ``interval_h = 1``. ``fundingHistory`` rows are settled rates
  at ``time`` (millisecond jitter kept); ``activeAssetCtx``/``metaAndAssetCtxs`` ``funding`` is the live estimate
  for the next whole hour.
- Asset contexts carry no timestamp: their ``ts_event`` is ``ts_recv``.
- Sizes and open interest are in coins (base units); prices in USD (USDC at par).
"""

from __future__ import annotations

import msgspec

from perpscope.errors import ParseError
from perpscope.models import FundingKind, FundingRate, OIUnit, OpenInterest, Price, PriceKind, Record
from perpscope.venues.decoding import Decoder, Payload, decode, next_whole_hour
from perpscope.venues.hyperliquid import VENUE, endpoints, symbols
from perpscope.venues.hyperliquid.capabilities import CAPABILITIES

INTERVAL_H = CAPABILITIES.default_funding_interval_h
REST_SOURCE = "hyperliquid rest /info"
WS_SOURCE = "hyperliquid ws"
ACTIVE_ASSET_CTX_SOURCE = f"{WS_SOURCE} activeAssetCtx"


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
    symbol = canonical(coin, source)
    # Keyword arguments spelled out: unpacking a shared dict costs more than building the record.
    mark = Price(
        venue=VENUE,
        symbol=symbol,
        native_symbol=coin,
        ts_event=ts_recv,  # contexts carry no venue time
        ts_recv=ts_recv,
        source=source,
        kind=PriceKind.MARK,
        price=context.markPx,
    )
    return [
        FundingRate(
            venue=VENUE,
            symbol=symbol,
            native_symbol=coin,
            ts_event=ts_recv,
            ts_recv=ts_recv,
            source=source,
            rate=context.funding,
            interval_h=INTERVAL_H,
            kind=FundingKind.PREDICTED,
            funding_time=next_whole_hour(ts_recv),
        ),
        OpenInterest(
            venue=VENUE,
            symbol=symbol,
            native_symbol=coin,
            ts_event=ts_recv,
            ts_recv=ts_recv,
            source=source,
            oi_base=context.openInterest,
            oi_usd=context.openInterest * context.markPx,
            reported=OIUnit.BASE,
            conversion_price=context.markPx,
        ),
        mark,
        msgspec.structs.replace(mark, kind=PriceKind.INDEX, price=context.oraclePx),
    ]


class _ActiveAssetCtxData(msgspec.Struct):
    coin: str
    ctx: AssetContext


class _Push(msgspec.Struct):
    channel: str
    data: msgspec.Raw = msgspec.Raw()  # absent on {"channel": "pong"}


_PUSH = Decoder[_Push](_Push)


def _push(payload: Payload) -> tuple[str, Payload | bytes]:
    if isinstance(payload, dict):
        return str(payload.get("channel", "")), payload.get("data") or {}
    push = _PUSH(payload, WS_SOURCE)
    return push.channel, bytes(push.data) if push.data else {}


def parse_active_asset_ctx(payload: Payload, ts_recv: int) -> list[Record]:
    """``activeAssetCtx`` for a perpetual; the spot variant (``activeSpotAssetCtx``) yields nothing."""
    source = ACTIVE_ASSET_CTX_SOURCE
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


# Hyperliquid writes ``channel`` first: an asset context push is known from its text and decoded once. Anything
# else (another key order, bytes, a bad field) takes the general route, which decodes the envelope, then ``data``.
_ACTIVE_ASSET_CTX_TEXT = '{"channel":"activeAssetCtx",'


class _ActiveAssetCtxPush(msgspec.Struct):
    channel: str
    data: _ActiveAssetCtxData


_ACTIVE_ASSET_CTX_PUSH = msgspec.json.Decoder(_ActiveAssetCtxPush, strict=False)


def parse_message(payload: Payload, ts_recv: int) -> list[Record]:
    """Every record-bearing push this package understands (trades are read with :func:`parse_trades`)."""
    if isinstance(payload, str) and payload.startswith(_ACTIVE_ASSET_CTX_TEXT):
        try:
            push = _ACTIVE_ASSET_CTX_PUSH.decode(payload)
        except (msgspec.ValidationError, msgspec.DecodeError):
            push = None
        if push is not None and push.channel == endpoints.ACTIVE_ASSET_CTX:
            update = push.data
            perpetual = symbols.is_perpetual(update.coin)
            return context_records(update.coin, update.ctx, ts_recv, ACTIVE_ASSET_CTX_SOURCE) if perpetual else []
    channel, _ = _push(payload)
    if channel == endpoints.ACTIVE_ASSET_CTX:
        return parse_active_asset_ctx(payload, ts_recv)
    return []
