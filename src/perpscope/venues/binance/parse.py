"""Pure parse functions: Binance USDⓈ-M payload (bytes or decoded JSON) -> typed records.

Conventions (docs: developers.binance.com/docs/derivatives/usds-margined-futures):
- forceOrder ``S`` is the side of the *liquidation order*: BUY closes a short, so BUY -> a SHORT was liquidated.
  The feed sends at most one order per symbol per second, so liquidation records say ``complete=False``.
- The markPrice stream's ``r``/``T`` and premiumIndex's ``lastFundingRate``/``nextFundingTime`` are the live
  estimate for the next settlement: ``FundingKind.PREDICTED`` with ``funding_time`` = that settlement.
- Funding intervals are per symbol (``/fapi/v1/fundingInfo``); callers pass ``interval_h``, 8 h by default.
"""

from __future__ import annotations

from functools import lru_cache

import msgspec

from perpscope.errors import ParseError
from perpscope.models import (
    Candle,
    CandleKind,
    FundingKind,
    FundingRate,
    Liquidation,
    OIUnit,
    OpenInterest,
    Price,
    PriceKind,
    Record,
    Side,
)
from perpscope.venues.binance import VENUE, endpoints, symbols
from perpscope.venues.binance.capabilities import CAPABILITIES
from perpscope.venues.decoding import TEXT_TYPES, Payload, decode, decode_as, optional_float

DEFAULT_INTERVAL_H = CAPABILITIES.default_funding_interval_h
WS_SOURCE = "binance ws"
FORCE_ORDER_SOURCE = f"{WS_SOURCE} forceOrder"
MARK_PRICE_SOURCE = f"{WS_SOURCE} markPrice"
KLINE_SOURCE = f"{WS_SOURCE} kline"
# A bare JSON array on a raw ``/ws/`` connection can only be the all-symbols mark price stream.
ALL_MARK_PRICES = endpoints.ALL_MARK_PRICES_STREAM


def _rest(endpoint_path: str) -> str:
    return f"binance rest {endpoint_path}"


def canonical(native: str, source: str) -> str:
    """The canonical symbol of a perpetual; a ParseError naming ``source`` otherwise."""
    try:
        return symbols.to_canonical(native)
    except ParseError as error:
        raise error.located(file=source) from None


# ---------------------------------------------------------------- REST history


class _FundingRow(msgspec.Struct):
    symbol: str
    fundingRate: float
    fundingTime: int


def parse_funding_history(
    payload: Payload, ts_recv: int, *, interval_h: float = DEFAULT_INTERVAL_H
) -> list[FundingRate]:
    """``GET /fapi/v1/fundingRate``: settled rates; ``fundingTime`` is the settlement (with ms jitter, kept)."""
    source = _rest(endpoints.FUNDING_RATE.path)
    rows = decode(payload, list[_FundingRow], source=source)
    return [
        FundingRate(
            venue=VENUE,
            symbol=canonical(row.symbol, source),
            native_symbol=row.symbol,
            ts_event=row.fundingTime,
            ts_recv=ts_recv,
            source=source,
            rate=row.fundingRate,
            interval_h=interval_h,
            kind=FundingKind.SETTLED,
            funding_time=row.fundingTime,
        )
        for row in rows
    ]


class _OpenInterestHistRow(msgspec.Struct):
    symbol: str
    sumOpenInterest: float
    sumOpenInterestValue: float
    timestamp: int


def parse_open_interest_hist(payload: Payload, ts_recv: int) -> list[OpenInterest]:
    """``GET /futures/data/openInterestHist``: OI in base units and in USD at the end of each period."""
    source = _rest(endpoints.OPEN_INTEREST_HIST.path)
    rows = decode(payload, list[_OpenInterestHistRow], source=source)
    return [
        OpenInterest(
            venue=VENUE,
            symbol=canonical(row.symbol, source),
            native_symbol=row.symbol,
            ts_event=row.timestamp,
            ts_recv=ts_recv,
            source=source,
            oi_base=row.sumOpenInterest,
            oi_usd=row.sumOpenInterestValue,
            reported=OIUnit.BASE,
            conversion_price=row.sumOpenInterestValue / row.sumOpenInterest if row.sumOpenInterest else None,
        )
        for row in rows
    ]


# ---------------------------------------------------------------- websocket


class _Frame(msgspec.Struct):
    """A combined-stream wrapper ``{"stream", "data"}``; both are absent on a raw ``/ws/<stream>`` message."""

    stream: str = ""
    data: msgspec.Raw = msgspec.Raw()
    e: str = ""


def _unwrap(payload: Payload) -> tuple[str, Payload | bytes]:
    """(stream name or event type, inner payload) of a websocket message, wrapped or not."""
    if isinstance(payload, dict):
        if "data" in payload:
            return str(payload.get("stream", "")), payload["data"]
        return str(payload.get("e", "")), payload
    if isinstance(payload, list):
        return ALL_MARK_PRICES, payload
    frame: _Frame | list[msgspec.Raw] = decode_as(payload, _Frame | list[msgspec.Raw], source=WS_SOURCE)
    if isinstance(frame, list):
        return ALL_MARK_PRICES, payload
    if frame.data:
        return frame.stream, bytes(frame.data)
    return frame.e, payload


class _ForceOrderBody(msgspec.Struct):
    s: str
    S: str
    q: float
    p: float
    ap: float
    z: float
    T: int


class _ForceOrder(msgspec.Struct):
    E: int
    o: _ForceOrderBody


def parse_force_order(payload: Payload, ts_recv: int) -> list[Liquidation]:
    """``<symbol>@forceOrder`` / ``!forceOrder@arr``: one liquidation order, at its average fill price."""
    _, body = _unwrap(payload)
    return _force_order_records(decode(body, _ForceOrder, source=FORCE_ORDER_SOURCE).o, ts_recv)


def _force_order_records(order: _ForceOrderBody, ts_recv: int) -> list[Liquidation]:
    source = FORCE_ORDER_SOURCE
    if not symbols.is_perpetual(order.s):
        return []
    if order.S not in ("BUY", "SELL"):
        raise ParseError(f"unknown order side {order.S!r}", file=source, field="o.S")
    # Filled quantity and average price when the order filled; the order's own figures otherwise.
    quantity = order.z or order.q
    price = order.ap or order.p
    return [
        Liquidation(
            venue=VENUE,
            symbol=canonical(order.s, source),
            native_symbol=order.s,
            ts_event=order.T,
            ts_recv=ts_recv,
            source=source,
            side=Side.SHORT if order.S == "BUY" else Side.LONG,
            price=price,
            quantity=quantity,
            notional_usd=price * quantity,
            complete=False,
        )
    ]


class _MarkPrice(msgspec.Struct):
    E: int
    s: str
    p: float
    i: str = ""  # index price; absent from the 2019 stream
    r: str = ""  # funding estimate; "" on delivery contracts
    T: int = 0  # next funding time; 0 on delivery contracts


def parse_mark_price(payload: Payload, ts_recv: int, *, interval_h: float = DEFAULT_INTERVAL_H) -> list[Record]:
    """``<symbol>@markPrice[@1s]`` and ``!markPrice@arr``: mark, index and the predicted funding rate."""
    _, body = _unwrap(payload)
    updates: _MarkPrice | list[_MarkPrice] = decode_as(body, _MarkPrice | list[_MarkPrice], source=MARK_PRICE_SOURCE)
    return _mark_prices_records(updates if isinstance(updates, list) else [updates], ts_recv, interval_h)


def _mark_prices_records(updates: list[_MarkPrice], ts_recv: int, interval_h: float) -> list[Record]:
    records: list[Record] = []
    for update in updates:
        if symbols.is_perpetual(update.s):
            records.extend(_mark_price_records(update, ts_recv, interval_h, MARK_PRICE_SOURCE))
    return records


def _mark_price_records(update: _MarkPrice, ts_recv: int, interval_h: float, source: str) -> list[Record]:
    # Keyword arguments spelled out: unpacking a shared dict costs more than building the record (0.3 µs).
    mark = Price(
        venue=VENUE,
        symbol=canonical(update.s, source),
        native_symbol=update.s,
        ts_event=update.E,
        ts_recv=ts_recv,
        source=source,
        kind=PriceKind.MARK,
        price=update.p,
    )
    records: list[Record] = [mark]
    index = optional_float(update.i, field="i", source=source)
    if index is not None:
        records.append(msgspec.structs.replace(mark, kind=PriceKind.INDEX, price=index))
    rate = optional_float(update.r, field="r", source=source)
    if rate is not None and update.T > 0:
        records.append(
            FundingRate(
                venue=VENUE,
                symbol=mark.symbol,
                native_symbol=update.s,
                ts_event=update.E,
                ts_recv=ts_recv,
                source=source,
                rate=rate,
                interval_h=interval_h,
                kind=FundingKind.PREDICTED,
                funding_time=update.T,
            )
        )
    return records


class _KlineBody(msgspec.Struct):
    t: int
    T: int
    s: str
    i: str
    o: float
    c: float
    h: float
    l: float  # noqa: E741 - the venue's field name
    v: float
    q: float
    x: bool


class _KlineEvent(msgspec.Struct):
    E: int
    s: str
    k: _KlineBody


def parse_kline(payload: Payload, ts_recv: int, *, closed_only: bool = True) -> list[Candle]:
    """``<symbol>@kline_<interval>``: the bar, once closed (``x``) unless ``closed_only`` is False."""
    _, body = _unwrap(payload)
    return _kline_records(decode(body, _KlineEvent, source=KLINE_SOURCE).k, ts_recv, closed_only)


def _kline_records(bar: _KlineBody, ts_recv: int, closed_only: bool) -> list[Candle]:
    source = KLINE_SOURCE
    if (closed_only and not bar.x) or not symbols.is_perpetual(bar.s):
        return []
    return [
        Candle(
            venue=VENUE,
            symbol=canonical(bar.s, source),
            native_symbol=bar.s,
            ts_event=bar.t,
            ts_recv=ts_recv,
            source=source,
            interval=bar.i,
            kind=CandleKind.LAST,
            open=bar.o,
            high=bar.h,
            low=bar.l,
            close=bar.c,
            volume=bar.v,
            quote_volume=bar.q,
        )
    ]


# ---------------------------------------------------------------- parse_message: one pass over a combined frame
# The event type ``e`` tags the payload, so a frame decodes once into the right Struct. Anything else (a raw
# ``/ws/`` message, an event the stream name does not announce, a bad field) takes the stream-by-stream route,
# which skips it or raises the same ParseError as always.


class _ForceOrderEvent(_ForceOrder, tag_field="e", tag="forceOrder"):
    pass


class _MarkPriceEvent(_MarkPrice, tag_field="e", tag="markPriceUpdate"):
    pass


class _KlineTaggedEvent(_KlineEvent, tag_field="e", tag="kline"):
    pass


class _CombinedFrame(msgspec.Struct):
    stream: str = ""
    data: _ForceOrderEvent | _MarkPriceEvent | _KlineTaggedEvent | list[_MarkPrice] | None = None


_COMBINED_FRAME = msgspec.json.Decoder(_CombinedFrame, strict=False)
_UNREADABLE_FRAME = _CombinedFrame()


@lru_cache(maxsize=symbols.CACHED_SYMBOLS)
def _stream_kind(name: str) -> str:
    """What :func:`parse_message` makes of a stream name or event type: forceOrder, markPrice, kline or ""."""
    return next((kind for kind in ("forceOrder", "markPrice", "kline") if kind in name), "")


def parse_message(payload: Payload, ts_recv: int, *, interval_h: float = DEFAULT_INTERVAL_H) -> list[Record]:
    """Any market-stream message this package understands; other streams (trades, tickers) yield nothing."""
    if isinstance(payload, TEXT_TYPES):
        try:
            frame = _COMBINED_FRAME.decode(payload)
        except (msgspec.ValidationError, msgspec.DecodeError):
            frame = _UNREADABLE_FRAME
        data, kind = frame.data, _stream_kind(frame.stream)
        if isinstance(data, _MarkPriceEvent) and kind == "markPrice":
            perpetual = symbols.is_perpetual(data.s)
            return _mark_price_records(data, ts_recv, interval_h, MARK_PRICE_SOURCE) if perpetual else []
        if isinstance(data, _ForceOrderEvent) and kind == "forceOrder":
            return list(_force_order_records(data.o, ts_recv))
        if isinstance(data, list) and kind == "markPrice":
            return _mark_prices_records(data, ts_recv, interval_h)
        if isinstance(data, _KlineTaggedEvent) and kind == "kline":
            return list(_kline_records(data.k, ts_recv, True))
    return _by_stream(payload, ts_recv, interval_h)


def _by_stream(payload: Payload, ts_recv: int, interval_h: float) -> list[Record]:
    """Route by the stream name (or a raw message's event type), decoding the payload again for that stream."""
    kind = _stream_kind(_unwrap(payload)[0])
    if kind == "forceOrder":
        return list(parse_force_order(payload, ts_recv))
    if kind == "markPrice":
        return parse_mark_price(payload, ts_recv, interval_h=interval_h)
    if kind == "kline":
        return list(parse_kline(payload, ts_recv))
    return []
