"""Binance USDⓈ-M candles, trading statistics and reference data, as the fake venue speaks them: the
``<symbol>@kline_1m`` stream (closed bars only), ``GET /fapi/v1/klines``, ``/futures/data/globalLongShortAccountRatio``,
``/futures/data/takerlongshortRatio``, ``/fapi/v1/exchangeInfo``, ``/fapi/v1/fundingInfo`` and the signed
``/fapi/v1/leverageBracket`` (HMAC-SHA256 signature checked against the secret the venue was given), in the shapes
of the real API.

The records beside each rendering are what a correct collector makes of it, written from the documented
semantics, independently of the parsers under test.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import msgspec

from perpscope.fakevenue.dialect import Rendered, RestAnswer
from perpscope.fakevenue.market import CandleEvent, RatioEvent, TakerEvent
from perpscope.fakevenue.state import MarketState, window
from perpscope.models import Candle, CandleKind, LongShortRatio, MarginBracket, RatioKind, TakerVolume

VENUE = "binance"
KLINES_PATH = "/fapi/v1/klines"
MARK_KLINES_PATH = "/fapi/v1/markPriceKlines"
LONG_SHORT_PATH = "/futures/data/globalLongShortAccountRatio"
TAKER_PATH = "/futures/data/takerlongshortRatio"
PATHS = frozenset({KLINES_PATH, MARK_KLINES_PATH, LONG_SHORT_PATH, TAKER_PATH})
EXCHANGE_INFO_PATH = "/fapi/v1/exchangeInfo"
FUNDING_INFO_PATH = "/fapi/v1/fundingInfo"
LEVERAGE_BRACKET_PATH = "/fapi/v1/leverageBracket"
TIME_PATH = "/fapi/v1/time"
REFERENCE_PATHS = frozenset({EXCHANGE_INFO_PATH, FUNDING_INFO_PATH, LEVERAGE_BRACKET_PATH, TIME_PATH})
LISTED = ("BTC", "ETH")  # listed whatever the market played; bases with marks or tiers are listed too
MINUTE_MS = 60_000
# Served for a base no MarginTiersEvent was published for: METHOD.md's BTCUSDT brackets 1-3 (snapshot 2024-10-24),
# notional in USD, cum in USD; a fake venue's default, not a live table.
DEFAULT_BRACKETS = tuple(
    MarginBracket(floor=floor, cap=cap, max_leverage=leverage, mmr=rate, maintenance_amount=amount)
    for floor, cap, leverage, rate, amount in (
        (0.0, 50_000.0, 125.0, 0.004, 0.0),
        (50_000.0, 600_000.0, 100.0, 0.005, 50.0),
        (600_000.0, 3_000_000.0, 75.0, 0.0065, 950.0),
    )
)


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
    if path == MARK_KLINES_PATH:
        limit = min(int(query.get("limit", 500)), 1500, page_cap or 1500)
        return _klines(window(state.mark_bars[base], start, end, limit), CandleKind.MARK)
    limit = min(int(query.get("limit", 30)), 500, page_cap or 500)
    if path == LONG_SHORT_PATH:
        return _ratios(window(state.ratios[base], start, end, limit))
    if path == TAKER_PATH:
        return _takers(window(state.takers[base], start, end, limit))
    return None


def _optional_int(text: str | None) -> int | None:
    return int(text) if text else None


def _klines(rows: list[CandleEvent], kind: CandleKind = CandleKind.LAST) -> RestAnswer:
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
    if kind is CandleKind.MARK:
        source = f"binance rest {MARK_KLINES_PATH}"
        return RestAnswer(200, body, tuple(_mark_candle(row, source) for row in rows))
    return RestAnswer(200, body, tuple(_candle(row, f"binance rest {KLINES_PATH}") for row in rows))


def _mark_candle(row: CandleEvent, source: str) -> Candle:
    """Mark-price bars carry no volume."""
    return msgspec.structs.replace(_candle(row, source), kind=CandleKind.MARK, volume=None, quote_volume=None)


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


# -- reference data ----------------------------------------------------------------------------------------------


def reference(path: str, query: Mapping[str, str], state: MarketState, secret: str | None) -> RestAnswer:
    """Reference data, compared by the tests, not ledgered as market data."""
    listed = sorted({*LISTED, *state.marks, *state.tiers})
    if path == TIME_PATH:
        return RestAnswer(200, {"serverTime": _now_ms()}, ())
    if path == FUNDING_INFO_PATH:
        return RestAnswer(200, [], ())  # only symbols with an adjusted interval or cap are listed: none here
    if path == EXCHANGE_INFO_PATH:
        return RestAnswer(
            200, {"timezone": "UTC", "serverTime": _now_ms(), "symbols": [_listing(b) for b in listed]}, ()
        )
    refused = _refused(query, secret)
    if refused is not None:
        return refused
    asked = query.get("symbol")
    if asked is None:
        return RestAnswer(200, [_brackets(base, state) for base in listed], ())
    base = asked.upper().removesuffix("USDT")
    if base not in listed:
        return RestAnswer(400, {"code": -1121, "msg": "Invalid symbol."}, ())
    return RestAnswer(200, _brackets(base, state), ())  # one symbol asked: one object, not a list


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _refused(query: Mapping[str, str], secret: str | None) -> RestAnswer | None:
    """Binance's answers to an unsigned, wrongly signed or stale USER_DATA request (the header is not seen here)."""
    if secret is None:
        return RestAnswer(401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}, ())
    given = query.get("signature", "")
    if not given:
        message = "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."
        return RestAnswer(400, {"code": -1102, "msg": message}, ())
    unsigned = urlencode([(name, value) for name, value in query.items() if name != "signature"])
    expected = hmac.new(secret.encode(), unsigned.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given, expected):
        return RestAnswer(400, {"code": -1022, "msg": "Signature for this request is not valid."}, ())
    sent, window = int(query.get("timestamp", "0")), int(query.get("recvWindow", "5000"))
    if not -1_000 <= _now_ms() - sent <= window:
        return RestAnswer(400, {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}, ())
    return None


def _listing(base: str) -> dict[str, Any]:
    return {
        "symbol": native(base),
        "pair": native(base),
        "contractType": "PERPETUAL",
        "status": "TRADING",
        "baseAsset": base,
        "quoteAsset": "USDT",
        "marginAsset": "USDT",
        "filters": [{"filterType": "PRICE_FILTER", "minPrice": "0.10", "maxPrice": "4529764", "tickSize": "0.10"}],
    }


def _brackets(base: str, state: MarketState) -> dict[str, Any]:
    tiers = state.tiers.get(base) or DEFAULT_BRACKETS
    rows = [
        {
            "bracket": number,
            "initialLeverage": round(tier.max_leverage),
            "notionalCap": tier.cap,
            "notionalFloor": tier.floor,
            "maintMarginRatio": tier.mmr,
            "cum": tier.maintenance_amount,
        }
        for number, tier in enumerate(tiers, start=1)
    ]
    return {"symbol": native(base), "brackets": rows}
