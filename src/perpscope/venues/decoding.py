"""Decoding helpers shared by every venue's pure parse functions (no venue knowledge lives here).

Payloads arrive either as raw bytes from a socket or HTTP body, or already decoded (a ``dict``/``list``, e.g. a
recording replayed from JSON). Both go through msgspec with typed Structs: ``strict=False`` lets msgspec turn the
venues' quoted numbers (``"0.0001"``) into floats and ints while it decodes, which is the fast path.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from perpscope.errors import ParseError

T = TypeVar("T")

Payload = bytes | bytearray | memoryview | str | dict[str, Any] | list[Any]

HOUR_MS = 3_600_000

_AT_PATH = re.compile(r" - at `(?P<path>[^`]+)`$")


def decode(payload: Payload, shape: type[T], *, source: str) -> T:
    """``payload`` as ``shape``; a bad payload raises ParseError naming ``source`` and the JSON path of the field."""
    result: T = decode_as(payload, shape, source=source)
    return result


def decode_as(payload: Payload, shape: Any, *, source: str) -> Any:
    """:func:`decode` for shapes mypy cannot name as a type (unions such as ``Struct | list[Struct]``)."""
    try:
        if isinstance(payload, bytes | bytearray | memoryview | str):
            return msgspec.json.decode(payload, type=shape, strict=False)
        return msgspec.convert(payload, type=shape, strict=False)
    except msgspec.ValidationError as error:
        message = str(error)
        match = _AT_PATH.search(message)
        field = match.group("path") if match else None
        reason = message[: match.start()] if match else message
        raise ParseError(reason, file=source, field=field) from error
    except msgspec.DecodeError as error:
        raise ParseError(f"not valid JSON: {error}", file=source) from error


def to_json_object(payload: Payload, *, source: str) -> Any:
    """The payload as plain Python values (used where a message's shape is chosen by one of its fields)."""
    if isinstance(payload, bytes | bytearray | memoryview | str):
        try:
            return msgspec.json.decode(payload)
        except msgspec.DecodeError as error:
            raise ParseError(f"not valid JSON: {error}", file=source) from error
    return payload


def optional_float(text: str | float | None, *, field: str, source: str) -> float | None:
    """A quoted number that venues send as ``""`` (or omit) when it does not apply."""
    if text is None or text == "":
        return None
    try:
        return float(text)
    except (TypeError, ValueError):
        raise ParseError(f"not a number: {text!r}", file=source, field=field) from None


def required_float(text: str | float | None, *, field: str, source: str) -> float:
    value = optional_float(text, field=field, source=source)
    if value is None:
        raise ParseError("missing", file=source, field=field)
    return value


def optional_int(text: str | int | None, *, field: str, source: str) -> int | None:
    if text is None or text == "":
        return None
    try:
        return int(text)
    except (TypeError, ValueError):
        raise ParseError(f"not an integer: {text!r}", file=source, field=field) from None


def next_whole_hour(ts: int) -> int:
    """The first whole UTC hour strictly after ``ts`` (ms): when an hourly funding print will settle."""
    return (ts // HOUR_MS + 1) * HOUR_MS


def interval_hours(funding_time: int | None, next_funding_time: int | None, default: float) -> float:
    """Hours between two consecutive settlements a venue announced, rounded to whole hours; ``default`` otherwise."""
    if not funding_time or not next_funding_time or next_funding_time <= funding_time:
        return default
    return float(round((next_funding_time - funding_time) / HOUR_MS))
