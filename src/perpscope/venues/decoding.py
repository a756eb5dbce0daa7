"""Decoding helpers shared by every venue's pure parse functions (no venue knowledge lives here).

Payloads arrive either as raw bytes from a socket or HTTP body, or already decoded (a ``dict``/``list``, e.g. a
recording replayed from JSON). Both go through msgspec with typed Structs: ``strict=False`` lets msgspec turn the
venues' quoted numbers (``"0.0001"``) into floats and ints while it decodes, which is the fast path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import msgspec

from perpscope.errors import ParseError

T = TypeVar("T")

# ``msgspec.Raw``: a part of a message left undecoded by a first pass (an envelope), decoded once its shape is known.
Payload = bytes | bytearray | memoryview | str | msgspec.Raw | dict[str, Any] | list[Any]
TEXT_TYPES = (str, bytes, bytearray, memoryview, msgspec.Raw)  # payloads that are still JSON text

HOUR_MS = 3_600_000

_AT_PATH = re.compile(r" - at `(?P<path>[^`]+)`$")
_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}
_ANY: msgspec.json.Decoder[Any] = msgspec.json.Decoder()


def json_decoder(shape: Any) -> msgspec.json.Decoder[Any]:
    """The one decoder of ``shape``, built on first use. ``msgspec.json.decode(..., type=shape)`` rebuilds the type
    information of a union or generic shape on every call (about 2 µs); a decoder built once does not."""
    found = _DECODERS.get(shape)
    if found is None:
        found = _DECODERS[shape] = msgspec.json.Decoder(shape, strict=False)
    return found


class Decoder(Generic[T]):
    """A decoder of one shape, built once (a module constant of the parse module that uses it): the fast path for
    messages parsed many times a second. ``decoder(payload, source)`` is :func:`decode` without the look-up."""

    __slots__ = ("_json", "shape")

    def __init__(self, shape: Any) -> None:
        self.shape = shape
        self._json: msgspec.json.Decoder[T] = json_decoder(shape)

    def __call__(self, payload: Payload, source: str) -> T:
        try:
            if isinstance(payload, TEXT_TYPES):
                return self._json.decode(payload)
            result: T = msgspec.convert(payload, type=self.shape, strict=False)
            return result
        except msgspec.ValidationError as error:
            raise invalid(error, source) from error
        except msgspec.DecodeError as error:
            raise ParseError(f"not valid JSON: {error}", file=source) from error


# One JSON number decoded by msgspec: a quoted number converted in about a fifth of ``float()``'s time (half of
# ``int()``'s). Every text they accept, ``float()``/``int()`` accept with the same value, bit for bit (tested), except
# "-0", which ``json_float`` decodes to 0.0 where ``float()`` gives -0.0: write ``json_float(text) or float(text)``.
# Anything else (``nan``, ``1_000``, ``01``, ``1.0`` for an integer) raises msgspec.DecodeError: fall back then.
json_float: Callable[[str], float] = msgspec.json.Decoder(float).decode
json_int: Callable[[str], int] = msgspec.json.Decoder(int).decode


def decode(payload: Payload, shape: type[T], *, source: str) -> T:
    """``payload`` as ``shape``; a bad payload raises ParseError naming ``source`` and the JSON path of the field."""
    result: T = decode_as(payload, shape, source=source)
    return result


def decode_as(payload: Payload, shape: Any, *, source: str) -> Any:
    """:func:`decode` for shapes mypy cannot name as a type (unions such as ``Struct | list[Struct]``)."""
    try:
        if isinstance(payload, TEXT_TYPES):
            return json_decoder(shape).decode(payload)
        return msgspec.convert(payload, type=shape, strict=False)
    except msgspec.ValidationError as error:
        raise invalid(error, source) from error
    except msgspec.DecodeError as error:
        raise ParseError(f"not valid JSON: {error}", file=source) from error


def invalid(error: msgspec.ValidationError, source: str) -> ParseError:
    """msgspec's validation error as a ParseError naming ``source`` and the JSON path of the bad field."""
    message = str(error)
    match = _AT_PATH.search(message)
    field = match.group("path") if match else None
    reason = message[: match.start()] if match else message
    return ParseError(reason, file=source, field=field)


def to_json_object(payload: Payload, *, source: str) -> Any:
    """The payload as plain Python values (used where a message's shape is chosen by one of its fields)."""
    if isinstance(payload, TEXT_TYPES):
        try:
            return _ANY.decode(payload)
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
