"""Pure parse function for the Fear & Greed Index answer: JSON in, typed :class:`SentimentReading` records out.

Until the store has a ``sentiment`` table (see docs/analytics.md, "Fear & Greed"), readings are returned as
records and nothing stores them.
"""

from __future__ import annotations

import msgspec

from perpscope.errors import ParseError, VenueResponseError
from perpscope.times import MS_PER_SECOND, in_range
from perpscope.venues.alternative import SOURCE
from perpscope.venues.decoding import Payload, decode, optional_int

SERIES = "fear_greed"


class SentimentReading(msgspec.Struct, frozen=True, kw_only=True):
    """One value of a market-wide sentiment index: the row a ``sentiment`` table would hold."""

    source: str  # "alternative.me"
    series: str  # "fear_greed"
    ts_event: int  # ms UTC: the start of the day the value is for
    ts_recv: int
    value: float  # 0-100
    classification: str  # the publisher's label: "Extreme Fear", "Fear", "Neutral", "Greed", "Extreme Greed"
    time_until_update_s: int | None = None  # only on the newest value


class _Entry(msgspec.Struct):
    value: str
    value_classification: str
    timestamp: str
    time_until_update: str | None = None


class _Metadata(msgspec.Struct):
    error: str | None = None


class _Answer(msgspec.Struct):
    data: list[_Entry]
    name: str = ""
    metadata: _Metadata = msgspec.field(default_factory=_Metadata)


def parse_fear_greed(payload: Payload, ts_recv: int, *, source: str = "alternative.me /fng/") -> list[SentimentReading]:
    """Every daily value in the answer, oldest first. An answer whose ``metadata.error`` is set is a
    :class:`VenueResponseError`; a bad value names its JSON path (``$.data[3].value``)."""
    answer = decode(payload, _Answer, source=source)
    if answer.metadata.error:
        raise VenueResponseError(f"{source}: the API answered with an error: {answer.metadata.error}")
    readings = [_reading(entry, index, ts_recv, source) for index, entry in enumerate(answer.data)]
    return sorted(readings, key=lambda reading: reading.ts_event)


def _reading(entry: _Entry, index: int, ts_recv: int, source: str) -> SentimentReading:
    where = f"$.data[{index}]"
    seconds = optional_int(entry.timestamp, field=f"{where}.timestamp", source=source)
    if seconds is None or not in_range(seconds * MS_PER_SECOND):
        reason = f"not Unix seconds: {entry.timestamp!r} (request without date_format)"
        raise ParseError(reason, file=source, field=f"{where}.timestamp")
    value = optional_int(entry.value, field=f"{where}.value", source=source)
    if value is None or not 0 <= value <= 100:
        raise ParseError(f"not an index value 0-100: {entry.value!r}", file=source, field=f"{where}.value")
    wait = optional_int(entry.time_until_update, field=f"{where}.time_until_update", source=source)
    return SentimentReading(
        source=SOURCE,
        series=SERIES,
        ts_event=seconds * MS_PER_SECOND,
        ts_recv=ts_recv,
        value=float(value),
        classification=entry.value_classification,
        time_until_update_s=wait,
    )
