"""Binance USDⓈ-M parse functions, field by field, on real messages and on payloads written from the docs."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from perpscope.errors import ParseError
from perpscope.models import FundingKind, FundingRate, OIUnit, OpenInterest
from perpscope.venues.binance import parse

TS_RECV = 1_893_456_000_000  # 2030-01-01T00:00:00Z, after every recorded message

Tardis = Callable[[str, str, int], bytes]
Nautilus = Callable[[str], bytes]


# ---------------------------------------------------------------- REST history


def test_funding_history_docs_example(nautilus: Nautilus) -> None:
    first, second = parse.parse_funding_history(nautilus("binance/http_futures_market_funding_rate.json"), TS_RECV)
    assert first == FundingRate(
        venue="binance",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1570608000000,
        ts_recv=TS_RECV,
        source="binance rest /fapi/v1/fundingRate",
        rate=-0.0375,
        interval_h=8.0,
        kind=FundingKind.SETTLED,
        funding_time=1570608000000,
    )
    assert (second.rate, second.funding_time, second.ts_event) == (0.0001, 1570636800000, 1570636800000)


def test_funding_history_accepts_decoded_json_and_an_interval() -> None:
    # Current answers also carry ``markPrice``; a 4-hour symbol's interval comes from /fapi/v1/fundingInfo.
    payload = [{"symbol": "1000PEPEUSDT", "fundingRate": "-0.00012000", "fundingTime": 1717200000003, "markPrice": ""}]
    (record,) = parse.parse_funding_history(payload, TS_RECV, interval_h=4.0)
    assert (record.symbol, record.native_symbol) == ("1000PEPE-USDT-PERP", "1000PEPEUSDT")
    assert (record.rate, record.interval_h, record.funding_time) == (-0.00012, 4.0, 1717200000003)
    assert record.rate_8h == pytest.approx(-0.00024)


def test_funding_history_names_the_bad_field() -> None:
    with pytest.raises(ParseError) as caught:
        parse.parse_funding_history(b'[{"symbol": "BTCUSDT", "fundingRate": "abc", "fundingTime": 1}]', TS_RECV)
    assert caught.value.file == "binance rest /fapi/v1/fundingRate"
    assert caught.value.field == "$[0].fundingRate"
    with pytest.raises(ParseError, match="not a Binance USDⓈ-M perpetual") as caught:
        parse.parse_funding_history([{"symbol": "BTCUSDT_250328", "fundingRate": "0", "fundingTime": 1}], TS_RECV)
    assert caught.value.field == "symbol"


def test_open_interest_hist_docs_example(nautilus: Nautilus) -> None:
    payload = nautilus("binance/http_futures_market_open_interest_historical.json")
    first, second = parse.parse_open_interest_hist(payload, TS_RECV)
    assert first == OpenInterest(
        venue="binance",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1583127900000,
        ts_recv=TS_RECV,
        source="binance rest /futures/data/openInterestHist",
        oi_base=20403.637,
        oi_usd=150570784.07809979,
        reported=OIUnit.BASE,
        conversion_price=150570784.07809979 / 20403.637,
    )
    assert first.oi_contracts is None
    assert first.conversion_price == pytest.approx(7379.6)  # USD per BTC implied by the two columns
    assert (second.ts_event, second.oi_base, second.oi_usd) == (1583128200000, 20401.367, 149940752.14464448)
    assert parse.parse_open_interest_hist(msgspec.json.decode(payload), TS_RECV) == [first, second]
