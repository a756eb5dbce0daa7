"""Pure parse functions: Binance USDⓈ-M payload (bytes or decoded JSON) -> typed records.

Conventions (docs: developers.binance.com/docs/derivatives/usds-margined-futures):
- forceOrder ``S`` is the side of the *liquidation order*: BUY closes a short, so BUY -> a SHORT was liquidated.
  The feed sends at most one order per symbol per second, so liquidation records say ``complete=False``.
- The markPrice stream's ``r``/``T`` and premiumIndex's ``lastFundingRate``/``nextFundingTime`` are the live
  estimate for the next settlement: ``FundingKind.PREDICTED`` with ``funding_time`` = that settlement.
- Funding intervals are per symbol (``/fapi/v1/fundingInfo``); callers pass ``interval_h``, 8 h by default.
"""

from __future__ import annotations

from typing import Any

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
from perpscope.venues.decoding import Payload, decode, decode_as, optional_float

DEFAULT_INTERVAL_H = CAPABILITIES.default_funding_interval_h
WS_SOURCE = "binance ws"
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
    source = f"{WS_SOURCE} forceOrder"
    _, body = _unwrap(payload)
    order = decode(body, _ForceOrder, source=source).o
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
    source = f"{WS_SOURCE} markPrice"
    _, body = _unwrap(payload)
    updates: _MarkPrice | list[_MarkPrice] = decode_as(body, _MarkPrice | list[_MarkPrice], source=source)
    records: list[Record] = []
    for update in updates if isinstance(updates, list) else [updates]:
        if symbols.is_perpetual(update.s):
            records.extend(_mark_price_records(update, ts_recv, interval_h, source))
    return records


def _mark_price_records(update: _MarkPrice, ts_recv: int, interval_h: float, source: str) -> list[Record]:
    common: dict[str, Any] = {
        "venue": VENUE,
        "symbol": canonical(update.s, source),
        "native_symbol": update.s,
        "ts_event": update.E,
        "ts_recv": ts_recv,
        "source": source,
    }
    records: list[Record] = [Price(kind=PriceKind.MARK, price=update.p, **common)]
    index = optional_float(update.i, field="i", source=source)
    if index is not None:
        records.append(Price(kind=PriceKind.INDEX, price=index, **common))
    rate = optional_float(update.r, field="r", source=source)
    if rate is not None and update.T > 0:
        records.append(
            FundingRate(rate=rate, interval_h=interval_h, kind=FundingKind.PREDICTED, funding_time=update.T, **common)
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
    source = f"{WS_SOURCE} kline"
    _, body = _unwrap(payload)
    bar = decode(body, _KlineEvent, source=source).k
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


def parse_message(payload: Payload, ts_recv: int, *, interval_h: float = DEFAULT_INTERVAL_H) -> list[Record]:
    """Any market-stream message this package understands; other streams (trades, tickers) yield nothing."""
    name, _ = _unwrap(payload)
    if "forceOrder" in name:
        return list(parse_force_order(payload, ts_recv))
    if "markPrice" in name:
        return parse_mark_price(payload, ts_recv, interval_h=interval_h)
    if "kline" in name:
        return list(parse_kline(payload, ts_recv))
    return []
