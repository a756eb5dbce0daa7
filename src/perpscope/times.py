"""Time in perpscope: integer milliseconds since the Unix epoch, UTC (see :mod:`perpscope.models`)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MS_PER_SECOND = 1000
MS_PER_MINUTE = 60 * MS_PER_SECOND
MS_PER_HOUR = 60 * MS_PER_MINUTE
MS_PER_DAY = 24 * MS_PER_HOUR

# Plausible market-data times: Bitcoin's genesis block to the year 2100. Anything outside is a unit mistake.
EARLIEST_MS = 1_231_006_505_000
LATEST_MS = 4_102_444_800_000

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d|w|y)\s*$", re.IGNORECASE)
_DURATION_MS = {
    "ms": 1,
    "s": MS_PER_SECOND,
    "m": MS_PER_MINUTE,
    "min": MS_PER_MINUTE,
    "h": MS_PER_HOUR,
    "d": MS_PER_DAY,
    "w": 7 * MS_PER_DAY,
    "y": 365 * MS_PER_DAY,
}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def parse_duration(text: str) -> int:
    """``"24h"`` -> milliseconds. Units: ms, s, m (minutes), h, d, w, y (365 d)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30m, 24h, 7d)")
    return int(float(match.group(1)) * _DURATION_MS[match.group(2).lower()])


def timezone(name: str) -> tzinfo:
    if name.upper() in {"UTC", "Z"}:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)") from None


def parse_time(text: str, tz: tzinfo = UTC, now: int | None = None) -> int:
    """A user's time: ISO 8601 (``2025-10-10``, ``2025-10-10T20:50``, with or without offset), epoch seconds or
    milliseconds, ``now``, or a past offset such as ``7d`` (= now minus 7 days). Naive times are in ``tz``."""
    stripped = text.strip()
    reference = now_ms() if now is None else now
    if stripped.lower() == "now":
        return reference
    if _DURATION.match(stripped):
        return reference - parse_duration(stripped)
    if re.fullmatch(r"\d{9,19}(\.\d+)?", stripped):
        return epoch_to_ms(float(stripped))
    return iso_to_ms(stripped, tz)


def iso_to_ms(text: str, tz: tzinfo = UTC) -> int:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a time: {text!r} (use ISO 8601 such as 2025-10-10T20:50Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return round(moment.timestamp() * 1000)


def epoch_to_ms(value: float) -> int:
    """Epoch seconds, milliseconds, microseconds or nanoseconds, recognised by magnitude."""
    magnitude = abs(value)
    if magnitude < 1e11:
        return round(value * 1000)
    if magnitude < 1e14:
        return round(value)
    if magnitude < 1e17:
        return round(value / 1000)
    return round(value / 1_000_000)


def in_range(ms: int) -> bool:
    return EARLIEST_MS <= ms <= LATEST_MS


def to_datetime(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def format_ms(ms: int) -> str:
    """``2025-10-10 20:50:00 UTC`` (seconds shown, milliseconds only when present)."""
    moment = to_datetime(ms)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if ms % 1000:
        text += f".{ms % 1000:03d}"
    return text + " UTC"
