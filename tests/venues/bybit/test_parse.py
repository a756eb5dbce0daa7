"""Bybit v5 parse functions, field by field, on real messages and on payloads written from the docs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from perpscope.errors import VenueResponseError
from perpscope.models import FundingKind, FundingRate
from perpscope.venues.bybit import parse

TS_RECV = 1_893_456_000_000  # 2030-01-01T00:00:00Z, after every recorded message

Tardis = Callable[[str, str, int], bytes]
Nautilus = Callable[[str], bytes]


def test_funding_history(nautilus: Nautilus) -> None:
    newest, older = parse.parse_funding_history(nautilus("bybit/http_get_funding_history.json"), TS_RECV)
    assert newest == FundingRate(
        venue="bybit",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1709884800000,
        ts_recv=TS_RECV,
        source="bybit rest /v5/market/funding/history",
        rate=0.0001,
        interval_h=8.0,
        kind=FundingKind.SETTLED,
        funding_time=1709884800000,
    )
    assert (older.rate, older.funding_time) == (0.00015, 1709856000000)


def test_funding_history_refused() -> None:
    with pytest.raises(VenueResponseError, match="10001"):
        parse.parse_funding_history({"retCode": 10001, "retMsg": "params error", "result": {}}, TS_RECV)
