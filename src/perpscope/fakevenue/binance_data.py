"""Binance USDⓈ-M candles and trading statistics, as the fake venue speaks them: the ``<symbol>@kline_1m`` stream
(closed bars only), ``GET /fapi/v1/klines``, ``/futures/data/globalLongShortAccountRatio`` and
``/futures/data/takerlongshortRatio``, in the shapes of the real API.

The records beside each rendering are what a correct collector makes of it, written from the documented
semantics, independently of the parsers under test.
"""

from __future__ import annotations

from typing import Any

import msgspec

from perpscope.fakevenue.dialect import Rendered, RestAnswer
from perpscope.fakevenue.market import CandleEvent, RatioEvent, TakerEvent
from perpscope.fakevenue.state import MarketState, window
from perpscope.models import Candle, CandleKind, LongShortRatio, RatioKind, TakerVolume

VENUE = "binance"
KLINES_PATH = "/fapi/v1/klines"
LONG_SHORT_PATH = "/futures/data/globalLongShortAccountRatio"
TAKER_PATH = "/futures/data/takerlongshortRatio"
PATHS = frozenset({KLINES_PATH, LONG_SHORT_PATH, TAKER_PATH})
MINUTE_MS = 60_000


def native(base: str) -> str:
    return f"{base.upper()}USDT"


def _common(base: str, ts: int, source: str) -> dict[str, Any]:
    return {
        "venue": VENUE,
        "symbol": f"{base.upper()}-USDT-PERP",
        "native_symbol": native(base),
        "ts_event": ts,
        "ts_recv": ts,
        "source": source,
    }


def _candle(event: CandleEvent, source: str) -> Candle:
    return Candle(
        **_common(event.base, event.ts, source),
        interval="1m",
        kind=CandleKind.LAST,
        open=event.open,
        high=event.high,
        low=event.low,
        close=event.close,
        volume=event.volume,
        quote_volume=event.quote_volume,
    )


def kline(event: CandleEvent) -> Rendered:
    """A closed bar on the kline stream (the real stream also sends the forming bar with ``x`` false)."""
    symbol = native(event.base)
    bar = {
        "t": event.ts,
        "T": event.ts + MINUTE_MS - 1,
        "s": symbol,
        "i": "1m",
        "f": 0,
        "L": 0,
        "o": str(event.open),
        "c": str(event.close),
        "h": str(event.high),
        "l": str(event.low),
        "v": str(event.volume),
        "n": 0,
        "x": True,
        "q": str(event.quote_volume),
        "V": "0",
        "Q": "0",
        "B": "0",
    }
    body = {"e": "kline", "E": event.ts + MINUTE_MS, "s": symbol, "k": bar}
    record = _candle(event, "binance ws kline")
    return Rendered(f"{symbol.lower()}@kline_1m", msgspec.json.encode(body).decode(), (record,))


def rest(path: str, query: dict[str, str], state: MarketState, page_cap: int | None) -> RestAnswer | None:
    base = query.get("symbol", "").upper().removesuffix("USDT")
    start, end = _optional_int(query.get("startTime")), _optional_int(query.get("endTime"))
    if path == KLINES_PATH:
        limit = min(int(query.get("limit", 500)), 1500, page_cap or 1500)
        return _klines(window(state.candles[base], start, end, limit))
    limit = min(int(query.get("limit", 30)), 500, page_cap or 500)
    if path == LONG_SHORT_PATH:
        return _ratios(window(state.ratios[base], start, end, limit))
    if path == TAKER_PATH:
        return _takers(window(state.takers[base], start, end, limit))
    return None


def _optional_int(text: str | None) -> int | None:
    return int(text) if text else None


def _klines(rows: list[CandleEvent]) -> RestAnswer:
    body = [
        [
            row.ts,
            str(row.open),
            str(row.high),
            str(row.low),
            str(row.close),
            str(row.volume),
            row.ts + MINUTE_MS - 1,
            str(row.quote_volume),
            0,
            "0",
            "0",
            "0",
        ]
        for row in rows
    ]
    return RestAnswer(200, body, tuple(_candle(row, f"binance rest {KLINES_PATH}") for row in rows))


def _ratios(rows: list[RatioEvent]) -> RestAnswer:
    body = [
        {
            "symbol": native(row.base),
            "longShortRatio": str(row.long_share / row.short_share) if row.short_share else "0",
            "longAccount": str(row.long_share),
            "shortAccount": str(row.short_share),
            "timestamp": row.ts,
        }
        for row in rows
    ]
    records = tuple(
        LongShortRatio(
            **_common(row.base, row.ts, f"binance rest {LONG_SHORT_PATH}"),
            kind=RatioKind.ACCOUNTS,
            period=row.period,
            long_share=row.long_share,
            short_share=row.short_share,
        )
        for row in rows
    )
    return RestAnswer(200, body, records)


def _takers(rows: list[TakerEvent]) -> RestAnswer:
    body = [
        {
            "buySellRatio": str(row.buy_volume / row.sell_volume) if row.sell_volume else "0",
            "buyVol": str(row.buy_volume),
            "sellVol": str(row.sell_volume),
            "timestamp": row.ts,
        }
        for row in rows
    ]
    records = tuple(
        TakerVolume(
            **_common(row.base, row.ts, f"binance rest {TAKER_PATH}"),
            period=row.period,
            buy_volume=row.buy_volume,
            sell_volume=row.sell_volume,
        )
        for row in rows
    )
    return RestAnswer(200, body, records)
