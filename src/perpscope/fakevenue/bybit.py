"""Bybit v5 linear, as the fake venue speaks it: ``op`` requests, ``tickers`` snapshot + deltas, ``allLiquidation``
batches, and the ``retCode``/``result.list`` REST envelope with history newest first: settled funding, open
interest, 1-minute klines and the account ratio, plus ``instruments-info`` and ``risk-limit`` (15 symbols a page
behind a cursor when no symbol is asked). The risk-limit tiers are those published for the base
(``MarginTiersEvent``); a base with none gets ``DEFAULT_TIERS``, the shipped Bybit BTCUSDT table (METHOD.md §3).

The records beside each rendering are what a correct collector makes of it, written from the documented
semantics, independently of the parsers under test.
"""

from __future__ import annotations

from typing import Any

import msgspec

from perpscope.analytics.liquidation import BYBIT_BTCUSDT
from perpscope.fakevenue.dialect import Rendered, RestAnswer, RestRequest
from perpscope.fakevenue.market import (
    CandleEvent,
    Event,
    FundingSettlement,
    LiquidationEvent,
    MarkEvent,
    OpenInterestEvent,
    RatioEvent,
)
from perpscope.fakevenue.state import MarketState, window
from perpscope.models import (
    Candle,
    CandleKind,
    FundingKind,
    FundingRate,
    Instrument,
    Liquidation,
    LongShortRatio,
    MarginBracket,
    OIUnit,
    OpenInterest,
    Price,
    PriceKind,
    RatioKind,
    Record,
    Side,
)

VENUE = "bybit"
FUNDING_PATH = "/v5/market/funding/history"
OPEN_INTEREST_PATH = "/v5/market/open-interest"
INSTRUMENTS_PATH = "/v5/market/instruments-info"
RISK_LIMIT_PATH = "/v5/market/risk-limit"
KLINE_PATH = "/v5/market/kline"
ACCOUNT_RATIO_PATH = "/v5/market/account-ratio"
DEFAULT_TIERS: tuple[MarginBracket, ...] = BYBIT_BTCUSDT.brackets
TICK_SIZE = 0.1
RISK_LIMIT_SYMBOLS_PER_PAGE = 15
# path -> (default, largest) page size, as the docs give them
_PAGE_SIZES = {FUNDING_PATH: (200, 200), OPEN_INTEREST_PATH: (200, 200), KLINE_PATH: (200, 1000)}
_PAGE_SIZES[ACCOUNT_RATIO_PATH] = (50, 500)
_RATIO_PERIODS = {"5min": "5m", "15min": "15m", "30min": "30m", "1h": "1h", "4h": "4h", "1d": "1d"}
INTERVAL_H = 8.0
TICKERS_SOURCE = "bybit ws tickers"


def native(base: str) -> str:
    return f"{base.upper()}USDT"


def _common(base: str, ts: int, source: str) -> dict[str, Any]:
    symbol = f"{base.upper()}-USDT-PERP"
    return {
        "venue": VENUE,
        "symbol": symbol,
        "native_symbol": native(base),
        "ts_event": ts,
        "ts_recv": ts,
        "source": source,
    }


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode()


class BybitDialect:
    venue = VENUE
    needs_post = False

    def __init__(self, page_cap: int | None = None):
        self.page_cap = page_cap

    # -- websocket -----------------------------------------------------------------------------------------

    def initial_streams(self, path: str) -> tuple[frozenset[str], bool]:
        return frozenset(), False  # topics come with subscribe requests

    def on_message(self, text: str) -> tuple[frozenset[str], tuple[str, ...]]:
        try:
            request = msgspec.json.decode(text)
        except msgspec.DecodeError:
            return frozenset(), (_json({"success": False, "ret_msg": "invalid json", "op": ""}),)
        operation = request.get("op", "")
        reply = {"success": True, "ret_msg": "pong" if operation == "ping" else "", "conn_id": "fake", "op": operation}
        added = frozenset(request.get("args", [])) if operation == "subscribe" else frozenset()
        return added, (_json(reply),)

    def on_subscribe(self, streams: frozenset[str], state: MarketState, now: int) -> list[Rendered]:
        """A ``tickers`` subscription starts with a snapshot of every field."""
        frames = []
        for base, mark in state.marks.items():
            topic = f"tickers.{native(base)}"
            if topic in streams:
                latest_oi = state.open_interest[base][-1] if state.open_interest.get(base) else None
                frames.append(self._snapshot(topic, mark, latest_oi, now))
        return frames

    def wrap(self, stream: str, payload: str, wrapped: bool) -> str:
        return payload

    def render(self, event: Event) -> list[Rendered]:
        if isinstance(event, LiquidationEvent):
            return [self._liquidation(event)]
        if isinstance(event, MarkEvent):
            return [self._mark_delta(event)]
        if isinstance(event, OpenInterestEvent):
            return [self._open_interest_delta(event)]
        return []  # settlements reach clients through REST history only

    def malformed(self, stream: str, number: int) -> str:
        if number % 2:
            return '{"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":'
        row = {"T": 1, "s": "BTCUSDT", "S": "Buy", "v": "many", "p": "1"}
        return _json({"topic": "allLiquidation.BTCUSDT", "type": "snapshot", "ts": 1, "data": [row]})

    def _liquidation(self, event: LiquidationEvent) -> Rendered:
        topic = f"allLiquidation.{native(event.base)}"
        side = "Buy" if event.side is Side.LONG else "Sell"  # the liquidated position's side
        row = {"T": event.ts, "s": native(event.base), "S": side, "v": str(event.quantity), "p": str(event.price)}
        record = Liquidation(
            **_common(event.base, event.ts, "bybit ws allLiquidation"),
            side=event.side,
            price=event.price,
            quantity=event.quantity,
            notional_usd=event.quantity * event.price,
            complete=True,
        )
        body = {"topic": topic, "type": "snapshot", "ts": event.ts + 2, "data": [row]}
        return Rendered(topic, _json(body), (record,))

    def _mark_delta(self, event: MarkEvent) -> Rendered:
        fields = _mark_fields(event)
        topic = f"tickers.{native(event.base)}"
        body = {"topic": topic, "type": "delta", "data": fields, "cs": 1, "ts": event.ts}
        return Rendered(topic, _json(body), _mark_records(event, event.ts))

    def _open_interest_delta(self, event: OpenInterestEvent) -> Rendered:
        fields = {"symbol": native(event.base), **_open_interest_fields(event)}
        topic = f"tickers.{native(event.base)}"
        body = {"topic": topic, "type": "delta", "data": fields, "cs": 1, "ts": event.ts}
        return Rendered(topic, _json(body), (_open_interest_record(event, event.ts, TICKERS_SOURCE),))

    def _snapshot(self, topic: str, mark: MarkEvent, oi: OpenInterestEvent | None, now: int) -> Rendered:
        fields = {**_mark_fields(mark), "lastPrice": str(mark.mark), "volume24h": "1000"}
        records: list[Record] = list(_mark_records(mark, now))
        if oi is not None:
            fields |= _open_interest_fields(oi)
            records.append(_open_interest_record(oi, now, TICKERS_SOURCE))
        body = {"topic": topic, "type": "snapshot", "data": fields, "cs": 1, "ts": now}
        return Rendered(topic, _json(body), tuple(records))

    # -- REST ----------------------------------------------------------------------------------------------

    def rest(self, request: RestRequest, state: MarketState) -> RestAnswer | None:
        path, query = request.path, request.query
        base = query.get("symbol", "").upper().removesuffix("USDT")
        if path == INSTRUMENTS_PATH:
            return _instruments(_bases(state, base), state)
        if path == RISK_LIMIT_PATH:
            return _risk_limits(_bases(state, base), state, int(query.get("cursor") or 0))
        kline = path == KLINE_PATH  # the kline endpoints name their range start/end
        start = _optional_int(query.get("start" if kline else "startTime"))
        end = _optional_int(query.get("end" if kline else "endTime"))
        default, largest = _PAGE_SIZES.get(path, (200, 200))
        limit = min(int(query.get("limit", default)), largest, self.page_cap or largest)
        if path == FUNDING_PATH:
            return _funding_history(window(state.funding[base], start, end, limit, newest_first=True))
        if path == OPEN_INTEREST_PATH:
            return _open_interest_history(base, window(state.open_interest[base], start, end, limit, newest_first=True))
        if path == KLINE_PATH:
            if query.get("interval") != "1":
                return RestAnswer(200, _refusal(10001, "the fake venue serves 1-minute klines only"), ())
            return _klines(base, window(state.candles[base], start, end, limit, newest_first=True))
        if path == ACCOUNT_RATIO_PATH:
            period = _RATIO_PERIODS.get(query.get("period", ""), "")
            rows = [row for row in state.ratios[base] if row.period == period]
            return _account_ratio(window(rows, start, end, limit, newest_first=True))
        return None


def _bases(state: MarketState, asked: str) -> list[str]:
    """The asked base, or every base the market knows of (sorted: pages must be stable)."""
    return [asked] if asked else sorted({*state.marks, *state.tiers, *state.candles})


def tiers_of(state: MarketState, base: str) -> tuple[MarginBracket, ...]:
    return state.tiers.get(base) or DEFAULT_TIERS


def _instruments(bases: list[str], state: MarketState) -> RestAnswer:
    listed = [
        {
            "symbol": native(base),
            "contractType": "LinearPerpetual",
            "status": "Trading",
            "baseCoin": base,
            "quoteCoin": "USDT",
            "settleCoin": "USDT",
            "fundingInterval": round(INTERVAL_H * 60),
            "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": str(TICK_SIZE)},
            "leverageFilter": {"minLeverage": "1", "maxLeverage": str(tiers_of(state, base)[0].max_leverage)},
        }
        for base in bases
    ]
    source = f"bybit rest {INSTRUMENTS_PATH}"
    records = tuple(
        Instrument(
            **_common(base, 0, source),
            base=base,
            quote="USDT",
            settle="USDT",
            tick_size=TICK_SIZE,
            funding_interval_h=INTERVAL_H,
            margin_brackets=tiers_of(state, base),
        )
        for base in bases
    )
    result = {"category": "linear", "list": listed, "nextPageCursor": ""}
    return RestAnswer(200, _envelope(result), records)  # each instrument with the tiers risk-limit serves


def _risk_limits(bases: list[str], state: MarketState, cursor: int) -> RestAnswer:
    page = bases[cursor : cursor + RISK_LIMIT_SYMBOLS_PER_PAGE]
    following = cursor + RISK_LIMIT_SYMBOLS_PER_PAGE
    listed = [_tier_row(base, number, tier) for base in page for number, tier in enumerate(tiers_of(state, base), 1)]
    result = {"category": "linear", "list": listed, "nextPageCursor": str(following) if following < len(bases) else ""}
    return RestAnswer(200, _envelope(result), ())  # stored with the instrument, not on their own


def _tier_row(base: str, number: int, tier: MarginBracket) -> dict[str, Any]:
    return {
        "id": number,
        "symbol": native(base),
        "riskLimitValue": str(tier.cap),
        "maintenanceMargin": str(tier.mmr),
        "initialMargin": str(1 / tier.max_leverage),
        "isLowestRisk": 1 if number == 1 else 0,
        "maxLeverage": str(tier.max_leverage),
        "mmDeduction": str(tier.maintenance_amount),
    }


def _klines(base: str, bars: list[CandleEvent]) -> RestAnswer:
    listed = [
        [
            str(bar.ts),
            str(bar.open),
            str(bar.high),
            str(bar.low),
            str(bar.close),
            str(bar.volume),
            str(bar.quote_volume),
        ]
        for bar in bars
    ]
    source = f"bybit rest {KLINE_PATH}"
    records = tuple(
        Candle(
            **_common(bar.base, bar.ts, source),
            interval="1m",
            kind=CandleKind.LAST,
            open=bar.open,
            high=bar.high,
            low=bar.low,
            close=bar.close,
            volume=bar.volume,
            quote_volume=bar.quote_volume,
        )
        for bar in bars
    )
    return RestAnswer(200, _envelope({"symbol": native(base), "category": "linear", "list": listed}), records)


def _account_ratio(rows: list[RatioEvent]) -> RestAnswer:
    listed = [
        {"symbol": native(row.base), "buyRatio": str(row.long_share), "sellRatio": str(row.short_share),
         "timestamp": str(row.ts)}
        for row in rows
    ]  # fmt: skip
    source = f"bybit rest {ACCOUNT_RATIO_PATH}"
    records = tuple(
        LongShortRatio(
            **_common(row.base, row.ts, source),
            kind=RatioKind.ACCOUNTS,
            period=row.period,
            long_share=row.long_share,
            short_share=row.short_share,
        )
        for row in rows
    )
    return RestAnswer(200, _envelope({"list": listed, "nextPageCursor": ""}), records)


def _refusal(code: int, message: str) -> dict[str, Any]:
    return {"retCode": code, "retMsg": message, "result": {}, "retExtInfo": {}, "time": 0}


def _funding_history(rows: list[FundingSettlement]) -> RestAnswer:
    listed = [
        {"symbol": native(row.base), "fundingRate": str(row.rate), "fundingRateTimestamp": str(row.ts)} for row in rows
    ]
    source = f"bybit rest {FUNDING_PATH}"
    records = tuple(
        FundingRate(
            **_common(row.base, row.ts, source),
            rate=row.rate,
            interval_h=INTERVAL_H,
            kind=FundingKind.SETTLED,
            funding_time=row.ts,
        )
        for row in rows
    )
    return RestAnswer(200, _envelope({"category": "linear", "list": listed}), records)


def _open_interest_history(base: str, points: list[OpenInterestEvent]) -> RestAnswer:
    listed = [{"openInterest": str(point.oi_base), "timestamp": str(point.ts)} for point in points]
    source = f"bybit rest {OPEN_INTEREST_PATH}"
    result = {"symbol": native(base), "category": "linear", "list": listed, "nextPageCursor": ""}
    records = tuple(_open_interest_record(point, point.ts, source, value=False) for point in points)
    return RestAnswer(200, _envelope(result), records)


def _envelope(result: dict[str, Any]) -> dict[str, Any]:
    return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": 0}


def _optional_int(text: str | None) -> int | None:
    return int(text) if text else None


def _mark_fields(event: MarkEvent) -> dict[str, str]:
    return {
        "symbol": native(event.base),
        "markPrice": str(event.mark),
        "indexPrice": str(event.index),
        "fundingRate": str(event.funding_rate),
        "nextFundingTime": str(event.next_funding_time),
    }


def _mark_records(event: MarkEvent, ts: int) -> tuple[Record, ...]:
    common = _common(event.base, ts, TICKERS_SOURCE)
    funding = FundingRate(
        **common, rate=event.funding_rate, interval_h=INTERVAL_H, kind=FundingKind.PREDICTED,
        funding_time=event.next_funding_time,
    )  # fmt: skip
    return (
        funding,
        Price(**common, kind=PriceKind.MARK, price=event.mark),
        Price(**common, kind=PriceKind.INDEX, price=event.index),
    )


def _open_interest_fields(event: OpenInterestEvent) -> dict[str, str]:
    return {"openInterest": str(event.oi_base), "openInterestValue": str(event.oi_base * event.price)}


def _open_interest_record(event: OpenInterestEvent, ts: int, source: str, *, value: bool = True) -> OpenInterest:
    """Tickers carry the USD value too; the history endpoint gives coins only."""
    return OpenInterest(
        **_common(event.base, ts, source),
        oi_base=event.oi_base,
        oi_usd=event.oi_base * event.price if value else None,
        reported=OIUnit.BASE,
        conversion_price=event.price if value else None,
    )
