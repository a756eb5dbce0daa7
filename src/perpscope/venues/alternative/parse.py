"""Pure parse function for the Fear & Greed Index answer: JSON in, :class:`perpscope.models.SentimentIndex`
records out, ready for the ``sentiment`` table.
"""

from __future__ import annotations

import msgspec

from perpscope.errors import ParseError, VenueResponseError
from perpscope.models import SentimentIndex
from perpscope.times import MS_PER_SECOND, in_range
from perpscope.venues.alternative import NATIVE_SYMBOL, SERIES, SOURCE, SYMBOL
from perpscope.venues.decoding import Payload, decode, optional_int

FETCH_SOURCE = f"{SOURCE} /fng/"  # how the records arrived: the public endpoint


class _Entry(msgspec.Struct):
    value: str
    value_classification: str
    timestamp: str


class _Metadata(msgspec.Struct):
    error: str | None = None


class _Answer(msgspec.Struct):
    data: list[_Entry]
    name: str = ""
    metadata: _Metadata = msgspec.field(default_factory=_Metadata)


def parse_fear_greed(payload: Payload, ts_recv: int, *, source: str = FETCH_SOURCE) -> list[SentimentIndex]:
    """Every daily value in the answer, oldest first. An answer whose ``metadata.error`` is set is a
    :class:`VenueResponseError`; a bad value names its JSON path (``$.data[3].value``)."""
    answer = decode(payload, _Answer, source=source)
    if answer.metadata.error:
        raise VenueResponseError(f"{source}: the API answered with an error: {answer.metadata.error}")
    values = [_value(entry, index, ts_recv, source) for index, entry in enumerate(answer.data)]
    return sorted(values, key=lambda value: value.ts_event)


def _value(entry: _Entry, index: int, ts_recv: int, source: str) -> SentimentIndex:
    where = f"$.data[{index}]"
    seconds = optional_int(entry.timestamp, field=f"{where}.timestamp", source=source)
    if seconds is None or not in_range(seconds * MS_PER_SECOND):
        reason = f"not Unix seconds: {entry.timestamp!r} (request without date_format)"
        raise ParseError(reason, file=source, field=f"{where}.timestamp")
    value = optional_int(entry.value, field=f"{where}.value", source=source)
    if value is None or not 0 <= value <= 100:
        raise ParseError(f"not an index value 0-100: {entry.value!r}", file=source, field=f"{where}.value")
    return SentimentIndex(
        venue=SOURCE,
        symbol=SYMBOL,
        native_symbol=NATIVE_SYMBOL,
        ts_event=seconds * MS_PER_SECOND,
        ts_recv=ts_recv,
        source=source,
        series=SERIES,
        value=float(value),
        classification=entry.value_classification,
    )
