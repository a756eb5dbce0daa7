"""ccxt's unified structures (as documented at docs.ccxt.com and returned by ccxt 4) to perpscope records."""

from __future__ import annotations

from typing import Any

import pytest

from perpscope.errors import InputError, ParseError
from perpscope.models import FundingKind, FundingRate, OIUnit, OpenInterest
from perpscope.venues.capabilities import Channel
from perpscope.venues.ccxt import capabilities, parse

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
HOUR = 3_600_000
RECEIVED = T0 + 100 * HOUR

# A Gate USDT swap as ccxt's load_markets describes it: one contract is 0.0001 BTC.
GATE_BTC: dict[str, Any] = {
    "id": "BTC_USDT",
    "symbol": "BTC/USDT:USDT",
    "base": "BTC",
    "quote": "USDT",
    "settle": "USDT",
    "type": "swap",
    "swap": True,
    "future": False,
    "linear": True,
    "inverse": False,
    "contractSize": 0.0001,
    "expiry": None,
}
BINANCE_ETH = {**GATE_BTC, "id": "ETHUSDT", "symbol": "ETH/USDT:USDT", "base": "ETH", "contractSize": 1.0}
INVERSE = {**GATE_BTC, "id": "BTC_USD", "symbol": "BTC/USD:BTC", "quote": "USD", "linear": False, "inverse": True}
QUARTER = {**GATE_BTC, "id": "BTC_USDT_20260626", "symbol": "BTC/USDT:USDT-260626", "swap": False, "future": True}
QUARTER["expiry"] = 1_782_460_800_000


def history(timestamp: int, rate: float) -> dict[str, Any]:
    """A funding rate history structure."""
    return {"info": {}, "symbol": "BTC/USDT:USDT", "fundingRate": rate, "timestamp": timestamp, "datetime": ""}


def interest(timestamp: int, amount: float | None, value: float | None) -> dict[str, Any]:
    """An open interest structure."""
    return {
        "symbol": "BTC/USDT:USDT",
        "baseVolume": None,
        "quoteVolume": None,
        "openInterestAmount": amount,
        "openInterestValue": value,
        "timestamp": timestamp,
        "datetime": "",
        "info": {},
    }


def funding(entries: list[dict[str, Any]], previous: int | None = None, fallback: float = 8.0) -> list[FundingRate]:
    return parse.parse_funding_history(
        entries,
        GATE_BTC,
        venue="gate",
        exchange_id="gate",
        ts_recv=RECEIVED,
        previous=previous,
        fallback_interval_h=fallback,
    )


def test_funding_history_fields() -> None:
    first, second = funding([history(T0, 0.0001), history(T0 + 8 * HOUR + 3, -0.000025)])
    assert first == FundingRate(
        venue="gate",
        symbol="BTC-USDT-PERP",
        native_symbol="BTC_USDT",
        ts_event=T0,
        ts_recv=RECEIVED,
        source="ccxt gate",
        rate=0.0001,
        interval_h=8.0,  # the first print takes the spacing to the next one
        kind=FundingKind.SETTLED,
        funding_time=T0,
    )
    assert second.ts_event == second.funding_time == T0 + 8 * HOUR + 3
    assert second.rate == -0.000025
    assert second.interval_h == 8.0  # 3 ms of settlement jitter rounds away
    assert second.apr == pytest.approx(-0.000025 * 8760 / 8)


def test_funding_interval_follows_the_spacing_of_prints() -> None:
    times = [T0, T0 + 8 * HOUR, T0 + 12 * HOUR, T0 + 16 * HOUR, T0 + 17 * HOUR]
    records = funding([history(time, 0.0001) for time in times])
    assert [record.interval_h for record in records] == [8.0, 8.0, 4.0, 4.0, 1.0]


def test_funding_interval_continues_from_the_previous_page() -> None:
    (record,) = funding([history(T0 + 16 * HOUR, 0.0002)], previous=T0 + 12 * HOUR)
    assert record.interval_h == 4.0


def test_a_lone_print_takes_the_fallback_interval() -> None:
    (record,) = funding([history(T0, 0.0002)], fallback=1.0)
    assert record.interval_h == 1.0


def test_funding_rate_missing_is_named_by_line_and_field() -> None:
    broken = history(T0 + 8 * HOUR, 0.0)
    broken["fundingRate"] = None
    with pytest.raises(ParseError) as caught:
        funding([history(T0, 0.0001), broken])
    assert str(caught.value) == "ccxt gate fetchFundingRateHistory:2: field 'fundingRate': expected a number, got None"


def test_funding_time_missing_is_named() -> None:
    with pytest.raises(ParseError) as caught:
        funding([{"fundingRate": 0.0001, "timestamp": None}])
    assert caught.value.field == "timestamp"
    assert caught.value.line == 1


def test_predicted_funding_rate_from_fetch_funding_rate() -> None:
    entry = {
        "symbol": "BTC/USDT:USDT",
        "fundingRate": 0.00005,
        "timestamp": T0 + 10,
        "fundingTimestamp": T0 + HOUR,
        "nextFundingTimestamp": None,
        "interval": "1h",
        "info": {},
    }
    record = parse.parse_funding_rate(
        entry, GATE_BTC, venue="gate", exchange_id="gate", ts_recv=RECEIVED, fallback_interval_h=8.0
    )
    assert record.kind is FundingKind.PREDICTED
    assert (record.ts_event, record.funding_time, record.rate, record.interval_h) == (T0 + 10, T0 + HOUR, 0.00005, 1.0)
    assert (record.symbol, record.native_symbol, record.source) == ("BTC-USDT-PERP", "BTC_USDT", "ccxt gate")


def test_interval_names() -> None:
    assert parse.interval_hours("8h") == 8.0
    assert parse.interval_hours("30m") == 0.5
    assert parse.interval_hours("1d") == 24.0
    with pytest.raises(ParseError, match="field 'interval'"):
        parse.interval_hours("eight hours")


def test_open_interest_in_contracts_is_converted_to_base() -> None:
    (record,) = parse.parse_open_interest(
        [interest(T0, 2_851_725, 9_872_386.7775)], GATE_BTC, venue="gate", exchange_id="gate", ts_recv=RECEIVED
    )
    assert record.reported is OIUnit.CONTRACTS
    assert record.oi_contracts == 2_851_725
    assert record.oi_base == pytest.approx(285.1725)  # 2,851,725 contracts x 0.0001 BTC
    assert record.oi_usd == 9_872_386.7775
    assert record.conversion_price == pytest.approx(34_619.0)  # 9,872,386.7775 USD / 285.1725 BTC
    assert (record.venue, record.symbol, record.native_symbol) == ("gate", "BTC-USDT-PERP", "BTC_USDT")
    assert (record.ts_event, record.ts_recv, record.source) == (T0, RECEIVED, "ccxt gate")


def test_open_interest_with_unit_contracts_is_base() -> None:
    (record,) = parse.parse_open_interest(
        [interest(T0, 75_375.617, None)], BINANCE_ETH, venue="binanceusdm", exchange_id="binanceusdm", ts_recv=T0
    )
    assert record == OpenInterest(
        venue="binanceusdm",
        symbol="ETH-USDT-PERP",
        native_symbol="ETHUSDT",
        ts_event=T0,
        ts_recv=T0,
        source="ccxt binanceusdm",
        oi_base=75_375.617,
        reported=OIUnit.BASE,
    )


def test_open_interest_given_only_in_usd() -> None:
    (record,) = parse.parse_open_interest(
        [interest(T0, None, 3_248_828_883.7)], GATE_BTC, venue="gate", exchange_id="gate", ts_recv=T0
    )
    assert (record.reported, record.oi_usd, record.oi_base, record.oi_contracts) == (
        OIUnit.USD,
        3_248_828_883.7,
        None,
        None,
    )


def test_open_interest_without_any_amount_is_refused() -> None:
    with pytest.raises(ParseError) as caught:
        parse.parse_open_interest([interest(T0, None, None)], GATE_BTC, venue="gate", exchange_id="gate", ts_recv=T0)
    assert str(caught.value) == (
        "ccxt gate fetchOpenInterestHistory:1: field 'openInterest': neither openInterestAmount nor "
        "openInterestValue is given"
    )


def test_inverse_and_dated_markets_are_refused() -> None:
    with pytest.raises(InputError) as inverse:
        parse.canonical(INVERSE, "gate")
    assert str(inverse.value).startswith("ccxt gate: BTC/USD:BTC is an inverse (coin-margined) swap;")
    with pytest.raises(InputError) as dated:
        parse.canonical(QUARTER, "gate")
    assert str(dated.value).startswith("ccxt gate: BTC/USDT:USDT-260626 is not a perpetual swap")
    assert parse.canonical(GATE_BTC, "gate") == "BTC-USDT-PERP"


def test_resolve_market_by_each_spelling() -> None:
    usdc_eth = {**BINANCE_ETH, "id": "ETH-PERP", "symbol": "ETH/USDC:USDC", "quote": "USDC", "settle": "USDC"}
    markets = {"BTC/USDT:USDT": GATE_BTC, "ETH/USDC:USDC": usdc_eth, "BTC/USD:BTC": INVERSE}
    assert parse.resolve_market(markets, "BTC", "gate") is GATE_BTC
    assert parse.resolve_market(markets, "btc-usdt-perp", "gate") is GATE_BTC
    assert parse.resolve_market(markets, "BTC/USDT:USDT", "gate") is GATE_BTC
    assert parse.resolve_market(markets, "BTC_USDT", "gate") is GATE_BTC
    assert parse.resolve_market(markets, "ETH", "gate") is usdc_eth  # no USDT swap: the USDC one
    with pytest.raises(InputError, match="ccxt gate has no linear perpetual for 'SOL'"):
        parse.resolve_market(markets, "SOL", "gate")


def test_capabilities_follow_ccxt_has_flags() -> None:
    has = {"fetchFundingRateHistory": True, "fetchOpenInterestHistory": None}
    offered = capabilities.capabilities("gate", has, 50, "gate")
    assert offered.offers(Channel.FUNDING_SETTLED)
    assert not offered.offers(Channel.OPEN_INTEREST)
    assert offered.rate_limit.requests_per_minute == 1200.0  # one request per 50 ms
    assert capabilities.supports({"fetchOpenInterestHistory": "emulated"}, Channel.OPEN_INTEREST)
    assert not capabilities.supports(has, Channel.LIQUIDATIONS)
