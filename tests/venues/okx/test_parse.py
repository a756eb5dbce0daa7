"""OKX parse functions, field by field, on real messages and on payloads written from the docs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from perpscope.errors import ParseError, VenueResponseError
from perpscope.models import FundingKind, FundingRate
from perpscope.venues.okx import parse

TS_RECV = 1_893_456_000_000  # 2030-01-01T00:00:00Z, after every recorded message

Tardis = Callable[[str, str, int], bytes]
Nautilus = Callable[[str], bytes]


def test_funding_history_uses_the_realized_rate(nautilus: Nautilus) -> None:
    newest, older = parse.parse_funding_history(nautilus("okx/http_get_funding_rate_history.json"), TS_RECV)
    assert newest == FundingRate(
        venue="okx",
        symbol="BTC-USDT-PERP",
        native_symbol="BTC-USDT-SWAP",
        ts_event=1704067200000,
        ts_recv=TS_RECV,
        source="okx rest /api/v5/public/funding-rate-history",
        rate=0.00015,  # realizedRate; the computed fundingRate was 0.0001515032
        interval_h=8.0,
        kind=FundingKind.SETTLED,
        funding_time=1704067200000,
    )
    assert (older.rate, older.funding_time) == (-0.00002, 1704038400000)


def test_funding_history_without_realized_rate_falls_back() -> None:
    payload = {
        "code": "0",
        "msg": "",
        "data": [
            {
                "instType": "SWAP",
                "instId": "ETH-USDT-SWAP",
                "fundingRate": "0.0000625",
                "realizedRate": "",
                "fundingTime": "1743480000000",
                "method": "current_period",
                "formulaType": "withRate",
            }
        ],
    }
    (record,) = parse.parse_funding_history(payload, TS_RECV, interval_h=4.0)
    assert (record.symbol, record.rate, record.interval_h) == ("ETH-USDT-PERP", 0.0000625, 4.0)
    assert record.funding_time == record.ts_event == 1743480000000


def test_funding_history_refusal_and_bad_rows() -> None:
    with pytest.raises(VenueResponseError, match="51001"):
        parse.parse_funding_history({"code": "51001", "msg": "Instrument ID does not exist", "data": []}, TS_RECV)
    row = {"instId": "BTC-USDT-SWAP", "fundingTime": "1", "fundingRate": "", "realizedRate": ""}
    with pytest.raises(ParseError) as caught:
        parse.parse_funding_history({"code": "0", "data": [row]}, TS_RECV)
    assert caught.value.field == "data[0]"
