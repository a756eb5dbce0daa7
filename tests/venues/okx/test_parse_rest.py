"""OKX REST reference and statistics parsers, field by field (real fixtures and payloads written from the docs)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from perpscope.errors import VenueResponseError
from perpscope.models import Candle, CandleKind, Instrument, OIUnit, OpenInterest, Price, PriceKind, RatioKind
from perpscope.venues.okx import parse, parse_rest

TS_RECV = 1_893_456_000_000  # 2030-01-01T00:00:00Z, after every recorded message

Nautilus = Callable[[str], bytes]

INSTRUMENTS = b"""{"code": "0", "msg": "", "data": [
 {"instType": "SWAP", "instId": "BTC-USDT-SWAP", "uly": "BTC-USDT", "instFamily": "BTC-USDT", "baseCcy": "",
  "quoteCcy": "", "settleCcy": "USDT", "ctVal": "0.01", "ctMult": "1", "ctValCcy": "BTC", "ctType": "linear",
  "tickSz": "0.1", "lotSz": "0.01", "minSz": "0.01", "lever": "100", "state": "live"},
 {"instType": "SWAP", "instId": "BTC-USD-SWAP", "settleCcy": "BTC", "ctVal": "100", "ctValCcy": "USD",
  "ctType": "inverse", "tickSz": "0.1", "state": "live"},
 {"instType": "SWAP", "instId": "PEPE-USDT-SWAP", "settleCcy": "USDT", "ctVal": "10000000", "ctValCcy": "PEPE",
  "ctType": "linear", "tickSz": "0.0000000001", "state": "live"},
 {"instType": "SWAP", "instId": "OLD-USDT-SWAP", "settleCcy": "USDT", "ctVal": "1", "ctType": "linear",
  "tickSz": "0.1", "state": "suspend"}]}"""


def test_instruments_and_contract_values() -> None:
    btc, pepe = parse_rest.parse_instruments(INSTRUMENTS, TS_RECV, funding_intervals={"PEPE-USDT-SWAP": 4.0})
    assert btc == Instrument(
        venue="okx",
        symbol="BTC-USDT-PERP",
        native_symbol="BTC-USDT-SWAP",
        ts_event=TS_RECV,
        ts_recv=TS_RECV,
        source="okx rest /api/v5/public/instruments",
        base="BTC",
        quote="USDT",
        settle="USDT",
        contract_size=0.01,
        tick_size=0.1,
        funding_interval_h=8.0,
    )
    assert (pepe.contract_size, pepe.tick_size, pepe.funding_interval_h) == (10_000_000.0, 1e-10, 4.0)
    assert parse_rest.contract_values([btc, pepe]) == {"BTC-USDT-SWAP": 0.01, "PEPE-USDT-SWAP": 10_000_000.0}


def test_refused_request() -> None:
    with pytest.raises(VenueResponseError, match="50011"):
        parse_rest.parse_instruments({"code": "50011", "msg": "Too Many Requests", "data": []}, TS_RECV)


def test_candles(nautilus: Nautilus) -> None:
    payload = nautilus("okx/http_get_candlesticks.json")
    assert parse_rest.parse_candles(payload, TS_RECV, inst_id="BTC-USDT-SWAP", bar="1m") == []  # confirm "0"
    first, second = parse_rest.parse_candles(payload, TS_RECV, inst_id="BTC-USDT-SWAP", bar="1m", closed_only=False)
    assert first == Candle(
        venue="okx",
        symbol="BTC-USDT-PERP",
        native_symbol="BTC-USDT-SWAP",
        ts_event=1625097600000,
        ts_recv=TS_RECV,
        source="okx rest /api/v5/market/history-candles",
        interval="1m",
        kind=CandleKind.LAST,
        open=33528.6,
        high=33870.0,
        low=33528.6,
        close=33783.9,
        volume=0.0,  # volCcy (coins); the 778.838 before it counts contracts
        quote_volume=0.0,
    )
    assert (second.ts_event, second.close) == (1625097660000, 33782.1)
    mark_rows = {"code": "0", "data": [["1625097600000", "33528.6", "33870", "33528.6", "33783.9", "1"]]}
    (mark,) = parse_rest.parse_candles(mark_rows, TS_RECV, inst_id="BTC-USDT-SWAP", bar="1H", kind=CandleKind.MARK)
    assert (mark.kind, mark.interval, mark.volume, mark.close) == (CandleKind.MARK, "1h", None, 33783.9)


def test_rest_mark_price_and_open_interest(nautilus: Nautilus) -> None:
    (mark,) = parse.parse_mark_price(nautilus("okx/http_get_mark_price.json"), TS_RECV)
    assert mark == Price(
        venue="okx",
        symbol="BTC-USDT-PERP",
        native_symbol="BTC-USDT-SWAP",
        ts_event=1744590349506,
        ts_recv=TS_RECV,
        source="okx rest /api/v5/public/mark-price",
        kind=PriceKind.MARK,
        price=84660.1,
    )
    answer = {
        "code": "0",
        "msg": "",
        "data": [
            {
                "instType": "SWAP",
                "instId": "BTC-USDT-SWAP",
                "oi": "2660239.59",
                "oiCcy": "26602.3959",
                "oiUsd": "2433776053.94",
                "ts": "1768889635328",
            }
        ],
    }
    (oi,) = parse.parse_open_interest(answer, TS_RECV)
    assert oi == OpenInterest(
        venue="okx",
        symbol="BTC-USDT-PERP",
        native_symbol="BTC-USDT-SWAP",
        ts_event=1768889635328,
        ts_recv=TS_RECV,
        source="okx rest /api/v5/public/open-interest",
        oi_contracts=2660239.59,
        oi_base=26602.3959,
        oi_usd=2433776053.94,
        reported=OIUnit.CONTRACTS,
        conversion_price=2433776053.94 / 26602.3959,
    )


def test_rubik_statistics() -> None:
    history = {"code": "0", "data": [["1701417600000", "1000000", "10000", "420000000"]]}
    (oi,) = parse_rest.parse_open_interest_history(history, TS_RECV, inst_id="BTC-USDT-SWAP")
    assert (oi.ts_event, oi.oi_contracts, oi.oi_base, oi.oi_usd, oi.conversion_price) == (
        1701417600000,
        1000000.0,
        10000.0,
        420000000.0,
        42000.0,
    )
    ratios = {"code": "0", "data": [["1701417600000", "1.5"]]}
    (ratio,) = parse_rest.parse_long_short_ratio(ratios, TS_RECV, inst_id="BTC-USDT-SWAP", period="5m")
    assert (ratio.kind, ratio.period, ratio.long_share, ratio.short_share) == (RatioKind.ACCOUNTS, "5m", 0.6, 0.4)
    assert ratio.ratio == pytest.approx(1.5)
    taker = {"code": "0", "data": [["1701417600000", "2000", "3000"]]}
    (volume,) = parse_rest.parse_taker_volume(taker, TS_RECV, inst_id="BTC-USDT-SWAP", period="5m", contract_value=0.01)
    assert (volume.sell_volume, volume.buy_volume, volume.ts_event) == (20.0, 30.0, 1701417600000)
