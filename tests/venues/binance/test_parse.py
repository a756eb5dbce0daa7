"""Binance USDⓈ-M parse functions, field by field, on real messages and on payloads written from the docs."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from perpscope.errors import ParseError
from perpscope.models import (
    Candle,
    CandleKind,
    FundingKind,
    FundingRate,
    Liquidation,
    OIUnit,
    OpenInterest,
    Price,
    PriceKind,
    Side,
)
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


# ---------------------------------------------------------------- websocket


def test_force_order_black_thursday_short_liquidated(tardis: Tardis) -> None:
    # 2020-03-13 00:23:51 UTC: the order side is BUY, so the liquidated position was a short.
    (record,) = parse.parse_force_order(tardis("binance_futures.json", "messages", 12), TS_RECV)
    assert record == Liquidation(
        venue="binance",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1584059031421,
        ts_recv=TS_RECV,
        source="binance ws forceOrder",
        side=Side.SHORT,
        price=4706.04,  # average fill price ``ap``, not the order's limit 4793.91
        quantity=0.014,  # filled ``z``
        notional_usd=4706.04 * 0.014,
        complete=False,
    )
    assert record.notional_usd == pytest.approx(65.88456)


def test_force_order_docs_example_sell_is_a_long(nautilus: Nautilus) -> None:
    (record,) = parse.parse_force_order(nautilus("binance/liquidation_stream.json"), TS_RECV)
    assert (record.side, record.price, record.quantity) == (Side.LONG, 9910.12345678, 0.014)
    assert (record.ts_event, record.symbol, record.complete) == (1568014460893, "BTC-USDT-PERP", False)


def test_mark_price_2019_has_no_index(tardis: Tardis) -> None:
    mark, funding = parse.parse_mark_price(tardis("binance_futures.json", "messages", 2), TS_RECV)
    assert mark == Price(
        venue="binance",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1569888003001,
        ts_recv=TS_RECV,
        source="binance ws markPrice",
        kind=PriceKind.MARK,
        price=8291.34697815,
    )
    assert funding == FundingRate(
        venue="binance",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1569888003001,
        ts_recv=TS_RECV,
        source="binance ws markPrice",
        rate=0.0001,
        interval_h=8.0,
        kind=FundingKind.PREDICTED,
        funding_time=1569916800000,
    )


def test_mark_price_every_second_with_index(tardis: Tardis) -> None:
    mark, index, funding = parse.parse_mark_price(tardis("binance_futures.json", "messages", 9), TS_RECV)
    assert (mark.kind, mark.price, mark.ts_event) == (PriceKind.MARK, 11857.56, 1597536008000)
    assert (index.kind, index.price, index.symbol) == (PriceKind.INDEX, 11851.86949091, "BTC-USDT-PERP")
    assert isinstance(funding, FundingRate)
    assert (funding.rate, funding.funding_time, funding.kind) == (0.0001564, 1597564800000, FundingKind.PREDICTED)


def test_mark_price_of_a_delivery_contract_is_skipped(tardis: Tardis) -> None:
    # BTCBUSD_210129 is a dated future (no funding, T = 0): not a perpetual, nothing to record.
    assert parse.parse_mark_price(tardis("binance_futures.json", "messages", 13), TS_RECV) == []


def test_mark_price_docs_example_and_array_stream(nautilus: Nautilus) -> None:
    records = parse.parse_mark_price(nautilus("binance/mark_price_stream.json"), TS_RECV, interval_h=4.0)
    assert [(type(r).__name__, getattr(r, "price", None) or getattr(r, "rate", None)) for r in records] == [
        ("Price", 11794.15),
        ("Price", 11784.62659091),
        ("FundingRate", 0.00038167),
    ]
    assert isinstance(records[2], FundingRate) and records[2].interval_h == 4.0
    # ``!markPrice@arr`` pushes a list of the same objects inside a combined-stream wrapper.
    wrapped = {"stream": "!markPrice@arr@1s", "data": [msgspec.json.decode(nautilus("binance/mark_price_stream.json"))]}
    assert parse.parse_mark_price(wrapped, TS_RECV, interval_h=4.0) == records
    # The same array on a raw ``/ws/!markPrice@arr@1s`` connection arrives bare.
    bare = b"[" + nautilus("binance/mark_price_stream.json") + b"]"
    assert parse.parse_message(bare, TS_RECV, interval_h=4.0) == records


def test_kline_stream_closed_bar(nautilus: Nautilus) -> None:
    (candle,) = parse.parse_kline(nautilus("binance/kline_stream_closed.json"), TS_RECV)
    assert candle == Candle(
        venue="binance",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1638747660000,
        ts_recv=TS_RECV,
        source="binance ws kline",
        interval="1m",
        kind=CandleKind.LAST,
        open=0.001,
        high=0.0025,
        low=0.001,
        close=0.002,
        volume=1000.0,
        quote_volume=1.0,
    )
    forming = msgspec.json.decode(nautilus("binance/kline_stream_closed.json"))
    forming["k"]["x"] = False
    assert parse.parse_kline(forming, TS_RECV) == []
    assert len(parse.parse_kline(forming, TS_RECV, closed_only=False)) == 1


def test_parse_message_routes_by_stream(tardis: Tardis) -> None:
    messages = [tardis("binance_futures.json", "messages", position) for position in range(15)]
    kinds = [type(record).__name__ for message in messages for record in parse.parse_message(message, TS_RECV)]
    # markPrice (mark + funding), markPrice@1s (mark + index + funding), forceOrder; trades, books, tickers: none.
    assert kinds == ["Price", "FundingRate", "Price", "Price", "FundingRate", "Liquidation"]
