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
from perpscope.venues.decoding import Decoder, Payload, json_float, json_int, optional_float, optional_int

SOURCE = f"{WS_SOURCE} tickers"

_FUNDING = frozenset({"fundingRate", "nextFundingTime", "fundingIntervalHour"})
_OPEN_INTEREST = frozenset({"openInterest", "openInterestValue"})
_PRICES = (("markPrice", PriceKind.MARK), ("indexPrice", PriceKind.INDEX))


class _TickerMessage(msgspec.Struct):
    topic: str
    type: str
    data: dict[str, Any]
    ts: int = 0


class TickerText(msgspec.Struct):
    """A tickers message whose values are all text, as Bybit sends them: merged without converting a value."""

    topic: str
    type: str
    data: dict[str, str]
    ts: int = 0


_TICKER_MESSAGE = Decoder[_TickerMessage](_TickerMessage)
TICKER_TEXT = msgspec.json.Decoder(TickerText, strict=False)


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
        message = _TICKER_MESSAGE(payload, SOURCE)
        native = str(message.data.get("symbol") or message.topic.removeprefix("tickers."))
        fields = {key: str(value) for key, value in message.data.items()}
        self._apply(native, message.type, fields)
        return native, frozenset(fields), message.ts

    def _apply(self, native: str, kind: str, fields: dict[str, str]) -> None:
        if kind == "snapshot" or native not in self._views:
            self._views[native] = fields
        elif kind == "delta":
            self._views[native].update(fields)
        else:
            raise ParseError(f"unknown message type {kind!r}", file=SOURCE, field="type")

    def parse(self, payload: Payload, ts_recv: int) -> list[Record]:
        """Merge one message, then read records for what it touched from the merged view."""
        native, touched, ts = self.merge(payload)
        return self._records(native, touched, ts, ts_recv)

    def parse_text(self, message: TickerText, ts_recv: int) -> list[Record]:
        """:meth:`parse` for a message already decoded as :class:`TickerText` (the text values are kept as sent).

        Records are read from the merged view as :meth:`parse` reads them, converting with msgspec's number
        decoders; a value they do not take (bad text, or text only ``float()`` reads) sends the message to the
        careful reading, which gives the same records or raises the same ParseError naming the field."""
        fields = message.data
        native = fields.get("symbol") or message.topic.removeprefix("tickers.")
        self._apply(native, message.type, fields)
        try:
            return self._quick_records(native, fields, message.ts or ts_recv, ts_recv)
        except msgspec.DecodeError:
            return self._records(native, fields.keys(), message.ts, ts_recv)

    def _quick_records(self, native: str, touched: dict[str, str], ts_event: int, ts_recv: int) -> list[Record]:
        try:
            templates = _TEMPLATES[native]
        except KeyError:
            templates = _templates(native)
        if templates is None:
            return []
        view = self._views[native]
        records: list[Record] = []
        if "fundingRate" in touched or "nextFundingTime" in touched or "fundingIntervalHour" in touched:
            text = view.get("fundingRate")
            rate = (json_float(text) or float(text)) if text else None  # float() re-reads "-0" (-0.0)
            text = view.get("nextFundingTime")
            next_time = json_int(text) if text else None
            if rate is not None and next_time:
                text = view.get("fundingIntervalHour")
                published = (json_float(text) or float(text)) if text else None
                interval_h = published or self._interval_h.get(native, DEFAULT_INTERVAL_H)
                funding = _replace(
                    templates[0],
                    ts_event=ts_event,
                    ts_recv=ts_recv,
                    rate=rate,
                    interval_h=interval_h,
                    funding_time=next_time,
                )
                records.append(funding)
        if "openInterest" in touched or "openInterestValue" in touched:
            records.extend(_quick_open_interest(templates[1], view, ts_event, ts_recv))
        text = view.get("markPrice")
        mark = (json_float(text) or float(text)) if text else None
        text = view.get("indexPrice")
        index = (json_float(text) or float(text)) if text else None
        if mark is not None and "markPrice" in touched:
            records.append(_replace(templates[2], ts_event=ts_event, ts_recv=ts_recv, price=mark))
        if index is not None and "indexPrice" in touched:
            records.append(_replace(templates[3], ts_event=ts_event, ts_recv=ts_recv, price=index))
        return records

    def _records(self, native: str, touched: frozenset[str] | Any, ts: int, ts_recv: int) -> list[Record]:
        if not symbols.is_perpetual(native):
            return []
        view = self._views[native]
        common = (VENUE, canonical(native, SOURCE), native, ts or ts_recv, ts_recv)
        records: list[Record] = []
        if not _FUNDING.isdisjoint(touched):
            records.extend(self._funding(native, view, common))
        if not _OPEN_INTEREST.isdisjoint(touched):
            records.extend(_open_interest(native, view, common))
        for field, kind in _PRICES:
            price = optional_float(view.get(field), field=field, source=SOURCE)
            if field in touched and price is not None:
                records.append(_price(common, kind, price))
        return records

    def _funding(self, native: str, view: dict[str, str], common: _Common) -> list[FundingRate]:
        rate = optional_float(view.get("fundingRate"), field="fundingRate", source=SOURCE)
        next_time = optional_int(view.get("nextFundingTime"), field="nextFundingTime", source=SOURCE)
        if rate is None or not next_time:
            return []
        published = optional_float(view.get("fundingIntervalHour"), field="fundingIntervalHour", source=SOURCE)
        interval_h = published or self._interval_h.get(native, DEFAULT_INTERVAL_H)
        venue, symbol, native_symbol, ts_event, ts_recv = common
        return [
            FundingRate(
                venue=venue,
                symbol=symbol,
                native_symbol=native_symbol,
                ts_event=ts_event,
                ts_recv=ts_recv,
                source=SOURCE,
                rate=rate,
                interval_h=interval_h,
                kind=FundingKind.PREDICTED,
                funding_time=next_time,
            )
        ]


# (venue, symbol, native symbol, ts_event, ts_recv): records are built with their keywords spelled out, which
# costs less than unpacking a shared dict of them.
_Common = tuple[str, str, str, int, int]


def _price(common: _Common, kind: PriceKind, price: float) -> Price:
    venue, symbol, native_symbol, ts_event, ts_recv = common
    return Price(
        venue=venue,
        symbol=symbol,
        native_symbol=native_symbol,
        ts_event=ts_event,
        ts_recv=ts_recv,
        source=SOURCE,
        kind=kind,
        price=price,
    )


def _open_interest(native: str, view: dict[str, str], common: _Common) -> list[OpenInterest]:
    size = optional_float(view.get("openInterest"), field="openInterest", source=SOURCE)
    value = optional_float(view.get("openInterestValue"), field="openInterestValue", source=SOURCE)
    if size is None:
        return []
    venue, symbol, native_symbol, ts_event, ts_recv = common
    oi_contracts: float | None
    oi_base: float | None
    oi_usd: float | None
    if symbols.is_inverse(native):
        # Inverse: one contract is one USD; the value is in coins.
        oi_contracts, oi_base, oi_usd, reported = size, value, size, OIUnit.USD
        price = size / value if value else None
    else:
        oi_contracts, oi_base, oi_usd, reported = None, size, value, OIUnit.BASE
        price = value / size if value is not None and size else None
    record = OpenInterest(
        venue=venue,
        symbol=symbol,
        native_symbol=native_symbol,
        ts_event=ts_event,
        ts_recv=ts_recv,
        source=SOURCE,
        oi_contracts=oi_contracts,
        oi_base=oi_base,
        oi_usd=oi_usd,
        reported=reported,
        conversion_price=price,
    )
    return [record]


# ---------------------------------------------------------------- records from templates
# Per perpetual: its funding, open-interest, mark and index records with the fixed fields filled in; a message's
# record replaces the rest (cheaper than building it from every keyword). None for a symbol that is not perpetual.
_Templates = tuple[FundingRate, OpenInterest, Price, Price]
_TEMPLATES: dict[str, _Templates | None] = {}
CACHED_SYMBOLS = 4096
_replace = msgspec.structs.replace


def _templates(native: str) -> _Templates | None:
    if len(_TEMPLATES) >= CACHED_SYMBOLS:
        _TEMPLATES.clear()
    if not symbols.is_perpetual(native):
        _TEMPLATES[native] = None
        return None
    common = (VENUE, canonical(native, SOURCE), native, 0, 0)
    reported = OIUnit.USD if symbols.is_inverse(native) else OIUnit.BASE
    venue, symbol, native_symbol, ts_event, ts_recv = common
    funding = FundingRate(
        venue=venue,
        symbol=symbol,
        native_symbol=native_symbol,
        ts_event=ts_event,
        ts_recv=ts_recv,
        source=SOURCE,
        rate=0.0,
        interval_h=0.0,
        kind=FundingKind.PREDICTED,
        funding_time=0,
    )
    open_interest = OpenInterest(
        venue=venue,
        symbol=symbol,
        native_symbol=native_symbol,
        ts_event=ts_event,
        ts_recv=ts_recv,
        source=SOURCE,
        reported=reported,
    )
    mark, index = _price(common, PriceKind.MARK, 0.0), _price(common, PriceKind.INDEX, 0.0)
    found = _TEMPLATES[native] = (funding, open_interest, mark, index)
    return found


def _quick_open_interest(
    template: OpenInterest, view: dict[str, str], ts_event: int, ts_recv: int
) -> list[OpenInterest]:
    """:func:`_open_interest` from a template: the same figures (msgspec.DecodeError on a value it does not take)."""
    text = view.get("openInterest")
    size = (json_float(text) or float(text)) if text else None
    text = view.get("openInterestValue")
    value = (json_float(text) or float(text)) if text else None
    if size is None:
        return []
    if template.reported is OIUnit.USD:
        # Inverse: one contract is one USD; the value is in coins.
        record = _replace(
            template,
            ts_event=ts_event,
            ts_recv=ts_recv,
            oi_contracts=size,
            oi_base=value,
            oi_usd=size,
            conversion_price=size / value if value else None,
        )
    else:
        record = _replace(
            template,
            ts_event=ts_event,
            ts_recv=ts_recv,
            oi_base=size,
            oi_usd=value,
            conversion_price=value / size if value is not None and size else None,
        )
    return [record]
