"""OKX's one-pass route (``okx.push``) against the general route: the same records, the same errors.

``parse.parse_message`` takes a text push of a known channel through the one-pass route and falls back to the
general route (``parse._by_channel``) on anything that route does not take as it is. Every test here compares the
two on clean and malformed pushes, and checks by hand the cases where the two routes' number readers differ.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from perpscope.errors import ParseError
from perpscope.models import FundingKind, FundingRate, OIUnit, OpenInterest, Price, PriceKind, Side
from perpscope.venues.decoding import json_float, json_int
from perpscope.venues.okx import parse, push

TS_RECV = 1_700_000_999_000
CONTRACT_VALUES = {"BTC-USDT-SWAP": 0.01, "BTC-USD-SWAP": 100.0}


def _message(channel: str, row: dict[str, Any]) -> dict[str, Any]:
    return {"arg": {"channel": channel, "instId": row.get("instId", "")}, "data": [row]}


FUNDING = _message(
    "funding-rate",
    {
        "instId": "BTC-USDT-SWAP",
        "instType": "SWAP",
        "fundingRate": "0.0001",
        "fundingTime": "1700003600000",
        "nextFundingRate": "0.0002",
        "nextFundingTime": "1700018000000",
        "ts": "1700000000000",
    },
)
OPEN_INTEREST = _message(
    "open-interest",
    {"instId": "BTC-USDT-SWAP", "oi": "8000000.0", "oiCcy": "80000.0", "oiUsd": "4000000000.0", "ts": "1700000000001"},
)
MARK = _message("mark-price", {"instId": "BTC-USDT-SWAP", "markPx": "50000.5", "ts": "1700000000002"})
INDEX = _message("index-tickers", {"instId": "BTC-USDT", "idxPx": "49990.1", "ts": "1700000000003"})
LIQUIDATION = _message(
    "liquidation-orders",
    {
        "instId": "BTC-USD-SWAP",
        "details": [{"bkPx": "50000", "posSide": "net", "side": "buy", "sz": "7", "ts": "1700000000004"}],
    },
)
PUSHES = [FUNDING, OPEN_INTEREST, MARK, INDEX, LIQUIDATION]


def _text(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def _outcome(route: Any, payload: str | bytes) -> tuple[Any, ...]:
    """The records (their repr keeps -0.0 apart from 0.0), or the error's type, text, file and field."""
    try:
        return ("records", [repr(record) for record in route(payload, TS_RECV, CONTRACT_VALUES, interval_h=8.0)])
    except Exception as error:  # every error counts: the two routes must raise the same
        return ("error", type(error).__name__, str(error), getattr(error, "file", None), getattr(error, "field", None))


def _general(payload: str | bytes, ts_recv: int, values: Any, *, interval_h: float) -> list[Any]:
    return parse._by_channel(payload, ts_recv, values, interval_h)


def test_funding_and_open_interest_one_pass_field_by_field() -> None:
    funding, forecast = parse.parse_message(_text(FUNDING), TS_RECV, CONTRACT_VALUES)
    assert funding == FundingRate(
        venue="okx",
        symbol="BTC-USDT-PERP",
        native_symbol="BTC-USDT-SWAP",
        ts_event=1700000000000,
        ts_recv=TS_RECV,
        source="okx ws funding-rate",
        rate=0.0001,
        interval_h=4.0,  # 1700003600000 -> 1700018000000 is 4 hours
        kind=FundingKind.PREDICTED,
        funding_time=1700003600000,
    )
    assert (forecast.rate, forecast.funding_time, forecast.interval_h) == (0.0002, 1700018000000, 4.0)
    (open_interest,) = parse.parse_message(_text(OPEN_INTEREST), TS_RECV, CONTRACT_VALUES)
    assert open_interest == OpenInterest(
        venue="okx",
        symbol="BTC-USDT-PERP",
        native_symbol="BTC-USDT-SWAP",
        ts_event=1700000000001,
        ts_recv=TS_RECV,
        source="okx ws open-interest",
        oi_contracts=8_000_000.0,
        oi_base=80_000.0,
        oi_usd=4_000_000_000.0,
        reported=OIUnit.CONTRACTS,
        conversion_price=50_000.0,  # 4e9 USD / 80,000 BTC
    )


def test_prices_and_liquidations_one_pass_field_by_field() -> None:
    (mark,) = parse.parse_message(_text(MARK), TS_RECV, CONTRACT_VALUES)
    assert (mark.kind, mark.price, mark.ts_event, mark.source) == (
        PriceKind.MARK,
        50000.5,
        1700000000002,
        "okx ws mark-price",
    )
    (index,) = parse.parse_message(_text(INDEX), TS_RECV, CONTRACT_VALUES)
    assert index == Price(
        venue="okx",
        symbol="BTC-USDT-PERP",
        native_symbol="BTC-USDT",
        ts_event=1700000000003,
        ts_recv=TS_RECV,
        source="okx ws index-tickers",
        kind=PriceKind.INDEX,
        price=49990.1,
    )
    (liquidation,) = parse.parse_message(_text(LIQUIDATION), TS_RECV, CONTRACT_VALUES)
    # Inverse swap, net mode, a forced buy: a short; 7 contracts x 100 USD = 700 USD, / 50,000 = 0.014 BTC.
    assert (liquidation.side, liquidation.notional_usd, liquidation.quantity) == (Side.SHORT, 700.0, 0.014)


def test_the_one_pass_route_takes_clean_pushes_itself() -> None:
    # Not a fallback in disguise: each clean push is answered by the one-pass function of its channel.
    for message in PUSHES:
        text = _text(message)
        one_pass = parse._ONE_PASS[text[push.CHANNEL_AT]]
        records = one_pass(text, TS_RECV, CONTRACT_VALUES, 8.0)
        assert records is not None
        assert [repr(record) for record in records] == _outcome(_general, text)[1]


MALFORMED: list[Any] = ["abc", None, "", 7, 7.5, "-0", "0", "1.0", "1e3", "nan", "01", " 5", "1_0", True, "-1", []]


def _mutations(message: dict[str, Any]) -> list[str]:
    """The push with each field of ``arg``, of its first row and of that row's first detail set to each malformed
    value, or removed, and with each envelope key set to each (one change per text)."""
    texts = []
    for part in ("arg", "row", "detail"):
        for key in _part(json.loads(_text(message)), part) or {}:
            for value in [*MALFORMED, "REMOVED"]:
                copy = json.loads(_text(message))
                target = _part(copy, part)
                assert target is not None
                if value == "REMOVED":
                    del target[key]
                else:
                    target[key] = value
                texts.append(_text(copy))
    for key in ("code", "msg", "event", "arg", "data"):  # the envelope: an error code, other types, nothing
        for value in [*MALFORMED, "51000", {}]:
            copy = json.loads(_text(message))
            copy[key] = value
            texts.append(_text(copy))
    return texts


def _part(message: dict[str, Any], part: str) -> dict[str, Any] | None:
    if part == "arg":
        arg: dict[str, Any] = message["arg"]
        return arg
    row: dict[str, Any] = message["data"][0]
    if part == "row":
        return row
    return row["details"][0] if "details" in row else None


@pytest.mark.parametrize("message", PUSHES, ids=lambda message: message["arg"]["channel"])
def test_malformed_pushes_give_the_same_records_or_error_text(message: dict[str, Any]) -> None:
    texts = _mutations(message)
    assert len(texts) > 50
    for text in texts:
        for payload in (text, text.encode()):
            assert _outcome(parse.parse_message, payload) == _outcome(_general, payload), text


def test_a_negative_zero_rate_keeps_its_sign() -> None:
    # json_float reads "-0" as 0.0; float() as -0.0, which the general route has always given.
    message = json.loads(_text(FUNDING))
    message["data"][0]["fundingRate"] = "-0"
    funding, _ = parse.parse_message(_text(message), TS_RECV, CONTRACT_VALUES)
    assert funding.rate == 0.0 and math.copysign(1.0, funding.rate) == -1.0


def test_numbers_only_float_reads_still_become_records() -> None:
    # "nan" and "01" are not JSON numbers, but float()/int() have always read them: the general route does.
    message = json.loads(_text(FUNDING))
    message["data"][0].update(fundingRate="nan", fundingTime="01")
    funding, forecast = parse.parse_message(_text(message), TS_RECV, CONTRACT_VALUES)
    assert math.isnan(funding.rate) and funding.funding_time == 1
    assert forecast.funding_time == 1700018000000  # nextFundingTime as sent


def test_a_float_timestamp_is_refused_as_before() -> None:
    # msgspec's lax int would read "1.0e12" as 1000000000000; int() refuses it, and so does this route.
    message = json.loads(_text(FUNDING))
    message["data"][0]["fundingTime"] = "1.0e12"
    with pytest.raises(ParseError) as caught:
        parse.parse_message(_text(message), TS_RECV, CONTRACT_VALUES)
    assert str(caught.value) == "okx ws funding-rate: field 'fundingTime': not an integer: '1.0e12'"


def test_an_unquoted_rate_is_refused_as_before() -> None:
    message = json.loads(_text(FUNDING))
    message["data"][0]["fundingRate"] = 0.0001
    with pytest.raises(ParseError) as caught:
        parse.parse_message(_text(message), TS_RECV, CONTRACT_VALUES)
    assert (caught.value.file, caught.value.field) == ("okx ws funding-rate", "$[0].fundingRate")
    assert caught.value.reason == "Expected `str`, got `float`"


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_json_float_reads_every_float_text_as_float_does(value: float) -> None:
    for text in (repr(value), f"{value:.17e}", f"{value:.3f}"):
        assert _bits(json_float(text) or float(text)) == _bits(float(text))


@given(st.text(alphabet="0123456789-+.eE_ nai\t", max_size=12))
def test_json_number_readers_never_disagree_with_float_and_int(text: str) -> None:
    # Either msgspec refuses the text (the caller falls back to float()/int()), or it gives their value.
    try:
        decoded = json_float(text)
    except msgspec.DecodeError:
        pass
    else:
        assert _bits(decoded or float(text)) == _bits(float(text))  # as callers write it: "-0" re-read
    try:
        integer = json_int(text)
    except msgspec.DecodeError:
        pass
    else:
        assert integer == int(text)
