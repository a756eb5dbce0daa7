"""Bybit v5 REST reference and history parsers, field by field (real fixtures and payloads written from the docs)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from perpscope.errors import ParseError
from perpscope.models import Candle, CandleKind, Instrument, MarginBracket, OIUnit, OpenInterest, RatioKind
from perpscope.venues.bybit import parse_rest

TS_RECV = 1_893_456_000_000  # 2030-01-01T00:00:00Z, after every recorded message

Nautilus = Callable[[str], bytes]


def test_klines(nautilus: Nautilus) -> None:
    (bar,) = parse_rest.parse_klines(nautilus("bybit/http_get_klines_linear.json"), TS_RECV, interval="1")
    assert bar == Candle(
        venue="bybit",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1709891679000,
        ts_recv=TS_RECV,
        source="bybit rest /v5/market/kline",
        interval="1m",
        kind=CandleKind.LAST,
        open=27450.0,
        high=27460.0,
        low=27440.0,
        close=27455.0,
        volume=123.45,
        quote_volume=3390000.0,
    )
    # Received 30 s after the bar opened: a 1-minute bar is still forming.
    assert parse_rest.parse_klines(nautilus("bybit/http_get_klines_linear.json"), 1709891709000, interval="1") == []


def test_mark_klines_have_no_volume() -> None:
    payload = {
        "retCode": 0,
        "retMsg": "OK",
        "result": {
            "symbol": "BTCUSDT",
            "category": "linear",
            "list": [["1670608800000", "17167.00", "17167.00", "17161.90", "17163.07"]],
        },
        "time": 1672025956592,
    }
    (bar,) = parse_rest.parse_klines(payload, TS_RECV, interval="60", kind=CandleKind.MARK)
    assert (bar.kind, bar.interval, bar.ts_event, bar.close, bar.volume) == (
        CandleKind.MARK,
        "1h",
        1670608800000,
        17163.07,
        None,
    )
    assert bar.source == "bybit rest /v5/market/mark-price-kline"


def test_open_interest_history() -> None:
    payload = {
        "retCode": 0,
        "retMsg": "OK",
        "result": {
            "symbol": "BTCUSD",
            "category": "inverse",
            "list": [{"openInterest": "461134384.00000000", "timestamp": "1669571400000"}],
            "nextPageCursor": "",
        },
        "time": 1672053548579,
    }
    (inverse,) = parse_rest.parse_open_interest(payload, TS_RECV)
    assert (inverse.symbol, inverse.reported, inverse.oi_usd, inverse.oi_contracts, inverse.oi_base) == (
        "BTC-USD-PERP",
        OIUnit.USD,
        461134384.0,
        461134384.0,
        None,
    )
    payload["result"]["symbol"] = "BTCUSDT"  # type: ignore[index]
    (linear,) = parse_rest.parse_open_interest(payload, TS_RECV)
    assert linear == OpenInterest(
        venue="bybit",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1669571400000,
        ts_recv=TS_RECV,
        source="bybit rest /v5/market/open-interest",
        oi_base=461134384.0,
        reported=OIUnit.BASE,
    )


def test_account_ratio() -> None:
    payload = {
        "retCode": 0,
        "retMsg": "OK",
        "result": {
            "list": [{"symbol": "BTCUSDT", "buyRatio": "0.5777", "sellRatio": "0.4223", "timestamp": "1695772800000"}]
        },
    }
    (ratio,) = parse_rest.parse_account_ratio(payload, TS_RECV, period="1d")
    assert (ratio.symbol, ratio.kind, ratio.period, ratio.ts_event) == (
        "BTC-USDT-PERP",
        RatioKind.ACCOUNTS,
        "1d",
        1695772800000,
    )
    assert (ratio.long_share, ratio.short_share) == (0.5777, 0.4223)
    assert ratio.ratio == pytest.approx(1.368, abs=1e-3)


RISK_LIMIT = {
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "category": "linear",
        "list": [
            {
                "id": 2,
                "symbol": "BTCUSDT",
                "riskLimitValue": "4000000",
                "maintenanceMargin": "0.01",
                "initialMargin": "0.02",
                "isLowestRisk": 0,
                "maxLeverage": "50.00",
                "mmDeduction": "10000",
            },
            {
                "id": 1,
                "symbol": "BTCUSDT",
                "riskLimitValue": "2000000",
                "maintenanceMargin": "0.005",
                "initialMargin": "0.01",
                "isLowestRisk": 1,
                "maxLeverage": "100.00",
                "mmDeduction": "",
            },
        ],
    },
}

INSTRUMENTS = {
    "retCode": 0,
    "retMsg": "OK",
    "result": {
        "category": "linear",
        "list": [
            {
                "symbol": "BTCUSDT",
                "contractType": "LinearPerpetual",
                "status": "Trading",
                "baseCoin": "BTC",
                "quoteCoin": "USDT",
                "settleCoin": "USDT",
                "fundingInterval": 480,
                "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": "0.10"},
                "lotSizeFilter": {"qtyStep": "0.001"},
                "leverageFilter": {"maxLeverage": "100.00"},
                "upperFundingRate": "0.00375",
                "lowerFundingRate": "-0.00375",
            },
            {
                "symbol": "XYZUSDT",
                "contractType": "LinearPerpetual",
                "status": "Trading",
                "baseCoin": "XYZ",
                "quoteCoin": "USDT",
                "settleCoin": "USDT",
                "fundingInterval": 60,
                "priceFilter": {"tickSize": "0.0001"},
            },
            {
                "symbol": "BTC-27DEC24",
                "contractType": "LinearFutures",
                "status": "Trading",
                "baseCoin": "BTC",
                "quoteCoin": "USDT",
                "settleCoin": "USDC",
                "fundingInterval": 0,
                "priceFilter": {"tickSize": "0.5"},
            },
        ],
        "nextPageCursor": "",
    },
    "time": 1707186451514,
}


def test_instruments_info_with_risk_limits() -> None:
    tiers = parse_rest.parse_risk_limits(RISK_LIMIT)
    assert tiers == {
        "BTCUSDT": (
            MarginBracket(floor=0.0, cap=2_000_000.0, max_leverage=100.0, mmr=0.005, maintenance_amount=0.0),
            MarginBracket(floor=2_000_000.0, cap=4_000_000.0, max_leverage=50.0, mmr=0.01, maintenance_amount=10000.0),
        )
    }
    btc, xyz = parse_rest.parse_instruments_info(INSTRUMENTS, TS_RECV, brackets=tiers)
    assert btc == Instrument(
        venue="bybit",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1707186451514,
        ts_recv=TS_RECV,
        source="bybit rest /v5/market/instruments-info",
        base="BTC",
        quote="USDT",
        settle="USDT",
        contract_size=1.0,
        tick_size=0.1,
        funding_interval_h=8.0,
        inverse=False,
        margin_brackets=tiers["BTCUSDT"],
    )
    assert (xyz.symbol, xyz.funding_interval_h, xyz.tick_size, xyz.margin_brackets) == (
        "XYZ-USDT-PERP",
        1.0,
        0.0001,
        (),
    )


def test_risk_limits_derive_a_blank_deduction() -> None:
    """Docs' shape (market/risk-limit): numbers as text, ``mmDeduction`` sometimes blank; tiers out of order."""
    rows = [
        ("3", "6000000", "0.02", "25.00", ""),  # derived: 4,000,000 x (0.02 - 0.01) + 10,000 = 50,000
        ("1", "2000000", "0.005", "100.00", ""),
        ("2", "4000000", "0.01", "50.00", "10000"),
    ]
    payload = {
        "retCode": 0,
        "retMsg": "OK",
        "result": {
            "category": "linear",
            "list": [
                {"id": int(number), "symbol": "ETHUSDT", "riskLimitValue": cap, "maintenanceMargin": rate,
                 "initialMargin": "0", "isLowestRisk": 0, "maxLeverage": leverage, "mmDeduction": deduction}
                for number, cap, rate, leverage, deduction in rows
            ],
            "nextPageCursor": "",
        },
        "time": 1_672_054_488_010,
    }  # fmt: skip
    assert parse_rest.parse_risk_limits(payload) == {
        "ETHUSDT": (
            MarginBracket(floor=0.0, cap=2_000_000.0, max_leverage=100.0, mmr=0.005, maintenance_amount=0.0),
            MarginBracket(floor=2_000_000.0, cap=4_000_000.0, max_leverage=50.0, mmr=0.01, maintenance_amount=10_000.0),
            MarginBracket(floor=4_000_000.0, cap=6_000_000.0, max_leverage=25.0, mmr=0.02, maintenance_amount=50_000.0),
        )
    }


def test_risk_limits_name_a_bad_field() -> None:
    payload = {"retCode": 0, "result": {"list": [{"symbol": "BTCUSDT", "riskLimitValue": "2000000",
               "maintenanceMargin": "0.005", "maxLeverage": "100", "mmDeduction": "lots"}]}}  # fmt: skip
    with pytest.raises(ParseError, match="not a number: 'lots'") as raised:
        parse_rest.parse_risk_limits(payload)
    assert raised.value.field == "mmDeduction"
    assert "bybit rest /v5/market/risk-limit" in str(raised.value)
