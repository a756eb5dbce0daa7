"""OKX parse functions, field by field, on real messages and on payloads written from the docs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from perpscope.errors import ParseError, VenueResponseError
from perpscope.models import (
    FundingKind,
    FundingRate,
    Liquidation,
    OIUnit,
    OpenInterest,
    Price,
    PriceKind,
    Side,
)
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


# ---------------------------------------------------------------- websocket

CONTRACT_VALUES = {"BTC-USDT-SWAP": 0.01, "WNCG-USDT-SWAP": 1.0, "BTC-USD-SWAP": 100.0}


def test_funding_rate_push_with_forecast(tardis: Tardis) -> None:
    # 2021-12-22: no ``ts`` and no ``nextFundingTime`` in the push of that time.
    current, forecast = parse.parse_funding_rate(tardis("okex_swap.json", "okexSwapV5Messages", 1), TS_RECV)
    assert current == FundingRate(
        venue="okx",
        symbol="WNCG-USDT-PERP",
        native_symbol="WNCG-USDT-SWAP",
        ts_event=TS_RECV,
        ts_recv=TS_RECV,
        source="okx ws funding-rate",
        rate=0.00048105,
        interval_h=8.0,
        kind=FundingKind.PREDICTED,
        funding_time=1640131200000,
    )
    assert (forecast.rate, forecast.funding_time) == (0.00114, 1640131200000 + 8 * 3_600_000)
    assert (forecast.kind, forecast.symbol) == (FundingKind.PREDICTED, "WNCG-USDT-PERP")


def test_funding_rate_push_with_only_next_rate(tardis: Tardis) -> None:
    # 2021-12-30 SOS-USDT-SWAP: ``fundingRate`` absent, only the forecast for the settlement after fundingTime.
    (forecast,) = parse.parse_funding_rate(tardis("okex_swap.json", "okexSwapV5Messages", 7), TS_RECV)
    assert forecast == FundingRate(
        venue="okx",
        symbol="SOS-USDT-PERP",
        native_symbol="SOS-USDT-SWAP",
        ts_event=TS_RECV,
        ts_recv=TS_RECV,
        source="okx ws funding-rate",
        rate=0.0003,
        interval_h=8.0,
        kind=FundingKind.PREDICTED,
        funding_time=1640851200000 + 8 * 3_600_000,
    )


def test_funding_rate_push_current_shape(nautilus: Nautilus) -> None:
    current, forecast = parse.parse_funding_rate(nautilus("okx/ws_funding_rate.json"), TS_RECV, interval_h=4.0)
    # The interval comes from fundingTime -> nextFundingTime (8 h), not from the default passed in.
    assert (current.rate, current.funding_time, current.interval_h) == (0.0001, 1744590349506, 8.0)
    assert (forecast.rate, forecast.funding_time, forecast.ts_event) == (0.0002, 1744619149506, 1744590349506)


def test_open_interest_push(tardis: Tardis) -> None:
    (record,) = parse.parse_open_interest(tardis("okex_swap.json", "okexSwapV5Messages", 6), TS_RECV)
    assert record == OpenInterest(
        venue="okx",
        symbol="WNCG-USDT-PERP",
        native_symbol="WNCG-USDT-SWAP",
        ts_event=1640131258756,
        ts_recv=TS_RECV,
        source="okx ws open-interest",
        oi_contracts=644195.0,
        oi_base=644195.0,  # oiCcy: WNCG's contract value is 1 coin
        oi_usd=None,
        reported=OIUnit.CONTRACTS,
        conversion_price=None,
    )
    # A dated future (FIL-USDT-220325) is not a perpetual.
    assert parse.parse_open_interest(tardis("okex_futures.json", "okexFuturesV5Messages", 4), TS_RECV) == []


def test_mark_price_and_index_pushes(tardis: Tardis) -> None:
    (mark,) = parse.parse_mark_price(tardis("okex_swap.json", "okexSwapV5Messages", 5), TS_RECV)
    assert mark == Price(
        venue="okx",
        symbol="WNCG-USDT-PERP",
        native_symbol="WNCG-USDT-SWAP",
        ts_event=1640131259180,
        ts_recv=TS_RECV,
        source="okx ws mark-price",
        kind=PriceKind.MARK,
        price=2.1729,
    )
    (index,) = parse.parse_index_tickers(tardis("okex_swap.json", "okexSwapV5Messages", 4), TS_RECV)
    assert index == Price(
        venue="okx",
        symbol="WNCG-USDT-PERP",
        native_symbol="WNCG-USDT",
        ts_event=1640131290649,
        ts_recv=TS_RECV,
        source="okx ws index-tickers",
        kind=PriceKind.INDEX,
        price=2.1675,
    )


def test_liquidation_orders_of_a_dated_future_are_skipped(tardis: Tardis) -> None:
    # The only real capture is instType FUTURES (XRP-USD-230929): outside the swaps perpscope records.
    message = tardis("okex_futures.json", "okexFuturesV5Messages", 12)
    assert parse.parse_liquidation_orders(message, TS_RECV, CONTRACT_VALUES) == []


def test_liquidation_orders_swap_from_the_docs() -> None:
    # Shape of the docs' example for instType SWAP: two details, one hedge-mode short, one net-mode long.
    payload = {
        "arg": {"channel": "liquidation-orders", "instType": "SWAP"},
        "data": [
            {
                "details": [
                    {
                        "bkLoss": "0",
                        "bkPx": "60000.5",
                        "ccy": "",
                        "posSide": "short",
                        "side": "buy",
                        "sz": "25",
                        "ts": "1723892524781",
                    },
                    {
                        "bkLoss": "0",
                        "bkPx": "59000",
                        "ccy": "",
                        "posSide": "net",
                        "side": "sell",
                        "sz": "3",
                        "ts": "1723892524999",
                    },
                ],
                "instFamily": "BTC-USDT",
                "instId": "BTC-USDT-SWAP",
                "instType": "SWAP",
                "uly": "BTC-USDT",
            }
        ],
    }
    short, long = parse.parse_liquidation_orders(payload, TS_RECV, CONTRACT_VALUES)
    assert short == Liquidation(
        venue="okx",
        symbol="BTC-USDT-PERP",
        native_symbol="BTC-USDT-SWAP",
        ts_event=1723892524781,
        ts_recv=TS_RECV,
        source="okx ws liquidation-orders",
        side=Side.SHORT,
        price=60000.5,
        quantity=0.25,  # 25 contracts x ctVal 0.01 BTC
        notional_usd=0.25 * 60000.5,
        complete=False,
    )
    assert (long.side, long.quantity, long.notional_usd) == (Side.LONG, 0.03, 0.03 * 59000)
    assert parse.parse_liquidation_orders(payload, TS_RECV, {}) == []
    with pytest.raises(ParseError, match="ctVal") as caught:
        parse.parse_liquidation_orders(payload, TS_RECV, {}, skip_unknown=False)
    assert caught.value.field == "instId"


def test_liquidation_orders_inverse_swap_contract_value_is_usd() -> None:
    detail = {"bkPx": "50000", "posSide": "long", "side": "sell", "sz": "7", "ts": "1723892524781"}
    payload = {"arg": {"channel": "liquidation-orders"}, "data": [{"instId": "BTC-USD-SWAP", "details": [detail]}]}
    (record,) = parse.parse_liquidation_orders(payload, TS_RECV, CONTRACT_VALUES)
    assert (record.symbol, record.side, record.notional_usd, record.quantity) == (
        "BTC-USD-PERP",
        Side.LONG,
        700.0,
        0.014,
    )


def test_parse_message_routes_by_channel(tardis: Tardis) -> None:
    messages = [tardis("okex_swap.json", "okexSwapV5Messages", position) for position in range(9)]
    kinds = [type(record).__name__ for message in messages for record in parse.parse_message(message, TS_RECV, {})]
    # funding (2), index, mark, open interest, funding (1); books, trades, tickers, bbo: none.
    assert kinds == ["FundingRate", "FundingRate", "Price", "Price", "OpenInterest", "FundingRate"]
    assert parse.parse_message({"event": "subscribe", "arg": {"channel": "funding-rate"}}, TS_RECV, {}) == []
