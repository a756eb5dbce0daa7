"""Every bound a request is held to, and the parsing of its parameters into checked values.

A request can name at most a year (and a day) of data, at most :data:`MAX_ROWS` rows, a heatmap of at most
:data:`MAX_COLUMNS` x :data:`MAX_ROWS_PRICE` cells; anything else is a 4xx that says which parameter and why.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from fastapi import HTTPException

from perpscope.times import EARLIEST_MS, LATEST_MS, MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, parse_duration, parse_time

MAX_SPAN_MS = 366 * MS_PER_DAY  # the longest range any endpoint reads
MAX_ROWS = 1_000  # liquidation feed rows per request
MAX_POINTS = 2_000  # points per series in a history chart (buckets widen to stay under it)
MAX_COLUMNS = 1_000  # heatmap columns sent
MAX_ROWS_PRICE = 400  # heatmap price rows sent
MAX_VENUES = 8
MAX_PUSH_CLIENTS = 32  # open live-push connections; more get 503
CACHE_ENTRIES = 4  # heatmap results kept per process (a year's grid is ~20 MB)
HEATMAP_REFRESH_S = 60.0  # the latest heatmap and map are rerun on new data at most this often

SYMBOL_PATTERN = r"^[A-Za-z0-9]{1,15}(-[A-Za-z0-9]{1,10}-PERP)?$"
VENUE_PATTERN = r"^[a-z0-9_]{1,20}$"
WINDOW_PATTERN = r"^\d{1,4}(ms|s|m|min|h|d|w|y)$"
TIME_MAX_LENGTH = 40

# The heatmap's range selector: each range with the column width that gives it a few hundred columns.
HEATMAP_RANGES: dict[str, int] = {
    "12h": 5 * MS_PER_MINUTE,
    "24h": 5 * MS_PER_MINUTE,
    "3d": 15 * MS_PER_MINUTE,
    "7d": 30 * MS_PER_MINUTE,
    "30d": MS_PER_HOUR,
    "90d": 4 * MS_PER_HOUR,
    "180d": 6 * MS_PER_HOUR,
    "1y": 12 * MS_PER_HOUR,
}
_NICE_BUCKETS = (MS_PER_MINUTE, 5 * MS_PER_MINUTE, 15 * MS_PER_MINUTE, MS_PER_HOUR, 4 * MS_PER_HOUR, 8 * MS_PER_HOUR)


def bad_request(parameter: str, reason: str) -> HTTPException:
    return HTTPException(status_code=400, detail=f"parameter '{parameter}': {reason}")


def window_ms(text: str, parameter: str = "window") -> int:
    """A duration such as ``24h`` within (0, 366 d]."""
    try:
        value = parse_duration(text)
    except ValueError as error:
        raise bad_request(parameter, str(error)) from None
    if not 0 < value <= MAX_SPAN_MS:
        raise bad_request(parameter, f"{text!r} must be longer than 0 and at most 366d")
    return value


def moment(text: str | None, parameter: str) -> int | None:
    """A time (ISO 8601, epoch s or ms, ``7d`` ago, ``now``) between 2009 and 2100, as int ms UTC."""
    if text is None or text == "":
        return None
    try:
        value = parse_time(text)
    except (ValueError, OverflowError) as error:
        raise bad_request(parameter, str(error)) from None
    if not EARLIEST_MS <= value <= LATEST_MS:
        raise bad_request(parameter, f"{text!r} is outside 2009-01-03 .. 2100-01-01")
    return value


@dataclass(frozen=True)
class TimeRange:
    since: int
    until: int

    @property
    def span(self) -> int:
        return self.until - self.since


def time_range(since: str | None, until: str | None, present: int, default_span: int) -> TimeRange:
    """``[since, until)``: ``until`` defaults to just after the data's present, ``since`` to ``default_span``
    before ``until``; at most 366 days and not empty."""
    end = moment(until, "until")
    end = present + 1 if end is None else end
    start = moment(since, "since")
    start = end - default_span if start is None else start
    if start >= end:
        raise bad_request("since", "must be before until")
    if end - start > MAX_SPAN_MS:
        raise bad_request("since", "the range is longer than 366 days")
    return TimeRange(start, end)


def venues(values: list[str] | None) -> list[str] | None:
    """Venue names, lower case; at most :data:`MAX_VENUES`."""
    if not values:
        return None
    if len(values) > MAX_VENUES:
        raise bad_request("venue", f"at most {MAX_VENUES} venues")
    for value in values:
        if not re.fullmatch(VENUE_PATTERN, value.lower()):
            raise bad_request("venue", f"{value!r} is not a venue name")
    return sorted({value.lower() for value in values})


def bucket_for(span_ms: int, points: int = MAX_POINTS) -> int:
    """The smallest of 1 min, 5 min, 15 min, 1 h, 4 h, 8 h (then whole days) that keeps a span under ``points``."""
    for bucket in _NICE_BUCKETS:
        if span_ms / bucket <= points:
            return bucket
    return math.ceil(span_ms / points / MS_PER_DAY) * MS_PER_DAY
