"""Bybit v5 ``tickers.{symbol}``: a snapshot, then deltas that carry only the fields that changed.

:class:`TickerMerger` is the one stateful piece of the venue packages: it keeps the merged view per symbol and
turns each message into records for the groups of fields the message touched (funding, open interest, mark,
index), read from the merged view. Everything else about it is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from perpscope.errors import ParseError
from perpscope.models import FundingKind, FundingRate, OIUnit, OpenInterest, Price, PriceKind, Record
from perpscope.venues.bybit import VENUE, symbols
from perpscope.venues.bybit.parse import DEFAULT_INTERVAL_H, WS_SOURCE, canonical
from perpscope.venues.decoding import Payload, decode, optional_float, optional_int

SOURCE = f"{WS_SOURCE} tickers"

_FUNDING = frozenset({"fundingRate", "nextFundingTime", "fundingIntervalHour"})
_OPEN_INTEREST = frozenset({"openInterest", "openInterestValue"})


class _TickerMessage(msgspec.Struct):
    topic: str
    type: str
    data: dict[str, Any]
    ts: int = 0


class TickerMerger:
    """Merged ``tickers`` views per native symbol. ``interval_h`` maps symbols to their funding interval
    (instruments-info) for messages that do not carry ``fundingIntervalHour``."""

    def __init__(self, interval_h: Mapping[str, float] | None = None) -> None:
        self._views: dict[str, dict[str, str]] = {}
        self._interval_h = dict(interval_h or {})

    def view(self, native: str) -> dict[str, str] | None:
        """A copy of the merged fields of ``native``, or None before its first message."""
        merged = self._views.get(native)
        return dict(merged) if merged is not None else None

    def merge(self, payload: Payload) -> tuple[str, frozenset[str], int]:
        """Apply one message: (native symbol, the fields it carried, its ``ts``)."""
        message = decode(payload, _TickerMessage, source=SOURCE)
        native = str(message.data.get("symbol") or message.topic.removeprefix("tickers."))
        fields = {key: str(value) for key, value in message.data.items()}
        if message.type == "snapshot" or native not in self._views:
            self._views[native] = fields
        elif message.type == "delta":
            self._views[native].update(fields)
        else:
            raise ParseError(f"unknown message type {message.type!r}", file=SOURCE, field="type")
        return native, frozenset(fields), message.ts

    def parse(self, payload: Payload, ts_recv: int) -> list[Record]:
        """Merge one message, then read records for what it touched from the merged view."""
        native, touched, ts = self.merge(payload)
        if not symbols.is_perpetual(native):
            return []
        view = self._views[native]
        common: dict[str, Any] = {
            "venue": VENUE,
            "symbol": canonical(native, SOURCE),
            "native_symbol": native,
            "ts_event": ts or ts_recv,
            "ts_recv": ts_recv,
            "source": SOURCE,
        }
        records: list[Record] = []
        if touched & _FUNDING:
            records.extend(self._funding(native, view, common))
        if touched & _OPEN_INTEREST:
            records.extend(_open_interest(native, view, common))
        for field, kind in (("markPrice", PriceKind.MARK), ("indexPrice", PriceKind.INDEX)):
            price = optional_float(view.get(field), field=field, source=SOURCE)
            if field in touched and price is not None:
                records.append(Price(kind=kind, price=price, **common))
        return records

    def _funding(self, native: str, view: dict[str, str], common: dict[str, Any]) -> list[FundingRate]:
        rate = optional_float(view.get("fundingRate"), field="fundingRate", source=SOURCE)
        next_time = optional_int(view.get("nextFundingTime"), field="nextFundingTime", source=SOURCE)
        if rate is None or not next_time:
            return []
        published = optional_float(view.get("fundingIntervalHour"), field="fundingIntervalHour", source=SOURCE)
        interval_h = published or self._interval_h.get(native, DEFAULT_INTERVAL_H)
        return [
            FundingRate(rate=rate, interval_h=interval_h, kind=FundingKind.PREDICTED, funding_time=next_time, **common)
        ]


def _open_interest(native: str, view: dict[str, str], common: dict[str, Any]) -> list[OpenInterest]:
    size = optional_float(view.get("openInterest"), field="openInterest", source=SOURCE)
    value = optional_float(view.get("openInterestValue"), field="openInterestValue", source=SOURCE)
    if size is None:
        return []
    if symbols.is_inverse(native):
        # Inverse: one contract is one USD; the value is in coins.
        price = size / value if value else None
        record = OpenInterest(
            oi_contracts=size, oi_base=value, oi_usd=size, reported=OIUnit.USD, conversion_price=price, **common
        )
    else:
        price = value / size if value is not None and size else None
        record = OpenInterest(oi_base=size, oi_usd=value, reported=OIUnit.BASE, conversion_price=price, **common)
    return [record]
