"""Hyperliquid parse functions, field by field, on real messages and on payloads written from the docs."""

from __future__ import annotations

from collections.abc import Callable

from perpscope.models import FundingKind, FundingRate
from perpscope.venues.hyperliquid import parse

TS_RECV = 1_893_456_000_000  # 2030-01-01T00:00:00Z, after every recorded message

Tardis = Callable[[str, str, int], bytes]
Nautilus = Callable[[str], bytes]


def test_funding_history_is_hourly(nautilus: Nautilus) -> None:
    records = parse.parse_funding_history(nautilus("hyperliquid/http_funding_history.json"), TS_RECV)
    assert records[0] == FundingRate(
        venue="hyperliquid",
        symbol="BTC-USD-PERP",
        native_symbol="BTC",
        ts_event=1769908800000,
        ts_recv=TS_RECV,
        source="hyperliquid rest /info fundingHistory",
        rate=0.0000125,
        interval_h=1.0,
        kind=FundingKind.SETTLED,
        funding_time=1769908800000,
    )
    assert [(r.rate, r.funding_time) for r in records[1:]] == [(-0.0000081, 1769912400000), (0.0000033, 1769916000000)]
    assert records[0].apr == 0.0000125 * 8760  # 10.95% a year: hourly 0.00125% is the 0.01%/8 h baseline


def test_funding_history_hand_written_kpepe() -> None:
    payload = b'[{"coin": "kPEPE", "fundingRate": "-0.0000100", "premium": "-0.0005", "time": 1700000000017}]'
    (record,) = parse.parse_funding_history(payload, TS_RECV)
    assert (record.symbol, record.native_symbol, record.rate) == ("KPEPE-USD-PERP", "kPEPE", -0.00001)
    assert record.funding_time == record.ts_event == 1700000000017  # millisecond jitter kept as published
