"""Hyperliquid parse functions, field by field, on real messages and on payloads written from the docs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from perpscope.models import FundingKind, FundingRate, OIUnit, OpenInterest, Price, PriceKind
from perpscope.venues.hyperliquid import parse

TS_RECV = 1_893_456_000_000  # 2030-01-01T00:00:00Z, after every recorded message

Tardis = Callable[[str, str, int], bytes]
Nautilus = Callable[[str], bytes]


def test_funding_history_is_hourly(nautilus: Nautilus) -> None:
    records = parse.parse_funding_history(nautilus("hyperliquid/http_funding_history.json"), TS_RECV)
    assert records[0] == FundingRate(
        venue="hyperliquid",
        symbol="BTC-USD-PERP",
        native_symbol="BTC",
        ts_event=1769908800000,
        ts_recv=TS_RECV,
        source="hyperliquid rest /info fundingHistory",
        rate=0.0000125,
        interval_h=1.0,
        kind=FundingKind.SETTLED,
        funding_time=1769908800000,
    )
    assert [(r.rate, r.funding_time) for r in records[1:]] == [(-0.0000081, 1769912400000), (0.0000033, 1769916000000)]
    assert records[0].apr == 0.0000125 * 8760  # 10.95% a year: hourly 0.00125% is the 0.01%/8 h baseline


def test_funding_history_hand_written_kpepe() -> None:
    payload = b'[{"coin": "kPEPE", "fundingRate": "-0.0000100", "premium": "-0.0005", "time": 1700000000017}]'
    (record,) = parse.parse_funding_history(payload, TS_RECV)
    assert (record.symbol, record.native_symbol, record.rate) == ("KPEPE-USD-PERP", "kPEPE", -0.00001)
    assert record.funding_time == record.ts_event == 1700000000017  # millisecond jitter kept as published


# ---------------------------------------------------------------- websocket


def test_active_asset_ctx(tardis: Tardis) -> None:
    funding, open_interest, mark, oracle = parse.parse_active_asset_ctx(
        tardis("hyperliquid.json", "messages", 6), TS_RECV
    )
    common = {
        "venue": "hyperliquid",
        "symbol": "MOODENG-USD-PERP",
        "native_symbol": "MOODENG",
        "ts_event": TS_RECV,
        "ts_recv": TS_RECV,
        "source": "hyperliquid ws activeAssetCtx",
    }
    assert funding == FundingRate(
        rate=0.00004863, interval_h=1.0, kind=FundingKind.PREDICTED, funding_time=TS_RECV + 3_600_000, **common
    )
    assert open_interest == OpenInterest(
        oi_base=18617460.0,
        oi_usd=18617460.0 * 0.19963,
        reported=OIUnit.BASE,
        conversion_price=0.19963,
        **common,
    )
    assert open_interest.oi_usd == pytest.approx(3716603.54)
    assert mark == Price(kind=PriceKind.MARK, price=0.19963, **common)
    assert oracle == Price(kind=PriceKind.INDEX, price=0.1995, **common)


def test_active_asset_ctx_funding_settles_at_the_next_whole_hour() -> None:
    payload = {
        "channel": "activeAssetCtx",
        "data": {
            "coin": "BTC",
            "ctx": {
                "funding": "0.0000125",
                "openInterest": "27353.17682",
                "markPx": "77562.0",
                "oraclePx": "77605.0",
                "premium": None,
                "midPx": None,
                "impactPxs": None,
                "prevDayPx": "76317.0",
                "dayNtlVlm": "1.0",
            },
        },
    }
    funding = parse.parse_active_asset_ctx(payload, 1_769_908_812_345)[0]
    assert isinstance(funding, FundingRate)
    assert (funding.funding_time, funding.ts_event) == (1_769_911_200_000, 1_769_908_812_345)


def test_spot_context_and_other_channels_yield_nothing(tardis: Tardis) -> None:
    assert parse.parse_active_asset_ctx(tardis("hyperliquid.json", "messages", 7), TS_RECV) == []
    kinds = [
        type(record).__name__
        for position in range(10)
        for record in parse.parse_message(tardis("hyperliquid.json", "messages", position), TS_RECV)
    ]
    assert kinds == ["FundingRate", "OpenInterest", "Price", "Price"]
    assert parse.parse_message(b'{"channel": "pong"}', TS_RECV) == []


def test_trades(tardis: Tardis) -> None:
    first, second, third = parse.parse_trades(tardis("hyperliquid.json", "messages", 2), TS_RECV)
    assert first == parse.Trade(
        coin="BTC",
        side="B",
        price=69997.0,
        size=0.38111,
        time=1730160006192,
        hash="0x40d169aa50ad8a32b44a04156eee0201d8002e5c6456b7c1ae175e381f73f9dd",
        tid=1016375172059570,
    )
    assert [(t.size, t.tid) for t in (second, third)] == [(0.33458, 479312521152049), (0.83613, 229986151112628)]
    (fxs,) = parse.parse_trades(tardis("hyperliquid.json", "messages", 0), TS_RECV)
    assert (fxs.coin, fxs.side, fxs.price, fxs.size, fxs.time) == ("FXS", "A", 1.9008, 10.5, 1730160015113)
