"""Pure parse functions: Bybit v5 payload (bytes or decoded JSON) -> typed records.

Conventions (docs: https://bybit-exchange.github.io/docs/v5/):
- ``allLiquidation`` ``S`` is the side of the *liquidated position*: ``Buy`` -> a LONG was liquidated. The topic
  carries every liquidation (``complete=True``); the older ``liquidation`` topic sent at most one per second.
- Linear sizes are in the base coin; inverse sizes (``BTCUSD``) are in USD, one USD per contract.
- Funding intervals are per symbol (instruments-info ``fundingInterval``, minutes); callers pass ``interval_h``.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from perpscope.errors import ParseError, VenueResponseError
from perpscope.models import Candle, CandleKind, FundingKind, FundingRate, Liquidation, Side
from perpscope.venues.bybit import VENUE, endpoints, symbols
from perpscope.venues.bybit.capabilities import CAPABILITIES
from perpscope.venues.decoding import Decoder, Payload, decode

DEFAULT_INTERVAL_H = CAPABILITIES.default_funding_interval_h
WS_SOURCE = "bybit ws"

RowT = TypeVar("RowT")


def rest_source(path: str) -> str:
    return f"bybit rest {path}"


def canonical(native: str, source: str) -> str:
    try:
        return symbols.to_canonical(native)
    except ParseError as error:
        raise error.located(file=source) from None


class ListResult(msgspec.Struct, Generic[RowT]):
    entries: list[RowT] = msgspec.field(name="list")
    category: str = ""
    symbol: str = ""


class Answer(msgspec.Struct, Generic[RowT]):
    """Every v5 REST answer: ``{"retCode": 0, "retMsg": "OK", "result": {...}, "time": ...}``."""

    retCode: int
    result: ListResult[RowT]
    retMsg: str = ""
    time: int = 0


def rows(payload: Payload, row: type[RowT], source: str) -> tuple[list[RowT], ListResult[RowT], int]:
    """The ``result.list`` rows of a v5 answer, its ``result`` and its ``time``; refused requests raise."""
    if isinstance(payload, dict) and payload.get("retCode", 0) != 0:
        raise VenueResponseError(f"{source}: Bybit error {payload.get('retCode')}: {payload.get('retMsg')}")
    answer = decode(payload, Answer[row], source=source)  # type: ignore[valid-type]
    if answer.retCode != 0:
        raise VenueResponseError(f"{source}: Bybit error {answer.retCode}: {answer.retMsg}")
    return answer.result.entries, answer.result, answer.time


class _FundingRow(msgspec.Struct):
    symbol: str
    fundingRate: float
    fundingRateTimestamp: int


def parse_funding_history(
    payload: Payload, ts_recv: int, *, interval_h: float = DEFAULT_INTERVAL_H
) -> list[FundingRate]:
    """``GET /v5/market/funding/history``: settled rates, newest first; the timestamp is the settlement."""
    source = rest_source(endpoints.FUNDING_HISTORY.path)
    funding_rows, _, _ = rows(payload, _FundingRow, source)
    return [
        FundingRate(
            venue=VENUE,
            symbol=canonical(row.symbol, source),
            native_symbol=row.symbol,
            ts_event=row.fundingRateTimestamp,
            ts_recv=ts_recv,
            source=source,
            rate=row.fundingRate,
            interval_h=interval_h,
            kind=FundingKind.SETTLED,
            funding_time=row.fundingRateTimestamp,
        )
        for row in funding_rows
    ]


# ---------------------------------------------------------------- websocket


class _Envelope(msgspec.Struct):
    topic: str = ""
    type: str = ""
    ts: int = 0
    data: msgspec.Raw = msgspec.Raw()


def envelope(payload: Payload) -> tuple[str, int, Payload | bytes]:
    """(topic, ts, data) of a public push; ("", 0, []) for replies such as ``{"op": "subscribe", ...}``."""
    if isinstance(payload, dict):
        return str(payload.get("topic", "")), int(payload.get("ts") or 0), payload.get("data") or []
    message = decode(payload, _Envelope, source=WS_SOURCE)
    if not message.data:
        return "", 0, []
    return message.topic, message.ts, bytes(message.data)


def _liquidation(
    native: str, side: str, size: float, price: float, ts: int, ts_recv: int, source: str, *, complete: bool
) -> Liquidation | None:
    if not symbols.is_perpetual(native):
        return None
    if side not in ("Buy", "Sell"):
        raise ParseError(f"unknown position side {side!r}", file=source, field="S")
    # Inverse sizes are USD; linear sizes are coins.
    quantity, notional = (size / price, size) if symbols.is_inverse(native) else (size, size * price)
    return Liquidation(
        venue=VENUE,
        symbol=canonical(native, source),
        native_symbol=native,
        ts_event=ts,
        ts_recv=ts_recv,
        source=source,
        side=Side.LONG if side == "Buy" else Side.SHORT,  # the position's side: Buy = a long was liquidated
        price=price,
        quantity=quantity,
        notional_usd=notional,
        complete=complete,
    )


class AllLiquidation(msgspec.Struct):
    T: int
    s: str
    S: str
    v: float
    p: float


ALL_LIQUIDATION_SOURCE = f"{WS_SOURCE} allLiquidation"
_ALL_LIQUIDATION_ROWS = Decoder[list[AllLiquidation]](list[AllLiquidation])


def parse_all_liquidation(payload: Payload, ts_recv: int) -> list[Liquidation]:
    """``allLiquidation.{symbol}``: every liquidation, batched every 500 ms."""
    _, _, data = envelope(payload)
    return all_liquidations(data, ts_recv)


def all_liquidations(data: Payload, ts_recv: int) -> list[Liquidation]:
    """The records of an ``allLiquidation`` push's ``data``."""
    return all_liquidation_records(_ALL_LIQUIDATION_ROWS(data, ALL_LIQUIDATION_SOURCE), ts_recv)


def all_liquidation_records(rows: list[AllLiquidation], ts_recv: int) -> list[Liquidation]:
    records = []
    for row in rows:
        record = _liquidation(row.s, row.S, row.v, row.p, row.T, ts_recv, ALL_LIQUIDATION_SOURCE, complete=True)
        if record is not None:
            records.append(record)
    return records


class LegacyLiquidation(msgspec.Struct):
    symbol: str
    side: str
    size: float
    price: float
    updatedTime: int


LIQUIDATION_SOURCE = f"{WS_SOURCE} liquidation"
_LEGACY_LIQUIDATION = Decoder[LegacyLiquidation](LegacyLiquidation)


def parse_liquidation(payload: Payload, ts_recv: int) -> list[Liquidation]:
    """The superseded ``liquidation.{symbol}`` topic: at most one liquidation per second (a lower bound)."""
    _, _, data = envelope(payload)
    return legacy_liquidations(data, ts_recv)


def legacy_liquidations(data: Payload, ts_recv: int) -> list[Liquidation]:
    """The records of a ``liquidation`` push's ``data``."""
    return legacy_liquidation_records(_LEGACY_LIQUIDATION(data, LIQUIDATION_SOURCE), ts_recv)


def legacy_liquidation_records(row: LegacyLiquidation, ts_recv: int) -> list[Liquidation]:
    source = LIQUIDATION_SOURCE
    record = _liquidation(row.symbol, row.side, row.size, row.price, row.updatedTime, ts_recv, source, complete=False)
    return [record] if record is not None else []


class Push(msgspec.Struct, kw_only=True, gc=False):
    """A whole liquidation push decoded in one pass: the ``envelope`` fields with ``data`` of either topic (an
    object for ``liquidation``, a list for ``allLiquidation``); its topic must then name that shape."""

    topic: str = ""
    type: str = ""
    ts: int = 0
    data: LegacyLiquidation | list[AllLiquidation]


PUSH = msgspec.json.Decoder(Push, strict=False)


class _KlinePush(msgspec.Struct):
    start: int
    interval: str
    open: float
    close: float
    high: float
    low: float
    volume: float
    turnover: float
    confirm: bool


def parse_kline(payload: Payload, ts_recv: int, *, closed_only: bool = True) -> list[Candle]:
    """``kline.{interval}.{symbol}``: bars once confirmed (``confirm``) unless ``closed_only`` is False."""
    topic, _, data = envelope(payload)
    return klines(topic, data, ts_recv, closed_only=closed_only)


def klines(topic: str, data: Payload, ts_recv: int, *, closed_only: bool = True) -> list[Candle]:
    """The records of a ``kline`` push's ``data``."""
    source = f"{WS_SOURCE} kline"
    native = topic.rsplit(".", 1)[-1]
    if not symbols.is_perpetual(native):
        return []
    return [
        Candle(
            venue=VENUE,
            symbol=canonical(native, source),
            native_symbol=native,
            ts_event=bar.start,
            ts_recv=ts_recv,
            source=source,
            interval=canonical_interval(bar.interval),
            kind=CandleKind.LAST,
            open=bar.open,
            high=bar.high,
            low=bar.low,
            close=bar.close,
            volume=bar.volume,
            quote_volume=bar.turnover,
        )
        for bar in decode(data, list[_KlinePush], source=source)
        if bar.confirm or not closed_only
    ]


_INTERVALS = {
    "1": "1m",
    "3": "3m",
    "5": "5m",
    "15": "15m",
    "30": "30m",
    "60": "1h",
    "120": "2h",
    "240": "4h",
    "360": "6h",
    "720": "12h",
    "D": "1d",
    "W": "1w",
    "M": "1M",
}


def canonical_interval(native: str) -> str:
    """Bybit kline intervals are minutes or D/W/M: ``60`` -> ``1h``."""
    try:
        return _INTERVALS[native]
    except KeyError:
        raise ParseError(f"unknown kline interval {native!r}", field="interval") from None
