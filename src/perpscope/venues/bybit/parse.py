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
from perpscope.models import FundingKind, FundingRate
from perpscope.venues.bybit import VENUE, endpoints, symbols
from perpscope.venues.bybit.capabilities import CAPABILITIES
from perpscope.venues.decoding import Payload, decode

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
