"""OKX v5 websocket pushes as they arrive: the envelope, each channel's rows, and the one-pass route.

Numbers the venue quotes are kept as the text it sent where "" means "not given" (converted by the parse
functions, which say which field was bad); the others are converted while decoding.

The one-pass route (:data:`ONE_PASS`) decodes a whole push once, typed, and builds its records directly, converting
text with msgspec's number decoders. For anything it does not take exactly as the general route in ``okx.parse``
would (another channel, an error code, a field that does not validate, text those decoders do not read) it returns
None or raises one of :data:`FALL_BACK`; the caller then takes the general route, which gives the records or raises
the ParseError naming the source and field, as always.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import msgspec

from perpscope.errors import ParseError
from perpscope.models import FundingKind, FundingRate, OIUnit, OpenInterest, Price, PriceKind, Record
from perpscope.venues.decoding import HOUR_MS, Decoder, interval_hours, json_float, json_int
from perpscope.venues.okx import VENUE, endpoints, symbols

WS_SOURCE = "okx ws"
FUNDING_SOURCE = f"{WS_SOURCE} {endpoints.FUNDING_RATE_CHANNEL}"
INDEX_SOURCE = f"{WS_SOURCE} {endpoints.INDEX_TICKERS_CHANNEL}"
LIQUIDATION_SOURCE = f"{WS_SOURCE} {endpoints.LIQUIDATION_ORDERS_CHANNEL}"
OPEN_INTEREST_SOURCE = f"{WS_SOURCE} {endpoints.OPEN_INTEREST_CHANNEL}"
MARK_PRICE_SOURCE = f"{WS_SOURCE} {endpoints.MARK_PRICE_CHANNEL}"

RowT = TypeVar("RowT")


class Arg(msgspec.Struct, gc=False):
    channel: str
    instId: str = ""
    instType: str = ""


class Push(msgspec.Struct):
    """A channel push ``{"arg": {...}, "data": [...]}`` or a REST answer ``{"code": "0", "data": [...]}``;
    subscription acknowledgements carry ``event`` and no data."""

    arg: Arg | None = None
    data: msgspec.Raw = msgspec.Raw()
    event: str = ""
    code: str = "0"
    msg: str = ""


PUSH = Decoder[Push](Push)


class FundingPush(msgspec.Struct, gc=False):
    instId: str
    fundingTime: str = ""
    fundingRate: str = ""
    nextFundingRate: str = ""
    nextFundingTime: str = ""
    ts: str = ""


FUNDING_ROWS = Decoder[list[FundingPush]](list[FundingPush])


class OpenInterestPush(msgspec.Struct, gc=False):
    instId: str
    oi: float
    oiCcy: float
    ts: str = ""
    oiUsd: str = ""


OPEN_INTEREST_ROWS = Decoder[list[OpenInterestPush]](list[OpenInterestPush])


class MarkPush(msgspec.Struct, gc=False):
    instId: str
    markPx: float
    ts: str = ""


MARK_ROWS = Decoder[list[MarkPush]](list[MarkPush])


class IndexPush(msgspec.Struct, gc=False):
    instId: str
    idxPx: float
    ts: str = ""


INDEX_ROWS = Decoder[list[IndexPush]](list[IndexPush])


class LiquidationDetail(msgspec.Struct, gc=False):
    bkPx: float
    sz: float
    side: str
    ts: int
    posSide: str = ""


class LiquidationPush(msgspec.Struct, gc=False):
    instId: str
    details: list[LiquidationDetail]
    instType: str = ""


LIQUIDATION_ROWS = Decoder[list[LiquidationPush]](list[LiquidationPush])


# ---------------------------------------------------------------- the one-pass route

# OKX writes ``arg`` first: the first letter of the channel's name, read off the text, picks the decoder to try
# (one character: no string is built). Whatever the text, the decoded push must then name that channel.
SNIFF = '{"arg":{"channel":"'
CHANNEL_AT = len(SNIFF)
# What sends a push from the one-pass route to the general one: msgspec's errors (ValidationError is a DecodeError;
# also a number json_int/json_float do not take), text that is not a number (ValueError), an id that is not an
# index's (ParseError), an unknown channel (KeyError).
FALL_BACK = (msgspec.DecodeError, ValueError, ParseError, LookupError)
ContractValues = Mapping[str, float]
OnePass = Callable[[str, int, ContractValues, float], "list[Record] | None"]


class Message(msgspec.Struct, Generic[RowT], gc=False):
    """A whole push of one channel; ``event`` and ``msg`` are declared so that they validate as in :class:`Push`."""

    arg: Arg
    data: list[RowT]
    code: str = "0"
    event: str = ""
    msg: str = ""


def one_pass_decoder(row: Any, *, strict: bool = False) -> msgspec.json.Decoder[Message[Any]]:
    return msgspec.json.Decoder(Message[row], strict=strict)


# Every field of a funding push is text: strict decoding takes the same pushes, a little faster.
_FUNDING = one_pass_decoder(FundingPush, strict=True)
_OPEN_INTEREST = one_pass_decoder(OpenInterestPush)
_MARK = one_pass_decoder(MarkPush)
_INDEX = one_pass_decoder(IndexPush)
_LIQUIDATIONS = one_pass_decoder(LiquidationPush)

# Canonical symbols of the instruments seen so far ("" for those that are not perpetual swaps): a dict look-up
# instead of two cached function calls a row. Bounded: a venue listing junk ids cannot grow it without end.
_SYMBOLS: dict[str, str] = {}
_INDEXES: dict[str, str] = {}
_FUNDING_TEMPLATES: dict[str, FundingRate] = {}
_replace = msgspec.structs.replace
_HOURS = {hours * HOUR_MS: float(hours) for hours in (1, 2, 4, 8)}  # the usual intervals, computed once
CACHED_SYMBOLS = 4096


def perpetual_symbol(inst_id: str) -> str:
    """The canonical symbol of a perpetual swap, "" for any other instrument."""
    found = _SYMBOLS.get(inst_id)
    if found is None:
        if len(_SYMBOLS) >= CACHED_SYMBOLS:
            _SYMBOLS.clear()
        found = _SYMBOLS[inst_id] = symbols.to_canonical(inst_id) if symbols.is_perpetual(inst_id) else ""
    return found


def _funding(payload: str, ts_recv: int, values: ContractValues, default_h: float) -> list[Record] | None:
    message = _FUNDING.decode(payload)
    if message.code != "0" or message.arg.channel != endpoints.FUNDING_RATE_CHANNEL:
        return None
    records: list[Record] = []
    for row in message.data:
        template = _FUNDING_TEMPLATES.get(row.instId) or _funding_template(row.instId)
        if template is None:
            continue
        # Every field is converted before fundingTime is checked, as the general route does; "-0" is converted
        # again by float() (json_float gives 0.0, the general route -0.0).
        funding_time = json_int(row.fundingTime) if row.fundingTime else None
        next_time = json_int(row.nextFundingTime) if row.nextFundingTime else None
        ts_event = (json_int(row.ts) if row.ts else 0) or ts_recv
        rate = json_float(row.fundingRate) or float(row.fundingRate) if row.fundingRate else None
        next_rate = json_float(row.nextFundingRate) or float(row.nextFundingRate) if row.nextFundingRate else None
        if not funding_time:
            continue
        if not next_time or next_time <= funding_time:
            interval_h = default_h
        else:
            interval_h = _HOURS.get(next_time - funding_time) or interval_hours(funding_time, next_time, default_h)
        coming = _replace(
            template,
            ts_event=ts_event,
            ts_recv=ts_recv,
            rate=rate if rate is not None else 0.0,
            interval_h=interval_h,
            funding_time=funding_time,
        )
        if rate is not None:
            records.append(coming)
        if next_rate is not None:
            when = next_time or funding_time + round(interval_h * HOUR_MS)
            records.append(_replace(coming, rate=next_rate, funding_time=when))
    return records


def _funding_template(inst_id: str) -> FundingRate | None:
    """A swap's funding record with its fixed fields filled in: a row's record replaces the rest (cheaper than
    building it from ten keywords). None for an instrument that is not a perpetual swap."""
    symbol = perpetual_symbol(inst_id)
    if not symbol:
        return None
    if len(_FUNDING_TEMPLATES) >= CACHED_SYMBOLS:
        _FUNDING_TEMPLATES.clear()
    template = _FUNDING_TEMPLATES[inst_id] = FundingRate(
        venue=VENUE,
        symbol=symbol,
        native_symbol=inst_id,
        ts_event=0,
        ts_recv=0,
        source=FUNDING_SOURCE,
        rate=0.0,
        interval_h=0.0,
        kind=FundingKind.PREDICTED,
        funding_time=0,
    )
    return template


def _open_interest(payload: str, ts_recv: int, values: ContractValues, default_h: float) -> list[Record] | None:
    message = _OPEN_INTEREST.decode(payload)
    if message.code != "0" or message.arg.channel != endpoints.OPEN_INTEREST_CHANNEL:
        return None
    records: list[Record] = []
    for row in message.data:
        symbol = _SYMBOLS.get(row.instId) or perpetual_symbol(row.instId)
        if not symbol:
            continue
        ts_event = (json_int(row.ts) if row.ts else 0) or ts_recv
        usd = json_float(row.oiUsd) or float(row.oiUsd) if row.oiUsd else None
        record = OpenInterest(
            venue=VENUE,
            symbol=symbol,
            native_symbol=row.instId,
            ts_event=ts_event,
            ts_recv=ts_recv,
            source=OPEN_INTEREST_SOURCE,
            oi_contracts=row.oi,
            oi_base=row.oiCcy,
            oi_usd=usd,
            reported=OIUnit.CONTRACTS,
            conversion_price=usd / row.oiCcy if usd is not None and row.oiCcy else None,
        )
        records.append(record)
    return records


def _mark(payload: str, ts_recv: int, values: ContractValues, default_h: float) -> list[Record] | None:
    message = _MARK.decode(payload)
    if message.code != "0" or message.arg.channel != endpoints.MARK_PRICE_CHANNEL:
        return None
    records: list[Record] = []
    for row in message.data:
        symbol = _SYMBOLS.get(row.instId) or perpetual_symbol(row.instId)
        if symbol:
            ts_event = (json_int(row.ts) if row.ts else 0) or ts_recv
            record = price(symbol, row.instId, ts_event, ts_recv, MARK_PRICE_SOURCE, PriceKind.MARK, row.markPx)
            records.append(record)
    return records


def _index(payload: str, ts_recv: int, values: ContractValues, default_h: float) -> list[Record] | None:
    message = _INDEX.decode(payload)
    if message.code != "0" or message.arg.channel != endpoints.INDEX_TICKERS_CHANNEL:
        return None
    records: list[Record] = []
    for row in message.data:
        symbol = _INDEXES.get(row.instId) or _index_symbol(row.instId)  # not an index id: ParseError, fall back
        ts_event = (json_int(row.ts) if row.ts else 0) or ts_recv
        records.append(price(symbol, row.instId, ts_event, ts_recv, INDEX_SOURCE, PriceKind.INDEX, row.idxPx))
    return records


def liquidations(payload: str) -> list[LiquidationPush] | None:
    """The rows of a ``liquidation-orders`` push without an error code (its records are built in ``okx.parse``)."""
    message = _LIQUIDATIONS.decode(payload)
    if message.code != "0" or message.arg.channel != endpoints.LIQUIDATION_ORDERS_CHANNEL:
        return None
    rows: list[LiquidationPush] = message.data
    return rows


def _index_symbol(index_id: str) -> str:
    if len(_INDEXES) >= CACHED_SYMBOLS:
        _INDEXES.clear()
    found = _INDEXES[index_id] = symbols.index_to_canonical(index_id)
    return found


def price(symbol: str, native: str, ts_event: int, ts_recv: int, source: str, kind: PriceKind, value: float) -> Price:
    return Price(
        venue=VENUE,
        symbol=symbol,
        native_symbol=native,
        ts_event=ts_event,
        ts_recv=ts_recv,
        source=source,
        kind=kind,
        price=value,
    )


def sniffed(channel: str) -> str:
    """The key of :data:`ONE_PASS` for ``channel``: the first letter of its name, where a push writes it."""
    return (SNIFF + channel)[CHANNEL_AT]


# Liquidations are added by ``okx.parse`` (their records are built there).
ONE_PASS: dict[str, OnePass] = {
    sniffed(endpoints.FUNDING_RATE_CHANNEL): _funding,
    sniffed(endpoints.OPEN_INTEREST_CHANNEL): _open_interest,
    sniffed(endpoints.MARK_PRICE_CHANNEL): _mark,
    sniffed(endpoints.INDEX_TICKERS_CHANNEL): _index,
}
