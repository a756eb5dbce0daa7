"""Binance USDⓈ-M REST snapshot and reference parsers, field by field (docs examples and hand-written payloads)."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from perpscope.models import (
    Candle,
    CandleKind,
    FundingKind,
    FundingRate,
    Instrument,
    LongShortRatio,
    MarginBracket,
    OIUnit,
    OpenInterest,
    Price,
    PriceKind,
    RatioKind,
    TakerVolume,
)
from perpscope.venues.binance import instruments, parse_rest

TS_RECV = 1_893_456_000_000  # 2030-01-01T00:00:00Z, after every recorded message

Tardis = Callable[[str, str, int], bytes]
Nautilus = Callable[[str], bytes]


def _common(source: str, ts_event: int) -> dict[str, object]:
    return {
        "venue": "binance",
        "symbol": "BTC-USDT-PERP",
        "native_symbol": "BTCUSDT",
        "ts_event": ts_event,
        "ts_recv": TS_RECV,
        "source": f"binance rest {source}",
    }


def test_premium_index(nautilus: Nautilus) -> None:
    mark, index, funding = parse_rest.parse_premium_index(
        nautilus("binance/http_futures_market_premium_index.json"), TS_RECV
    )
    common = _common("/fapi/v1/premiumIndex", 1597370495002)
    assert mark == Price(kind=PriceKind.MARK, price=11793.63104562, **common)
    assert index == Price(kind=PriceKind.INDEX, price=11781.8049597, **common)
    assert funding == FundingRate(
        rate=0.00038246, interval_h=8.0, kind=FundingKind.PREDICTED, funding_time=1597392000000, **common
    )


def test_open_interest(nautilus: Nautilus, tardis: Tardis) -> None:
    record = parse_rest.parse_open_interest(nautilus("binance/http_futures_market_open_interest.json"), TS_RECV)
    assert record == OpenInterest(
        oi_base=10659.509, reported=OIUnit.BASE, **_common("/fapi/v1/openInterest", 1589437530011)
    )
    assert (record.oi_usd, record.oi_contracts) == (None, None)
    # Tardis's REST poll wrapper (``generated``) lacks ``time``: the receive time stands in.
    generated = msgspec.json.decode(tardis("binance_futures.json", "messages", 8))["data"]
    record = parse_rest.parse_open_interest(generated, TS_RECV)
    assert (record.symbol, record.oi_base, record.ts_event) == ("BTC-USDT-PERP", 26286.181, TS_RECV)


@pytest.mark.parametrize(
    ("file", "kind", "path", "shares"),
    [
        ("global_long_short_account_ratio", RatioKind.ACCOUNTS, "globalLongShortAccountRatio", (0.6622, 0.3378)),
        ("top_long_short_account_ratio", RatioKind.TOP_ACCOUNTS, "topLongShortAccountRatio", (0.6442, 0.3558)),
        ("top_long_short_position_ratio", RatioKind.TOP_POSITIONS, "topLongShortPositionRatio", (0.5891, 0.4108)),
    ],
)
def test_long_short_ratios(
    nautilus: Nautilus, file: str, kind: RatioKind, path: str, shares: tuple[float, float]
) -> None:
    first, second = parse_rest.parse_long_short_ratio(
        nautilus(f"binance/http_futures_market_{file}.json"), TS_RECV, kind=kind, period="5m"
    )
    assert first == LongShortRatio(
        kind=kind,
        period="5m",
        long_share=shares[0],
        short_share=shares[1],
        **_common(f"/futures/data/{path}", 1583139600000),
    )
    assert second.ts_event == 1583139900000
    assert first.ratio == pytest.approx(shares[0] / shares[1])


def test_taker_ratio(nautilus: Nautilus) -> None:
    first, second = parse_rest.parse_taker_ratio(
        nautilus("binance/http_futures_market_taker_long_short_ratio.json"),
        TS_RECV,
        native_symbol="BTCUSDT",
        period="5m",
    )
    assert first == TakerVolume(
        period="5m",
        buy_volume=387.33,
        sell_volume=248.503,
        **_common("/futures/data/takerlongshortRatio", 1585614900000),
    )
    assert first.ratio == pytest.approx(1.5586, abs=1e-4)  # the venue's own buySellRatio, cut to 4 decimals
    assert (second.buy_volume, second.sell_volume, second.ts_event) == (343.929, 248.503, 1583139900000)


def test_klines_last_and_mark(nautilus: Nautilus) -> None:
    (bar,) = parse_rest.parse_klines(
        nautilus("binance/http_futures_market_klines.json"), TS_RECV, native_symbol="BTCUSDT", interval="1w"
    )
    assert bar == Candle(
        interval="1w",
        kind=CandleKind.LAST,
        open=0.0163479,
        high=0.8,
        low=0.015758,
        close=0.015771,
        volume=148976.11427815,
        quote_volume=2434.19055334,
        **_common("/fapi/v1/klines", 1499040000000),
    )
    (mark,) = parse_rest.parse_klines(
        nautilus("binance/http_futures_market_mark_price_klines.json"),
        TS_RECV,
        native_symbol="BTCUSDT",
        interval="1m",
        kind=CandleKind.MARK,
    )
    assert (mark.kind, mark.ts_event, mark.open, mark.close) == (
        CandleKind.MARK,
        1591256460000,
        9653.29201333,
        9653.07367333,
    )
    assert (mark.volume, mark.quote_volume, mark.source) == (None, None, "binance rest /fapi/v1/markPriceKlines")


def test_klines_leave_out_the_forming_bar(nautilus: Nautilus) -> None:
    payload = nautilus("binance/http_futures_market_mark_price_klines.json")
    # Received before the bar's close time 1591256519999: still forming.
    assert parse_rest.parse_klines(payload, 1591256500000, native_symbol="BTCUSDT", interval="1m") == []
    assert (
        len(parse_rest.parse_klines(payload, 1591256500000, native_symbol="BTCUSDT", interval="1m", closed_only=False))
        == 1
    )


EXCHANGE_INFO = b"""{"timezone": "UTC", "serverTime": 1717200000000, "symbols": [
 {"symbol": "BTCUSDT", "pair": "BTCUSDT", "contractType": "PERPETUAL", "status": "TRADING", "baseAsset": "BTC",
  "quoteAsset": "USDT", "marginAsset": "USDT", "filters": [{"filterType": "PRICE_FILTER", "minPrice": "556.80",
  "maxPrice": "4529764", "tickSize": "0.10"}, {"filterType": "LOT_SIZE", "stepSize": "0.001"}]},
 {"symbol": "BTCUSDT_240628", "pair": "BTCUSDT", "contractType": "CURRENT_QUARTER", "status": "TRADING",
  "baseAsset": "BTC", "quoteAsset": "USDT", "marginAsset": "USDT", "filters": []},
 {"symbol": "LPTUSDT", "pair": "LPTUSDT", "contractType": "PERPETUAL", "status": "TRADING", "baseAsset": "LPT",
  "quoteAsset": "USDT", "marginAsset": "USDT", "filters": [{"filterType": "PRICE_FILTER", "tickSize": "0.001"}]},
 {"symbol": "OLDUSDT", "pair": "OLDUSDT", "contractType": "PERPETUAL", "status": "SETTLING", "baseAsset": "OLD",
  "quoteAsset": "USDT", "marginAsset": "USDT", "filters": []}]}"""

FUNDING_INFO = b"""[{"symbol": "LPTUSDT", "adjustedFundingRateCap": "0.02000000", "adjustedFundingRateFloor":
 "-0.02000000", "fundingIntervalHours": 4, "disclaimer": false}]"""

LEVERAGE_BRACKET = b"""[{"symbol": "BTCUSDT", "notionalCoef": 1.50, "brackets": [
 {"bracket": 2, "initialLeverage": 100, "notionalCap": 600000, "notionalFloor": 50000, "maintMarginRatio": 0.005,
  "cum": 50.0},
 {"bracket": 1, "initialLeverage": 125, "notionalCap": 50000, "notionalFloor": 0, "maintMarginRatio": 0.004,
  "cum": 0.0}]}]"""


def test_exchange_info_with_funding_info_and_brackets() -> None:
    intervals = instruments.parse_funding_info(FUNDING_INFO)
    assert intervals == {"LPTUSDT": 4.0}
    tiers = instruments.parse_leverage_brackets(LEVERAGE_BRACKET)
    assert tiers["BTCUSDT"] == (
        MarginBracket(floor=0.0, cap=50000.0, max_leverage=125.0, mmr=0.004, maintenance_amount=0.0),
        MarginBracket(floor=50000.0, cap=600000.0, max_leverage=100.0, mmr=0.005, maintenance_amount=50.0),
    )
    btc, lpt = instruments.parse_exchange_info(EXCHANGE_INFO, TS_RECV, funding_intervals=intervals, brackets=tiers)
    assert btc == Instrument(
        venue="binance",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1717200000000,
        ts_recv=TS_RECV,
        source="binance rest /fapi/v1/exchangeInfo",
        base="BTC",
        quote="USDT",
        settle="USDT",
        contract_size=1.0,
        tick_size=0.1,
        funding_interval_h=8.0,
        inverse=False,
        margin_brackets=tiers["BTCUSDT"],
    )
    assert (lpt.symbol, lpt.tick_size, lpt.funding_interval_h, lpt.margin_brackets) == ("LPT-USDT-PERP", 0.001, 4.0, ())
    assert len(instruments.parse_exchange_info(EXCHANGE_INFO, TS_RECV, trading_only=False)) == 3
