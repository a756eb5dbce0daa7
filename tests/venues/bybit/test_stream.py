"""Bybit's one-pass routes (text tickers read with msgspec's number decoders, liquidation pushes decoded once)
against the general route: the same records, the same merged views, the same errors.

``stream.parse_message`` takes text through the one-pass routes; bytes always go the general route. Feeding the
same messages as text to one merger and as bytes to another compares the two, step by step.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from perpscope.errors import ParseError
from perpscope.models import FundingKind, FundingRate, Liquidation, OIUnit, OpenInterest, Price, PriceKind, Side
from perpscope.venues.bybit.stream import parse_message
from perpscope.venues.bybit.tickers import TickerMerger

TS_RECV = 1_700_000_999_000


def _tickers(kind: str, data: dict[str, str], ts: int = 1700000000000) -> dict[str, Any]:
    return {"topic": f"tickers.{data['symbol']}", "type": kind, "data": data, "cs": 1, "ts": ts}


LINEAR_SNAPSHOT = _tickers(
    "snapshot",
    {
        "symbol": "BTCUSDT",
        "lastPrice": "50001.0",
        "markPrice": "50000.0",
        "indexPrice": "49995.0",
        "fundingRate": "0.0001",
        "nextFundingTime": "1700003600000",
        "openInterest": "80000.0",
        "openInterestValue": "4000000000.0",
    },
)
LINEAR_DELTA = _tickers(
    "delta", {"symbol": "BTCUSDT", "markPrice": "50010.0", "fundingRate": "0.00012"}, ts=1700000000100
)
OPEN_INTEREST_DELTA = _tickers("delta", {"symbol": "BTCUSDT", "openInterest": "80100.0"}, ts=1700000000200)
INVERSE_SNAPSHOT = _tickers(
    "snapshot",
    {
        "symbol": "BTCUSD",
        "markPrice": "50000.0",
        "indexPrice": "49990.0",
        "fundingRate": "0.0001",
        "nextFundingTime": "1700003600000",
        "fundingIntervalHour": "4",
        "openInterest": "449736674",
        "openInterestValue": "8994.73348",
    },
)
DATED = _tickers("snapshot", {"symbol": "BTCUSDU23", "markPrice": "50100.0", "openInterest": "10"})
SEQUENCE = [LINEAR_SNAPSHOT, LINEAR_DELTA, OPEN_INTEREST_DELTA, INVERSE_SNAPSHOT, DATED]


def _text(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def _outcome(payload: str | bytes, merger: TickerMerger) -> tuple[Any, ...]:
    try:
        records = parse_message(payload, TS_RECV, merger)
    except Exception as error:  # every error counts: the two routes must raise the same
        outcome: tuple[Any, ...] = ("error", type(error).__name__, str(error), getattr(error, "field", None))
    else:
        outcome = ("records", [repr(record) for record in records])  # repr keeps -0.0 apart from 0.0
    return (*outcome, merger.view("BTCUSDT"), merger.view("BTCUSD"))


def _same_on_both_routes(messages: list[str]) -> list[tuple[Any, ...]]:
    text_merger, bytes_merger = TickerMerger({"BTCUSDT": 8.0}), TickerMerger({"BTCUSDT": 8.0})
    outcomes = []
    for message in messages:
        outcome = _outcome(message, text_merger)
        assert outcome == _outcome(message.encode(), bytes_merger), message
        outcomes.append(outcome)
    return outcomes


def test_tickers_text_route_records_field_by_field() -> None:
    merger = TickerMerger()
    funding, open_interest, mark, index = parse_message(_text(LINEAR_SNAPSHOT), TS_RECV, merger)
    common = {
        "venue": "bybit",
        "symbol": "BTC-USDT-PERP",
        "native_symbol": "BTCUSDT",
        "ts_event": 1700000000000,
        "ts_recv": TS_RECV,
        "source": "bybit ws tickers",
    }
    assert funding == FundingRate(
        rate=0.0001, interval_h=8.0, kind=FundingKind.PREDICTED, funding_time=1700003600000, **common
    )
    assert open_interest == OpenInterest(
        oi_base=80000.0, oi_usd=4_000_000_000.0, reported=OIUnit.BASE, conversion_price=50_000.0, **common
    )
    assert (mark, index) == (
        Price(kind=PriceKind.MARK, price=50000.0, **common),
        Price(kind=PriceKind.INDEX, price=49995.0, **common),
    )
    # The delta touched the funding rate and the mark: those two, the rest read from the merged view.
    funding, mark = parse_message(_text(LINEAR_DELTA), TS_RECV, merger)
    assert (funding.rate, funding.funding_time, funding.ts_event) == (0.00012, 1700003600000, 1700000000100)
    assert (mark.kind, mark.price) == (PriceKind.MARK, 50010.0)
    (open_interest,) = parse_message(_text(OPEN_INTEREST_DELTA), TS_RECV, merger)
    assert (open_interest.oi_base, open_interest.oi_usd) == (80100.0, 4_000_000_000.0)  # the value as stored


def test_tickers_text_route_inverse_and_dated() -> None:
    merger = TickerMerger()
    funding, open_interest, _, _ = parse_message(_text(INVERSE_SNAPSHOT), TS_RECV, merger)
    assert funding.interval_h == 4.0  # published in the message
    assert open_interest == OpenInterest(
        venue="bybit",
        symbol="BTC-USD-PERP",
        native_symbol="BTCUSD",
        ts_event=1700000000000,
        ts_recv=TS_RECV,
        source="bybit ws tickers",
        oi_contracts=449736674.0,  # one USD per contract
        oi_base=8994.73348,
        oi_usd=449736674.0,
        reported=OIUnit.USD,
        conversion_price=449736674 / 8994.73348,
    )
    assert parse_message(_text(DATED), TS_RECV, merger) == []


def test_tickers_sequence_is_the_same_on_both_routes() -> None:
    interval = _tickers("delta", {"symbol": "BTCUSDT", "fundingIntervalHour": "2"}, ts=1700000000300)
    outcomes = _same_on_both_routes([_text(message) for message in [*SEQUENCE, interval]])
    assert [len(outcome[1]) for outcome in outcomes] == [4, 2, 1, 4, 0, 1]
    # A delta of the interval alone is a funding change: the stored rate, over 2 hours.
    assert "rate=0.00012, interval_h=2.0" in outcomes[-1][1][0]


MALFORMED: list[Any] = ["abc", None, "", 7, 7.5, "-0", "0", "1.0", "1e3", "nan", "01", " 5", "1_0", True, "-1"]


@pytest.mark.parametrize("field", ["markPrice", "indexPrice", "fundingRate", "nextFundingTime", "openInterest"])
def test_malformed_tickers_values_same_records_views_and_errors(field: str) -> None:
    # A snapshot, a delta carrying the bad value, then a clean delta that does not touch it (the careful reading
    # still reads the stored mark and index), then a new snapshot that replaces it.
    for value in [*MALFORMED, "fundingIntervalHour"]:
        delta: dict[str, Any] = {"symbol": "BTCUSDT", field: value}
        if value == "fundingIntervalHour":
            delta = {"symbol": "BTCUSDT", "fundingRate": "0.0003", "fundingIntervalHour": "abc"}
        messages = [LINEAR_SNAPSHOT, _tickers("delta", delta), OPEN_INTEREST_DELTA, LINEAR_SNAPSHOT]
        _same_on_both_routes([_text(message) for message in messages])


def test_a_bad_stored_mark_fails_every_later_message_until_replaced() -> None:
    merger = TickerMerger()
    parse_message(_text(LINEAR_SNAPSHOT), TS_RECV, merger)
    with pytest.raises(ParseError) as caught:
        parse_message(_text(_tickers("delta", {"symbol": "BTCUSDT", "markPrice": "abc"})), TS_RECV, merger)
    assert str(caught.value) == "bybit ws tickers: field 'markPrice': not a number: 'abc'"
    with pytest.raises(ParseError, match="markPrice"):
        parse_message(_text(OPEN_INTEREST_DELTA), TS_RECV, merger)  # the open interest alone does not help
    assert len(parse_message(_text(LINEAR_SNAPSHOT), TS_RECV, merger)) == 4


def test_negative_zero_and_nan_read_as_float_reads_them() -> None:
    merger = TickerMerger()
    parse_message(_text(LINEAR_SNAPSHOT), TS_RECV, merger)
    delta = _tickers("delta", {"symbol": "BTCUSDT", "fundingRate": "-0", "markPrice": "nan"})
    funding, mark = parse_message(_text(delta), TS_RECV, merger)
    assert funding.rate == 0.0 and math.copysign(1.0, funding.rate) == -1.0
    assert math.isnan(mark.price)


ALL_LIQUIDATION = {
    "topic": "allLiquidation.BTCUSDT",
    "type": "snapshot",
    "ts": 1700000000002,
    "data": [
        {"T": 1700000000000, "s": "BTCUSDT", "S": "Buy", "v": "0.5", "p": "50000"},
        {"T": 1700000000001, "s": "BTCUSD", "S": "Sell", "v": "1000", "p": "50000"},
    ],
}
# Keys in alphabetical order, ``data`` first, as some recorders store them.
LEGACY = {
    "data": {"price": "0.5", "side": "Sell", "size": "100", "symbol": "XRPUSD", "updatedTime": 1700000000005},
    "topic": "liquidation.XRPUSD",
    "ts": 1700000000006,
    "type": "snapshot",
}


def test_liquidation_pushes_one_pass_field_by_field() -> None:
    merger = TickerMerger()
    long, short = parse_message(_text(ALL_LIQUIDATION), TS_RECV, merger)
    assert long == Liquidation(
        venue="bybit",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1700000000000,
        ts_recv=TS_RECV,
        source="bybit ws allLiquidation",
        side=Side.LONG,  # Buy: a long was liquidated
        price=50000.0,
        quantity=0.5,
        notional_usd=25000.0,
        complete=True,
    )
    assert (short.side, short.notional_usd, short.quantity) == (Side.SHORT, 1000.0, 0.02)  # inverse: 1000 USD
    (legacy,) = parse_message(_text(LEGACY), TS_RECV, merger)
    assert (legacy.symbol, legacy.side, legacy.notional_usd, legacy.quantity, legacy.complete) == (
        "XRP-USD-PERP",
        Side.SHORT,
        100.0,
        200.0,
        False,
    )


def _liquidation_mutations(message: dict[str, Any]) -> list[str]:
    texts = []
    rows = message["data"] if isinstance(message["data"], list) else [message["data"]]
    for key in [*rows[0], "topic", "type", "ts", "data"]:
        for value in [*MALFORMED, "REMOVED", "allLiquidation.BTCUSDT", "liquidation.XRPUSD", "kline.1.BTCUSDT"]:
            copy = json.loads(_text(message))
            target = copy if key in ("topic", "type", "ts", "data") else copy["data"]
            target = target[0] if isinstance(target, list) else target
            if value == "REMOVED":
                del target[key]
            else:
                target[key] = value
            texts.append(_text(copy))
    return texts


@pytest.mark.parametrize("message", [ALL_LIQUIDATION, LEGACY], ids=["allLiquidation", "liquidation"])
def test_malformed_liquidation_pushes_same_records_or_error_text(message: dict[str, Any]) -> None:
    texts = _liquidation_mutations(message)
    assert len(texts) > 100
    _same_on_both_routes(texts)
