"""Binance USDⓈ-M, as the fake venue speaks it: stream names, message shapes and REST parameters of the real API.

Each rendering also returns the records a correct collector makes of it, for the ledger; they are written here
from the documented semantics, independently of the parsers under test.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec

from perpscope.fakevenue import binance_data
from perpscope.fakevenue.dialect import Rendered, RestAnswer, RestRequest
from perpscope.fakevenue.market import (
    CandleEvent,
    Event,
    FundingSettlement,
    LiquidationEvent,
    MarkEvent,
    OpenInterestEvent,
)
from perpscope.fakevenue.state import MarketState, window
from perpscope.models import FundingKind, FundingRate, Liquidation, OIUnit, OpenInterest, Price, PriceKind, Side

VENUE = "binance"
FUNDING_PATH = "/fapi/v1/fundingRate"
OPEN_INTEREST_PATH = "/fapi/v1/openInterest"
OPEN_INTEREST_HIST_PATH = "/futures/data/openInterestHist"
INTERVAL_H = 8.0
ALL_LIQUIDATIONS_STREAM = "!forceOrder@arr"


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


class BinanceDialect:
    venue = VENUE
    needs_post = False

    def __init__(self, page_cap: int | None = None, api_secret: str | None = None):
        self.page_cap = page_cap  # fewer rows per page than asked for, to make callers page (None: as documented)
        self.api_secret = api_secret  # checks the signature of USER_DATA requests; None refuses them
        # Rendered only once a client asked for it (frames go to subscribers only, so this changes no delivery):
        # a caller rendering events itself sees one frame per liquidation.
        self.all_liquidations_asked = False

    # -- websocket -----------------------------------------------------------------------------------------

    def initial_streams(self, path: str) -> tuple[frozenset[str], bool]:
        """Streams named in the connection path, and whether messages are wrapped (combined streams)."""
        parts = urlsplit(path)
        if parts.path == "/stream":
            names = parse_qs(parts.query).get("streams", [""])[0]
            return self._asked(frozenset(name for name in names.split("/") if name)), True
        if parts.path.startswith("/ws/"):
            return self._asked(frozenset(parts.path[len("/ws/") :].split("/"))), False
        return frozenset(), False

    def _asked(self, streams: frozenset[str]) -> frozenset[str]:
        self.all_liquidations_asked |= ALL_LIQUIDATIONS_STREAM in streams
        return streams

    def on_message(self, text: str) -> tuple[frozenset[str], tuple[str, ...]]:
        """A client's SUBSCRIBE request: the streams it adds and the venue's reply."""
        try:
            request = msgspec.json.decode(text)
        except msgspec.DecodeError:
            return frozenset(), ('{"code": 3, "msg": "Invalid JSON"}',)
        if request.get("method") == "SUBSCRIBE":
            reply = {"result": None, "id": request.get("id")}
            return self._asked(frozenset(request.get("params", []))), (msgspec.json.encode(reply).decode(),)
        return frozenset(), ()

    def on_subscribe(self, streams: frozenset[str], state: MarketState, now: int) -> list[Rendered]:
        return []  # Binance streams have no snapshots

    def wrap(self, stream: str, payload: str, wrapped: bool) -> str:
        return f'{{"stream":"{stream}","data":{payload}}}' if wrapped else payload

    def render(self, event: Event) -> list[Rendered]:
        if isinstance(event, LiquidationEvent):
            rendered = self._force_order(event)
            if not self.all_liquidations_asked:
                return [rendered]
            # The all-market stream pushes the same event, one message per liquidation (not an array).
            return [rendered, Rendered(ALL_LIQUIDATIONS_STREAM, rendered.payload, rendered.records)]
        if isinstance(event, MarkEvent):
            return [self._mark_price(event)]
        if isinstance(event, CandleEvent):
            return [binance_data.kline(event)]
        return []  # funding settlements, open interest and the statistics are REST-only on Binance

    def malformed(self, stream: str, number: int) -> str:
        """Alternately not JSON at all, and JSON with a field that is not a number."""
        if number % 2:
            return '{"stream":"' + stream + '","data":{"e":"forceOrder","E":'
        body = {"e": "forceOrder", "E": 1, "o": {"s": "BTCUSDT", "S": "SELL", "q": "many", "p": "1", "ap": "1"}}
        return self.wrap(stream, msgspec.json.encode(body).decode(), True)

    def _force_order(self, event: LiquidationEvent) -> Rendered:
        order_side = "SELL" if event.side is Side.LONG else "BUY"  # a liquidated long is a forced sell
        body = {
            "e": "forceOrder",
            "E": event.ts + 3,
            "o": {
                "s": native(event.base),
                "S": order_side,
                "o": "LIMIT",
                "f": "IOC",
                "q": str(event.quantity),
                "p": str(round(event.price * (0.99 if order_side == "SELL" else 1.01), 2)),
                "ap": str(event.price),
                "X": "FILLED",
                "l": str(event.quantity),
                "z": str(event.quantity),
                "T": event.ts,
            },
        }
        record = Liquidation(
            **_common(event.base, event.ts, "binance ws forceOrder"),
            side=event.side,
            price=event.price,
            quantity=event.quantity,
            notional_usd=event.price * event.quantity,
            complete=False,
        )
        return Rendered(f"{native(event.base).lower()}@forceOrder", msgspec.json.encode(body).decode(), (record,))

    def _mark_price(self, event: MarkEvent) -> Rendered:
        body = {
            "e": "markPriceUpdate",
            "E": event.ts,
            "s": native(event.base),
            "p": str(event.mark),
            "i": str(event.index),
            "P": str(event.mark),
            "r": str(event.funding_rate),
            "T": event.next_funding_time,
        }
        common = _common(event.base, event.ts, "binance ws markPrice")
        records = (
            Price(**common, kind=PriceKind.MARK, price=event.mark),
            Price(**common, kind=PriceKind.INDEX, price=event.index),
            FundingRate(
                **common,
                rate=event.funding_rate,
                interval_h=INTERVAL_H,
                kind=FundingKind.PREDICTED,
                funding_time=event.next_funding_time,
            ),
        )
        return Rendered(f"{native(event.base).lower()}@markPrice@1s", msgspec.json.encode(body).decode(), records)

    # -- REST ----------------------------------------------------------------------------------------------

    def rest(self, request: RestRequest, state: MarketState) -> RestAnswer | None:
        path, query = request.path, request.query
        if path in binance_data.PATHS:
            return binance_data.rest(path, dict(query), state, self.page_cap)
        if path in binance_data.REFERENCE_PATHS:
            return binance_data.reference(path, query, state, self.api_secret)
        base = query.get("symbol", "").upper().removesuffix("USDT")
        if path == OPEN_INTEREST_PATH:
            return _open_interest(base, state)
        start, end = _optional_int(query.get("startTime")), _optional_int(query.get("endTime"))
        if path == FUNDING_PATH:
            limit = min(int(query.get("limit", 100)), 1000, self.page_cap or 1000)
            return _funding_history(window(state.funding[base], start, end, limit))
        if path == OPEN_INTEREST_HIST_PATH:
            limit = min(int(query.get("limit", 30)), 500, self.page_cap or 500)
            return _open_interest_history(window(state.open_interest[base], start, end, limit))
        return None


def _optional_int(text: str | None) -> int | None:
    return int(text) if text else None


def _funding_history(rows: list[FundingSettlement]) -> RestAnswer:
    source = f"binance rest {FUNDING_PATH}"
    body = [{"symbol": native(r.base), "fundingRate": str(r.rate), "fundingTime": r.ts, "markPrice": ""} for r in rows]
    records = tuple(
        FundingRate(
            **_common(r.base, r.ts, source),
            rate=r.rate,
            interval_h=INTERVAL_H,
            kind=FundingKind.SETTLED,
            funding_time=r.ts,
        )
        for r in rows
    )
    return RestAnswer(200, body, records)


def _open_interest(base: str, state: MarketState) -> RestAnswer:
    history = state.open_interest.get(base)
    if not history:
        return RestAnswer(400, {"code": -1121, "msg": "Invalid symbol."}, ())
    latest = history[-1]
    body = {"openInterest": str(latest.oi_base), "symbol": native(base), "time": latest.ts}
    record = OpenInterest(
        **_common(base, latest.ts, f"binance rest {OPEN_INTEREST_PATH}"), oi_base=latest.oi_base, reported=OIUnit.BASE
    )
    return RestAnswer(200, body, (record,))


def _open_interest_history(rows: list[OpenInterestEvent]) -> RestAnswer:
    source = f"binance rest {OPEN_INTEREST_HIST_PATH}"
    body = [
        {
            "symbol": native(r.base),
            "sumOpenInterest": str(r.oi_base),
            "sumOpenInterestValue": str(r.oi_base * r.price),
            "timestamp": str(r.ts),
        }
        for r in rows
    ]
    records = tuple(
        OpenInterest(
            **_common(r.base, r.ts, source),
            oi_base=r.oi_base,
            oi_usd=r.oi_base * r.price,
            reported=OIUnit.BASE,
            conversion_price=r.price,
        )
        for r in rows
    )
    return RestAnswer(200, body, records)
