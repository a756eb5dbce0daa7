"""OKX v5 swaps, as the fake venue speaks it: ``op``/``args`` subscriptions answered by ``event`` messages,
``{"arg", "data"}`` pushes with sizes in contracts, ``{"code", "data"}`` REST answers with history newest first and
``after``/``before`` timestamp cursors, and the instruments list that gives each swap's contract value. Position
tiers, candles and the rubik statistics are served by ``okx_data``.

The records beside each rendering are what a correct collector makes of it, written from the documented
semantics, independently of the parsers under test.
"""

from __future__ import annotations

from typing import Any

import msgspec

from perpscope.fakevenue import okx_data
from perpscope.fakevenue.dialect import Rendered, RestAnswer, RestRequest
from perpscope.fakevenue.market import Event, FundingSettlement, LiquidationEvent, MarkEvent, OpenInterestEvent
from perpscope.fakevenue.state import MarketState, window
from perpscope.models import (
    FundingKind,
    FundingRate,
    Liquidation,
    OIUnit,
    OpenInterest,
    Price,
    PriceKind,
    Side,
)

VENUE = "okx"
INSTRUMENTS_PATH = "/api/v5/public/instruments"
FUNDING_PATH = "/api/v5/public/funding-rate-history"
OPEN_INTEREST_HIST_PATH = "/api/v5/rubik/stat/contracts/open-interest-history"
INTERVAL_H = 8.0
EIGHT_HOURS_MS = 28_800_000
CONTRACT_VALUES = okx_data.CONTRACT_VALUES  # ctVal of the linear USDT swaps, in coins
LIQUIDATIONS_STREAM = "liquidation-orders:SWAP"


def inst_id(base: str) -> str:
    return f"{base.upper()}-USDT-SWAP"


def _common(base: str, ts: int, source: str, native: str | None = None) -> dict[str, Any]:
    return {
        "venue": VENUE,
        "symbol": f"{base.upper()}-USDT-PERP",
        "native_symbol": native or inst_id(base),
        "ts_event": ts,
        "ts_recv": ts,
        "source": source,
    }


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode()


def _number(value: float) -> str:
    """A number as OKX writes it, and the float a parser reads back: the ledger uses the latter."""
    return repr(value)


class OkxDialect:
    venue = VENUE
    needs_post = False

    def __init__(self, page_cap: int | None = None):
        self.page_cap = page_cap

    # -- websocket -----------------------------------------------------------------------------------------

    def initial_streams(self, path: str) -> tuple[frozenset[str], bool]:
        return frozenset(), False

    def on_message(self, text: str) -> tuple[frozenset[str], tuple[str, ...]]:
        if text == "ping":
            return frozenset(), ("pong",)
        try:
            request = msgspec.json.decode(text)
        except msgspec.DecodeError:
            return frozenset(), (_json({"event": "error", "code": "60012", "msg": f"Invalid request: {text}"}),)
        if request.get("op") != "subscribe":
            return frozenset(), ()
        args = request.get("args", [])
        streams = frozenset(f"{arg['channel']}:{arg.get('instId') or arg.get('instType')}" for arg in args)
        return streams, tuple(_json({"event": "subscribe", "arg": arg, "connId": "fake"}) for arg in args)

    def on_subscribe(self, streams: frozenset[str], state: MarketState, now: int) -> list[Rendered]:
        return []  # every push carries whole values

    def wrap(self, stream: str, payload: str, wrapped: bool) -> str:
        return payload

    def render(self, event: Event) -> list[Rendered]:
        if isinstance(event, LiquidationEvent):
            return [_liquidation(event)]
        if isinstance(event, MarkEvent):
            return [_mark(event), _index(event), _funding(event)]
        if isinstance(event, OpenInterestEvent):
            return [_open_interest(event)]
        return []

    def malformed(self, stream: str, number: int) -> str:
        if number % 2:
            return '{"arg":{"channel":"mark-price","instId":"BTC-USDT-SWAP"},"data":[{"instId":'
        row = {"instId": "BTC-USDT-SWAP", "instType": "SWAP", "markPx": "lots", "ts": "1"}
        return _json({"arg": {"channel": "mark-price", "instId": "BTC-USDT-SWAP"}, "data": [row]})

    # -- REST ----------------------------------------------------------------------------------------------

    def rest(self, request: RestRequest, state: MarketState) -> RestAnswer | None:
        path, query = request.path, request.query
        if path == INSTRUMENTS_PATH:
            return _instruments(state)
        if path in okx_data.HANDLERS:
            return okx_data.HANDLERS[path](query, state)
        base = query.get("instId", "").upper().split("-")[0]
        limit = min(int(query.get("limit", 100)), self.page_cap or 400)
        if path == FUNDING_PATH:
            before, after = _optional_int(query.get("before")), _optional_int(query.get("after"))
            start = before + 1 if before is not None else None
            end = after - 1 if after is not None else None
            return _funding_history(window(state.funding[base], start, end, limit, newest_first=True))
        if path == OPEN_INTEREST_HIST_PATH:  # rubik: rows newer than ``begin``, older than ``end``
            begin, end = _optional_int(query.get("begin")), _optional_int(query.get("end"))
            start, stop = (begin + 1 if begin is not None else None), (end - 1 if end is not None else None)
            rows = window(state.open_interest[base], start, stop, min(limit, 100), newest_first=True)
            return _open_interest_history(rows)
        return None


def _push(channel: str, key: dict[str, str], rows: list[dict[str, Any]]) -> str:
    return _json({"arg": {"channel": channel} | key, "data": rows})


def _liquidation(event: LiquidationEvent) -> Rendered:
    value = CONTRACT_VALUES[event.base]
    size = _number(event.quantity / value)
    detail = {
        "bkLoss": "0",
        "bkPx": _number(event.price),
        "ccy": "",
        "posSide": str(event.side),
        "side": "sell" if event.side is Side.LONG else "buy",
        "sz": size,
        "ts": str(event.ts),
    }
    row = {"details": [detail], "instFamily": f"{event.base}-USDT", "instId": inst_id(event.base), "instType": "SWAP"}
    quantity = float(size) * value
    record = Liquidation(
        **_common(event.base, event.ts, "okx ws liquidation-orders"),
        side=event.side,
        price=event.price,
        quantity=quantity,
        notional_usd=quantity * event.price,
        complete=False,
    )
    payload = _push("liquidation-orders", {"instType": "SWAP"}, [row])
    return Rendered(LIQUIDATIONS_STREAM, payload, (record,))


def _mark(event: MarkEvent) -> Rendered:
    row = {"instId": inst_id(event.base), "instType": "SWAP", "markPx": _number(event.mark), "ts": str(event.ts)}
    record = Price(**_common(event.base, event.ts, "okx ws mark-price"), kind=PriceKind.MARK, price=event.mark)
    return Rendered(
        f"mark-price:{inst_id(event.base)}", _push("mark-price", {"instId": row["instId"]}, [row]), (record,)
    )


def _index(event: MarkEvent) -> Rendered:
    index_id = f"{event.base}-USDT"
    row = {"instId": index_id, "idxPx": _number(event.index), "high24h": "0", "low24h": "0", "ts": str(event.ts)}
    common = _common(event.base, event.ts, "okx ws index-tickers", native=index_id)
    record = Price(**common, kind=PriceKind.INDEX, price=event.index)
    return Rendered(f"index-tickers:{index_id}", _push("index-tickers", {"instId": index_id}, [row]), (record,))


def _funding(event: MarkEvent) -> Rendered:
    row = {
        "instId": inst_id(event.base),
        "instType": "SWAP",
        "fundingRate": _number(event.funding_rate),
        "fundingTime": str(event.next_funding_time),
        "nextFundingRate": "",
        "nextFundingTime": str(event.next_funding_time + EIGHT_HOURS_MS),
        "ts": str(event.ts),
    }
    record = FundingRate(
        **_common(event.base, event.ts, "okx ws funding-rate"),
        rate=event.funding_rate,
        interval_h=INTERVAL_H,
        kind=FundingKind.PREDICTED,
        funding_time=event.next_funding_time,
    )
    payload = _push("funding-rate", {"instId": row["instId"]}, [row])
    return Rendered(f"funding-rate:{inst_id(event.base)}", payload, (record,))


def _open_interest_values(event: OpenInterestEvent) -> tuple[str, str, str]:
    return (
        _number(event.oi_base / CONTRACT_VALUES[event.base]),
        _number(event.oi_base),
        _number(event.oi_base * event.price),
    )


def _open_interest_record(event: OpenInterestEvent, source: str) -> OpenInterest:
    contracts, coins, usd = (float(text) for text in _open_interest_values(event))
    return OpenInterest(
        **_common(event.base, event.ts, source),
        oi_contracts=contracts,
        oi_base=coins,
        oi_usd=usd,
        reported=OIUnit.CONTRACTS,
        conversion_price=usd / coins if coins else None,
    )


def _open_interest(event: OpenInterestEvent) -> Rendered:
    contracts, coins, usd = _open_interest_values(event)
    row = {"instId": inst_id(event.base), "instType": "SWAP", "oi": contracts, "oiCcy": coins, "oiUsd": usd}
    row["ts"] = str(event.ts)
    record = _open_interest_record(event, "okx ws open-interest")
    payload = _push("open-interest", {"instId": inst_id(event.base)}, [row])
    return Rendered(f"open-interest:{inst_id(event.base)}", payload, (record,))


def _answer(data: list[Any]) -> dict[str, Any]:
    return {"code": "0", "msg": "", "data": data}


def _optional_int(text: str | None) -> int | None:
    return int(text) if text else None


def _instruments(state: MarketState) -> RestAnswer:
    rows = [
        {
            "instId": inst_id(base),
            "instType": "SWAP",
            "ctType": "linear",
            "ctVal": _number(value),
            "ctValCcy": base,
            "settleCcy": "USDT",
            "tickSz": "0.1",
            "state": "live",
        }
        for base, value in CONTRACT_VALUES.items()
    ]
    return RestAnswer(200, _answer(rows), ())  # reference data: compared by the test, not ledgered as market data


def _funding_history(rows: list[FundingSettlement]) -> RestAnswer:
    data = [
        {
            "instId": inst_id(row.base),
            "instType": "SWAP",
            "fundingRate": _number(row.rate),
            "realizedRate": _number(row.rate),
            "fundingTime": str(row.ts),
            "method": "current_period",
            "formulaType": "noRate",
        }
        for row in rows
    ]
    source = f"okx rest {FUNDING_PATH}"
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
    return RestAnswer(200, _answer(data), records)


def _open_interest_history(points: list[OpenInterestEvent]) -> RestAnswer:
    data = [[str(point.ts), *_open_interest_values(point)] for point in points]
    records = tuple(_open_interest_record(point, f"okx rest {OPEN_INTEREST_HIST_PATH}") for point in points)
    return RestAnswer(200, _answer(data), records)
