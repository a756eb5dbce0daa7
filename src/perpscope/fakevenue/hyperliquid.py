"""Hyperliquid, as the fake venue speaks it: ``method``/``subscription`` requests, ``activeAssetCtx`` pushes (sent
at once on subscribing, then on every change) and the POST ``/info`` query endpoint for funding history and
``meta`` (the universe with its ``marginTables``).

``meta`` serves each base's published tiers (``MarginTiersEvent``) as a margin table of ``lowerBound`` and
``maxLeverage``; a base with none gets ``DEFAULT_TIERS``, the shipped BTC table (40x to $150M, 20x beyond). A
table carries no rates: the venue's rule (half the initial margin at the tier's max leverage) gives them.

Asset contexts carry no venue time, so a collector stamps them with their receipt time: the records beside each
rendering hold the event's time in its place, and tests compare their values rather than their keys.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from perpscope.analytics.liquidation import HYPERLIQUID_BTC
from perpscope.fakevenue.dialect import Rendered, RestAnswer, RestRequest
from perpscope.fakevenue.market import CandleEvent, Event, FundingSettlement, MarkEvent, OpenInterestEvent
from perpscope.fakevenue.state import MarketState, window
from perpscope.models import (
    Candle,
    CandleKind,
    FundingKind,
    FundingRate,
    Instrument,
    MarginBracket,
    OIUnit,
    OpenInterest,
    Price,
    PriceKind,
    Record,
)

VENUE = "hyperliquid"
INFO_PATH = "/info"
PAGE = 500
MINUTE_MS = 60_000
CONTEXT_SOURCE = "hyperliquid ws activeAssetCtx"
META_SOURCE = "hyperliquid rest /info meta"
DEFAULT_TIERS: tuple[MarginBracket, ...] = HYPERLIQUID_BTC.brackets
FIRST_TABLE_ID = 50  # ids below are flat tables that meta never lists


def _common(base: str, ts: int, source: str) -> dict[str, Any]:
    return {
        "venue": VENUE,
        "symbol": f"{base.upper()}-USD-PERP",
        "native_symbol": base.upper(),
        "ts_event": ts,
        "ts_recv": ts,
        "source": source,
    }


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode()


class HyperliquidDialect:
    venue = VENUE
    needs_post = True

    def initial_streams(self, path: str) -> tuple[frozenset[str], bool]:
        return frozenset(), False

    def on_message(self, text: str) -> tuple[frozenset[str], tuple[str, ...]]:
        try:
            request = msgspec.json.decode(text)
        except msgspec.DecodeError:
            return frozenset(), (_json({"channel": "error", "data": f"Invalid request: {text}"}),)
        if request.get("method") == "ping":
            return frozenset(), (_json({"channel": "pong"}),)
        if request.get("method") != "subscribe":
            return frozenset(), ()
        subscription = request.get("subscription", {})
        stream = f"{subscription.get('type')}:{subscription.get('coin')}"
        reply = {"channel": "subscriptionResponse", "data": {"method": "subscribe", "subscription": subscription}}
        return frozenset({stream}), (_json(reply),)

    def on_subscribe(self, streams: frozenset[str], state: MarketState, now: int) -> list[Rendered]:
        """A context subscription is answered at once with the current context."""
        return [
            self._context(mark, _latest_oi(state, base))
            for base, mark in state.marks.items()
            if f"activeAssetCtx:{base.upper()}" in streams
        ]

    def wrap(self, stream: str, payload: str, wrapped: bool) -> str:
        return payload

    def __init__(self) -> None:
        self._open_interest: dict[str, OpenInterestEvent] = {}

    def render(self, event: Event) -> list[Rendered]:
        if isinstance(event, OpenInterestEvent):
            self._open_interest[event.base] = event  # it travels inside the next context
        if isinstance(event, MarkEvent):
            return [self._context(event, self._open_interest.get(event.base))]
        return []  # no liquidation feed; settled funding through /info

    def malformed(self, stream: str, number: int) -> str:
        if number % 2:
            return '{"channel":"activeAssetCtx","data":{"coin":"BTC","ctx":{"funding":'
        context = {"funding": "0.00001", "openInterest": "lots", "markPx": "1", "oraclePx": "1"}
        return _json({"channel": "activeAssetCtx", "data": {"coin": "BTC", "ctx": context}})

    def _context(self, mark: MarkEvent, oi: OpenInterestEvent | None) -> Rendered:
        open_interest = oi.oi_base if oi is not None else 1_000.0
        context = {
            "funding": str(mark.funding_rate),
            "openInterest": str(open_interest),
            "prevDayPx": str(mark.mark),
            "dayNtlVlm": "1000000.0",
            "premium": "0.0001",
            "oraclePx": str(mark.index),
            "markPx": str(mark.mark),
            "midPx": str(mark.mark),
            "impactPxs": [str(mark.mark - 1), str(mark.mark + 1)],
            "dayBaseVlm": "100.0",
        }
        body = {"channel": "activeAssetCtx", "data": {"coin": mark.base.upper(), "ctx": context}}
        common = _common(mark.base, mark.ts, CONTEXT_SOURCE)
        records: tuple[Record, ...] = (
            FundingRate(**common, rate=mark.funding_rate, interval_h=1.0, kind=FundingKind.PREDICTED, funding_time=0),
            OpenInterest(
                **common,
                oi_base=open_interest,
                oi_usd=open_interest * mark.mark,
                reported=OIUnit.BASE,
                conversion_price=mark.mark,
            ),
            Price(**common, kind=PriceKind.MARK, price=mark.mark),
            Price(**common, kind=PriceKind.INDEX, price=mark.index),
        )
        return Rendered(f"activeAssetCtx:{mark.base.upper()}", _json(body), records)

    def rest(self, request: RestRequest, state: MarketState) -> RestAnswer | None:
        if request.path != INFO_PATH or request.method != "POST" or not isinstance(request.body, dict):
            return None
        if request.body.get("type") == "meta":
            return _meta(state)
        if request.body.get("type") == "candleSnapshot":
            return _candle_snapshot(request.body.get("req"), state)
        if request.body.get("type") != "fundingHistory":
            return RestAnswer(422, {"error": f"unsupported type {request.body.get('type')!r}"}, ())
        base = str(request.body.get("coin", "")).upper()
        start, end = request.body.get("startTime"), request.body.get("endTime")
        return _funding_history(window(state.funding[base], start, end, PAGE))


def _meta(state: MarketState) -> RestAnswer:
    """Every base the market knows of, each on a table of its own (ids from 50, in base order)."""
    bases = sorted({*state.marks, *state.tiers, *(base for base, rows in state.funding.items() if rows)})
    tables = {base: state.tiers.get(base) or DEFAULT_TIERS for base in bases}
    universe = [
        {"name": base.upper(), "szDecimals": 5, "maxLeverage": tables[base][0].max_leverage,
         "marginTableId": FIRST_TABLE_ID + number}
        for number, base in enumerate(bases)
    ]  # fmt: skip
    margin_tables = [
        [FIRST_TABLE_ID + number, {"description": "", "marginTiers": [_tier(tier) for tier in tables[base]]}]
        for number, base in enumerate(bases)
    ]
    records = tuple(_instrument(base, tables[base]) for base in bases)
    return RestAnswer(200, {"universe": universe, "marginTables": margin_tables}, records)


def _tier(tier: MarginBracket) -> dict[str, Any]:
    return {"lowerBound": str(tier.floor), "maxLeverage": tier.max_leverage}


def _instrument(base: str, tiers: tuple[MarginBracket, ...]) -> Instrument:
    """The instrument as a collector stores it: each tier up to the next one's floor, the rate half the initial
    margin at the tier's max leverage, the deduction keeping maintenance continuous."""
    brackets = []
    rate = amount = 0.0
    for number, tier in enumerate(tiers):
        cap = tiers[number + 1].floor if number + 1 < len(tiers) else math.inf
        amount += tier.floor * (1 / (2 * tier.max_leverage) - rate)
        rate = 1 / (2 * tier.max_leverage)
        brackets.append(
            MarginBracket(
                floor=tier.floor, cap=cap, max_leverage=tier.max_leverage, mmr=rate, maintenance_amount=amount
            )
        )
    return Instrument(
        **_common(base, 0, META_SOURCE),
        base=base.upper(),
        quote="USD",
        settle="USDC",
        tick_size=None,
        funding_interval_h=1.0,
        margin_brackets=tuple(brackets),
    )


def _latest_oi(state: MarketState, base: str) -> OpenInterestEvent | None:
    history = state.open_interest.get(base)
    return history[-1] if history else None


def _funding_history(rows: list[FundingSettlement]) -> RestAnswer:
    body = [{"coin": row.base.upper(), "fundingRate": str(row.rate), "premium": "0.0", "time": row.ts} for row in rows]
    source = "hyperliquid rest /info fundingHistory"
    records = tuple(
        FundingRate(
            **_common(row.base, row.ts, source),
            rate=row.rate,
            interval_h=1.0,
            kind=FundingKind.SETTLED,
            funding_time=row.ts,
        )
        for row in rows
    )
    return RestAnswer(200, body, records)


def _candle_snapshot(request: object, state: MarketState) -> RestAnswer:
    """Closed 1-minute bars from ``startTime`` to ``endTime``, oldest first, ``PAGE`` at most (no other interval)."""
    if not isinstance(request, dict) or request.get("interval") != "1m":
        return RestAnswer(422, {"error": "candleSnapshot needs req.coin, req.interval 1m, req.startTime"}, ())
    base = str(request.get("coin", "")).upper()
    rows = window(state.candles[base], request.get("startTime"), request.get("endTime"), PAGE)
    body = [
        {"t": row.ts, "T": row.ts + MINUTE_MS - 1, "s": base, "i": "1m", "o": str(row.open), "c": str(row.close),
         "h": str(row.high), "l": str(row.low), "v": str(row.volume), "n": 0}
        for row in rows
    ]  # fmt: skip
    return RestAnswer(200, body, tuple(_candle(row) for row in rows))


def _candle(row: CandleEvent) -> Candle:
    return Candle(
        **_common(row.base, row.ts, "hyperliquid rest /info candleSnapshot"),
        interval="1m",
        kind=CandleKind.LAST,
        open=row.open,
        high=row.high,
        low=row.low,
        close=row.close,
        volume=row.volume,
    )
