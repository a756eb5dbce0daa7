"""Bybit v5 parse functions, field by field, on real messages and on payloads written from the docs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from perpscope.errors import VenueResponseError
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
from perpscope.venues.bybit import parse
from perpscope.venues.bybit.stream import parse_message
from perpscope.venues.bybit.tickers import TickerMerger

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


# ---------------------------------------------------------------- websocket


def test_all_liquidation_buy_is_a_long(tardis: Tardis) -> None:
    # 2025-02-25: ``S`` is the liquidated position's side; Sell -> a short was liquidated.
    (record,) = parse.parse_all_liquidation(tardis("bybit.json", "messagesAllLiquidation", 0), TS_RECV)
    assert record == Liquidation(
        venue="bybit",
        symbol="PIPPIN-USDT-PERP",
        native_symbol="PIPPINUSDT",
        ts_event=1740480207110,
        ts_recv=TS_RECV,
        source="bybit ws allLiquidation",
        side=Side.SHORT,
        price=0.02456,
        quantity=2846.0,
        notional_usd=2846 * 0.02456,
        complete=True,
    )
    assert record.notional_usd == pytest.approx(69.89776)
    docs = {
        "topic": "allLiquidation.ROSEUSDT",
        "type": "snapshot",
        "ts": 1739502303204,
        "data": [{"T": 1739502302929, "s": "ROSEUSDT", "S": "Buy", "v": "20000", "p": "0.04499"}],
    }
    (long,) = parse.parse_all_liquidation(docs, TS_RECV)
    assert (long.side, long.quantity, long.price, long.ts_event) == (Side.LONG, 20000.0, 0.04499, 1739502302929)


def test_legacy_liquidation_topic(tardis: Tardis) -> None:
    (gala,) = parse.parse_liquidation(tardis("bybit.json", "messagesV5", 11), TS_RECV)
    assert gala == Liquidation(
        venue="bybit",
        symbol="GALA-USDT-PERP",
        native_symbol="GALAUSDT",
        ts_event=1673251091822,
        ts_recv=TS_RECV,
        source="bybit ws liquidation",
        side=Side.LONG,
        price=0.03803,
        quantity=1637.0,
        notional_usd=1637 * 0.03803,
        complete=False,
    )
    # Inverse XRPUSD: the size is USD (6949 one-dollar contracts).
    (xrp,) = parse.parse_liquidation(tardis("bybit.json", "messagesV5", 12), TS_RECV)
    assert (xrp.symbol, xrp.side, xrp.notional_usd) == ("XRP-USD-PERP", Side.SHORT, 6949.0)
    assert xrp.quantity == pytest.approx(6949 / 0.5149)


def test_tickers_linear_snapshot(tardis: Tardis) -> None:
    merger = TickerMerger()
    funding, open_interest, mark, index = merger.parse(tardis("bybit.json", "messagesV5", 10), TS_RECV)
    common = {
        "venue": "bybit",
        "symbol": "BTC-USDT-PERP",
        "native_symbol": "BTCUSDT",
        "ts_event": 1680673821770,
        "ts_recv": TS_RECV,
        "source": "bybit ws tickers",
    }
    assert funding == FundingRate(
        rate=0.0001, interval_h=8.0, kind=FundingKind.PREDICTED, funding_time=1680681600000, **common
    )
    assert open_interest == OpenInterest(
        oi_base=52774.528,
        oi_usd=1506861070.82,
        reported=OIUnit.BASE,
        conversion_price=1506861070.82 / 52774.528,
        **common,
    )
    assert mark == Price(kind=PriceKind.MARK, price=28552.81, **common)
    assert index == Price(kind=PriceKind.INDEX, price=28562.25, **common)


def test_tickers_delta_merged_onto_snapshot(tardis: Tardis) -> None:
    # 2023-04-05 BTCUSD (inverse): the delta carries openInterest and fundingRate, not the mark or the value.
    merger = TickerMerger()
    merger.parse(tardis("bybit.json", "messagesV5", 6), TS_RECV)
    funding, open_interest = merger.parse(tardis("bybit.json", "messagesV5", 7), TS_RECV)
    view = merger.view("BTCUSD")
    assert view is not None
    assert (view["openInterest"], view["openInterestValue"]) == ("449736674", "15747.08")  # new, kept
    assert (view["markPrice"], view["nextFundingTime"], view["lastPrice"]) == ("28560.00", "1680681600000", "28560.00")
    assert (funding.ts_event, funding.rate, funding.funding_time) == (1680673822776, 0.0001, 1680681600000)
    assert open_interest == OpenInterest(
        venue="bybit",
        symbol="BTC-USD-PERP",
        native_symbol="BTCUSD",
        ts_event=1680673822776,
        ts_recv=TS_RECV,
        source="bybit ws tickers",
        oi_contracts=449736674.0,  # one USD per inverse contract
        oi_base=15747.08,
        oi_usd=449736674.0,
        reported=OIUnit.USD,
        conversion_price=449736674 / 15747.08,
    )


def test_tickers_dated_future_and_published_interval(tardis: Tardis, nautilus: Nautilus) -> None:
    merger = TickerMerger(interval_h={"BTCUSDT": 4.0})
    assert merger.parse(tardis("bybit.json", "messagesV5", 8), TS_RECV) == []  # BTCUSDU23 is dated
    funding = merger.parse(nautilus("bybit/ws_ticker_linear.json"), TS_RECV)[0]
    # ``fundingIntervalHour`` in the message wins over the instruments-info figure passed in.
    assert isinstance(funding, FundingRate)
    assert (funding.rate, funding.interval_h, funding.funding_time) == (-0.000212, 8.0, 1673280000000)


def test_kline_push_from_the_docs() -> None:
    payload = {
        "topic": "kline.5.BTCUSDT",
        "type": "snapshot",
        "ts": 1672324988882,
        "data": [
            {
                "start": 1672324800000,
                "end": 1672325099999,
                "interval": "5",
                "open": "16649.5",
                "close": "16677",
                "high": "16677",
                "low": "16608",
                "volume": "2.081",
                "turnover": "34666.4005",
                "confirm": True,
                "timestamp": 1672324988882,
            }
        ],
    }
    (candle,) = parse.parse_kline(payload, TS_RECV)
    assert candle == Candle(
        venue="bybit",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1672324800000,
        ts_recv=TS_RECV,
        source="bybit ws kline",
        interval="5m",
        kind=CandleKind.LAST,
        open=16649.5,
        high=16677.0,
        low=16608.0,
        close=16677.0,
        volume=2.081,
        quote_volume=34666.4005,
    )


def test_parse_message_routes_by_topic(tardis: Tardis) -> None:
    merger = TickerMerger()
    messages = [tardis("bybit.json", "messagesV5", position) for position in range(15)]
    kinds = [type(record).__name__ for message in messages for record in parse_message(message, TS_RECV, merger)]
    assert kinds == [
        "FundingRate",
        "OpenInterest",
        "Price",
        "Price",  # BTCUSD snapshot
        "FundingRate",
        "OpenInterest",  # BTCUSD delta
        "FundingRate",
        "OpenInterest",
        "Price",
        "Price",  # BTCUSDT snapshot
        "Liquidation",
        "Liquidation",  # liquidation.GALAUSDT, liquidation.XRPUSD
        "Liquidation",  # allLiquidation.PIPPINUSDT
    ]
