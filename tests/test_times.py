"""User-facing time parsing: every form a user types lands on the same millisecond."""

from __future__ import annotations

import re

import pytest

from perpscope import times

CRASH = 1_760_129_400_000  # 2025-10-10T20:50:00Z


@pytest.mark.parametrize(
    "text",
    [
        "2025-10-10T20:50:00Z",
        "2025-10-10T20:50",
        "2025-10-10 20:50:00+00:00",
        "2025-10-11T04:50+08:00",
        "1760129400",
        "1760129400000",
        "1760129400000000",
    ],
)
def test_parse_time_forms(text: str) -> None:
    assert times.parse_time(text) == CRASH


def test_naive_time_in_a_named_zone() -> None:
    assert times.parse_time("2025-10-11 04:50", tz=times.timezone("Asia/Shanghai")) == CRASH


def test_relative_and_now() -> None:
    assert times.parse_time("7d", now=CRASH) == CRASH - 7 * times.MS_PER_DAY
    assert times.parse_time("now", now=CRASH) == CRASH


@pytest.mark.parametrize(
    ("text", "ms"), [("30m", 1_800_000), ("24h", 86_400_000), ("1.5h", 5_400_000), ("2w", 1_209_600_000)]
)
def test_durations(text: str, ms: int) -> None:
    assert times.parse_duration(text) == ms


def test_bad_inputs_say_what_to_type() -> None:
    with pytest.raises(ValueError, match=re.escape("use e.g. 30m")):
        times.parse_duration("soon")
    with pytest.raises(ValueError, match="ISO 8601"):
        times.parse_time("yesterday-ish")
    with pytest.raises(ValueError, match="IANA"):
        times.timezone("Mars/Olympus")


def test_range_and_formatting() -> None:
    assert times.in_range(CRASH)
    assert not times.in_range(CRASH * 1000)  # microseconds mistaken for milliseconds
    assert times.format_ms(CRASH) == "2025-10-10 20:50:00 UTC"
    assert times.format_ms(CRASH + 1) == "2025-10-10 20:50:00.001 UTC"
