"""The records and the normalisation formulas of METHOD.md §1."""

from __future__ import annotations

import math

import msgspec
import pytest

from perpscope import models
from perpscope.models import MarginBracket, brackets_from_json


def funding(rate: float, interval_h: float) -> models.FundingRate:
    return models.FundingRate(
        venue="hyperliquid",
        symbol="BTC-USD-PERP",
        native_symbol="BTC",
        ts_event=1_760_000_000_000,
        ts_recv=1_760_000_000_250,
        rate=rate,
        interval_h=interval_h,
        funding_time=1_760_000_000_000,
    )


@pytest.mark.parametrize(
    ("rate", "interval_h", "rate_8h", "apr"),
    [
        (0.0001, 8, 0.0001, 0.1095),  # the 0.01%/8 h baseline is 10.95% APR
        (0.0005, 8, 0.0005, 0.5475),
        (0.0007, 8, 0.0007, 0.7665),
        (0.0000125, 1, 0.0001, 0.1095),  # an hourly venue paying F/8 every hour
        (0.00005, 4, 0.0001, 0.1095),
        (-0.003, 8, -0.003, -3.285),  # 2020-03-13 Binance floor
    ],
)
def test_rate_normalisation(rate: float, interval_h: float, rate_8h: float, apr: float) -> None:
    record = funding(rate, interval_h)
    assert record.rate_8h == pytest.approx(rate_8h, rel=1e-12)
    assert record.apr == pytest.approx(apr, rel=1e-12)


def test_records_are_immutable() -> None:
    record = funding(0.0001, 8)
    with pytest.raises(AttributeError):
        record.rate = 0.0002  # type: ignore[misc]


def test_records_round_trip_through_json_with_enums_as_text() -> None:
    liquidation = models.Liquidation(
        venue="binance",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1_584_059_047_326,
        ts_recv=1_584_059_047_400,
        side=models.Side.SHORT,
        price=4706.04,
        quantity=0.014,
        notional_usd=65.88456,
        complete=False,
    )
    encoded = msgspec.json.encode(liquidation)
    assert b'"side":"short"' in encoded
    assert msgspec.json.decode(encoded, type=models.Liquidation) == liquidation


def test_ratio_properties() -> None:
    ratio = models.LongShortRatio(
        venue="binance",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=0,
        ts_recv=0,
        kind=models.RatioKind.ACCOUNTS,
        period="5m",
        long_share=0.6,
        short_share=0.4,
    )
    assert ratio.ratio == pytest.approx(1.5)


def test_symbols() -> None:
    assert models.canonical_symbol("btc", "usdt") == "BTC-USDT-PERP"
    assert models.base_of("BTC-USDT-PERP") == "BTC"
    assert models.base_of("eth") == "ETH"


def test_simulated_sources_are_recognised() -> None:
    assert models.is_simulated_source("sim binance ws kline")  # collected from a served simulator
    assert models.is_simulated_source("sim")  # written by the simulator itself
    assert not models.is_simulated_source("binance ws kline")
    assert not models.is_simulated_source("import simple_funding.csv")
    assert not models.is_simulated_source("simex ws liquidations")  # a venue whose name starts with "sim"


def test_brackets_stored_as_json_read_back_an_uncapped_tier_as_infinity() -> None:
    brackets = (
        MarginBracket(floor=0.0, cap=150e6, max_leverage=40.0, mmr=0.0125, maintenance_amount=0.0),
        MarginBracket(floor=150e6, cap=math.inf, max_leverage=20.0, mmr=0.025, maintenance_amount=1_875_000.0),
    )
    text = msgspec.json.encode(brackets).decode()
    assert '"cap":null' in text  # JSON has no infinity
    assert brackets_from_json(text) == brackets
    with pytest.raises(msgspec.ValidationError, match="floor"):
        brackets_from_json('[{"cap": 1.0, "max_leverage": 1.0, "mmr": 0.1, "maintenance_amount": 0.0}]')
