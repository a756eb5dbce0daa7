"""Pure parse functions: OKX v5 payload (bytes or decoded JSON) -> typed records.

Conventions (docs: https://www.okx.com/docs-v5/en/):
- OKX sizes are in *contracts*. A contract holds ``ctVal`` units of the base coin (``/api/v5/public/instruments``);
  parse functions that convert sizes take a ``contract_values`` lookup (instId -> ctVal), never a constant.
- funding-rate-history: ``fundingTime`` is the settlement; ``realizedRate`` is the rate actually paid then, and
  ``fundingRate`` the rate computed before rounding (0.0001515032 computed, 0.00015 paid). Settled records use
  ``realizedRate``, falling back to ``fundingRate`` on rows that lack it.
- funding-rate channel: ``fundingRate`` is the rate for the coming settlement ``fundingTime``, ``nextFundingRate``
  (when not empty) the one after it: both are ``FundingKind.PREDICTED``.
- liquidation-orders: ``posSide`` is the liquidated position's side (``long``/``short``); in net mode it reads
  ``net`` and the order ``side`` decides (a forced ``sell`` closes a long). The feed is throttled: complete=False.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from perpscope.errors import ParseError, VenueResponseError
from perpscope.models import (
    FundingKind,
    FundingRate,
    Liquidation,
    OIUnit,
    OpenInterest,
    Price,
    PriceKind,
    Record,
    Side,
)
from perpscope.venues.decoding import HOUR_MS, Payload, decode, interval_hours, optional_float, optional_int
from perpscope.venues.okx import VENUE, endpoints, symbols
from perpscope.venues.okx.capabilities import CAPABILITIES

DEFAULT_INTERVAL_H = CAPABILITIES.default_funding_interval_h
WS_SOURCE = "okx ws"

ContractValues = Mapping[str, float]


def rest_source(path: str) -> str:
    return f"okx rest {path}"


def canonical(inst_id: str, source: str) -> str:
    try:
        return symbols.to_canonical(inst_id)
    except ParseError as error:
        raise error.located(file=source) from None


def contract_value(contract_values: ContractValues, inst_id: str, source: str) -> float:
    try:
        return contract_values[inst_id]
    except KeyError:
        raise ParseError(
            f"no contract value (ctVal) known for {inst_id!r}: load /api/v5/public/instruments first",
            file=source,
            field="instId",
        ) from None


def check_code(code: str, message: str, source: str) -> None:
    """OKX answers HTTP 200 with ``code != "0"`` for refused requests."""
    if code != "0":
        raise VenueResponseError(f"{source}: OKX error {code}: {message}")


class _FundingHistoryRow(msgspec.Struct):
    instId: str
    fundingTime: int
    fundingRate: str = ""
    realizedRate: str = ""


class _FundingHistory(msgspec.Struct):
    code: str
    data: list[_FundingHistoryRow]
    msg: str = ""


def parse_funding_history(
    payload: Payload, ts_recv: int, *, interval_h: float = DEFAULT_INTERVAL_H
) -> list[FundingRate]:
    """``GET /api/v5/public/funding-rate-history``: settled rates, newest first as OKX sends them."""
    source = rest_source(endpoints.FUNDING_RATE_HISTORY.path)
    answer = decode(payload, _FundingHistory, source=source)
    check_code(answer.code, answer.msg, source)
    records = []
    for position, row in enumerate(answer.data):
        field = f"data[{position}]"
        realized = optional_float(row.realizedRate, field=f"{field}.realizedRate", source=source)
        rate = realized if realized is not None else optional_float(row.fundingRate, field=field, source=source)
        if rate is None:
            raise ParseError("neither realizedRate nor fundingRate given", file=source, field=field)
        records.append(
            FundingRate(
                venue=VENUE,
                symbol=canonical(row.instId, source),
                native_symbol=row.instId,
                ts_event=row.fundingTime,
                ts_recv=ts_recv,
                source=source,
                rate=rate,
                interval_h=interval_h,
                kind=FundingKind.SETTLED,
                funding_time=row.fundingTime,
            )
        )
    return records


# ---------------------------------------------------------------- websocket


class _Arg(msgspec.Struct):
    channel: str
    instId: str = ""
    instType: str = ""


class _Push(msgspec.Struct):
    """A channel push ``{"arg": {...}, "data": [...]}`` or a REST answer ``{"code": "0", "data": [...]}``;
    subscription acknowledgements carry ``event`` and no data."""

    arg: _Arg | None = None
    data: msgspec.Raw = msgspec.Raw()
    event: str = ""
    code: str = "0"
    msg: str = ""


def _push(payload: Payload) -> tuple[str | None, Payload | bytes]:
    """(channel, data) of a push; channel None for a REST answer; ("", []) for events such as subscribe."""
    if isinstance(payload, dict):
        check_code(str(payload.get("code", "0")), str(payload.get("msg", "")), WS_SOURCE)
        arg = payload.get("arg")
        return (str(arg.get("channel", "")) if arg else None), payload.get("data") or []
    push = decode(payload, _Push, source=WS_SOURCE)
    check_code(push.code, push.msg, WS_SOURCE)
    if not push.data:
        return "", []
    return (push.arg.channel if push.arg else None), bytes(push.data)


def _source(channel: str | None, push_name: str, rest_path: str) -> str:
    return f"{WS_SOURCE} {push_name}" if channel is not None else rest_source(rest_path)


def _ws_common(inst_id: str, ts: str, ts_recv: int, source: str) -> dict[str, Any]:
    return {
        "venue": VENUE,
        "symbol": canonical(inst_id, source),
        "native_symbol": inst_id,
        "ts_event": optional_int(ts, field="ts", source=source) or ts_recv,
        "ts_recv": ts_recv,
        "source": source,
    }


class _FundingPush(msgspec.Struct):
    instId: str
    fundingTime: str = ""
    fundingRate: str = ""
    nextFundingRate: str = ""
    nextFundingTime: str = ""
    ts: str = ""


def parse_funding_rate(payload: Payload, ts_recv: int, *, interval_h: float = DEFAULT_INTERVAL_H) -> list[FundingRate]:
    """``funding-rate``: the rate for the coming settlement and, when given, the forecast for the one after."""
    source = f"{WS_SOURCE} funding-rate"
    _, data = _push(payload)
    records = []
    for row in decode(data, list[_FundingPush], source=source):
        if symbols.is_perpetual(row.instId):
            records.extend(_funding_records(row, ts_recv, interval_h, source))
    return records


def _funding_records(row: _FundingPush, ts_recv: int, default_h: float, source: str) -> list[FundingRate]:
    funding_time = optional_int(row.fundingTime, field="fundingTime", source=source)
    next_time = optional_int(row.nextFundingTime, field="nextFundingTime", source=source)
    interval_h = interval_hours(funding_time, next_time, default_h)
    common = _ws_common(row.instId, row.ts, ts_recv, source)
    records = []
    rate = optional_float(row.fundingRate, field="fundingRate", source=source)
    if rate is not None and funding_time:
        records.append(
            FundingRate(
                rate=rate, interval_h=interval_h, kind=FundingKind.PREDICTED, funding_time=funding_time, **common
            )
        )
    next_rate = optional_float(row.nextFundingRate, field="nextFundingRate", source=source)
    if next_rate is not None and funding_time:
        # Older pushes omit nextFundingTime: the next settlement is one interval after fundingTime.
        when = next_time or funding_time + round(interval_h * HOUR_MS)
        records.append(
            FundingRate(rate=next_rate, interval_h=interval_h, kind=FundingKind.PREDICTED, funding_time=when, **common)
        )
    return records


class _OpenInterestPush(msgspec.Struct):
    instId: str
    oi: float
    oiCcy: float
    ts: str = ""
    oiUsd: str = ""


def parse_open_interest(payload: Payload, ts_recv: int) -> list[OpenInterest]:
    """``open-interest`` (and REST ``/api/v5/public/open-interest``): contracts, with the coin amount alongside."""
    channel, data = _push(payload)
    source = _source(channel, endpoints.OPEN_INTEREST_CHANNEL, endpoints.OPEN_INTEREST.path)
    records = []
    for row in decode(data, list[_OpenInterestPush], source=source):
        if not symbols.is_perpetual(row.instId):
            continue
        usd = optional_float(row.oiUsd, field="oiUsd", source=source)
        records.append(
            OpenInterest(
                oi_contracts=row.oi,
                oi_base=row.oiCcy,
                oi_usd=usd,
                reported=OIUnit.CONTRACTS,
                conversion_price=usd / row.oiCcy if usd is not None and row.oiCcy else None,
                **_ws_common(row.instId, row.ts, ts_recv, source),
            )
        )
    return records


class _MarkPush(msgspec.Struct):
    instId: str
    markPx: float
    ts: str = ""


def parse_mark_price(payload: Payload, ts_recv: int) -> list[Price]:
    """``mark-price`` (and REST ``/api/v5/public/mark-price``)."""
    channel, data = _push(payload)
    source = _source(channel, endpoints.MARK_PRICE_CHANNEL, endpoints.MARK_PRICE.path)
    return [
        Price(kind=PriceKind.MARK, price=row.markPx, **_ws_common(row.instId, row.ts, ts_recv, source))
        for row in decode(data, list[_MarkPush], source=source)
        if symbols.is_perpetual(row.instId)
    ]


class _IndexPush(msgspec.Struct):
    instId: str
    idxPx: float
    ts: str = ""


def parse_index_tickers(payload: Payload, ts_recv: int) -> list[Price]:
    """``index-tickers``: the index ``BTC-USDT`` is recorded under the swap it prices, ``BTC-USDT-PERP``."""
    source = f"{WS_SOURCE} index-tickers"
    _, data = _push(payload)
    records = []
    for row in decode(data, list[_IndexPush], source=source):
        try:
            symbol = symbols.index_to_canonical(row.instId)
        except ParseError as error:
            raise error.located(file=source) from None
        ts_event = optional_int(row.ts, field="ts", source=source) or ts_recv
        records.append(
            Price(
                venue=VENUE,
                symbol=symbol,
                native_symbol=row.instId,
                ts_event=ts_event,
                ts_recv=ts_recv,
                source=source,
                kind=PriceKind.INDEX,
                price=row.idxPx,
            )
        )
    return records


class _LiquidationDetail(msgspec.Struct):
    bkPx: float
    sz: float
    side: str
    ts: int
    posSide: str = ""


class _LiquidationPush(msgspec.Struct):
    instId: str
    details: list[_LiquidationDetail]
    instType: str = ""


def parse_liquidation_orders(
    payload: Payload, ts_recv: int, contract_values: ContractValues, *, skip_unknown: bool = True
) -> list[Liquidation]:
    """``liquidation-orders`` (one subscription for every swap): sizes are contracts, x ``ctVal`` -> base units.

    Swaps missing from ``contract_values`` are outside the tracked universe and skipped, unless ``skip_unknown``
    is False (then they raise). Inverse swaps (``BTC-USD-SWAP``) have ``ctVal`` in USD: the notional is
    ``sz x ctVal`` and the quantity that over the bankruptcy price.
    """
    source = f"{WS_SOURCE} liquidation-orders"
    _, data = _push(payload)
    records: list[Liquidation] = []
    for row in decode(data, list[_LiquidationPush], source=source):
        if not symbols.is_perpetual(row.instId) or (skip_unknown and row.instId not in contract_values):
            continue
        value = contract_value(contract_values, row.instId, source)
        records.extend(_liquidation(row.instId, detail, value, ts_recv, source) for detail in row.details)
    return records


def _liquidation(inst_id: str, detail: _LiquidationDetail, value: float, ts_recv: int, source: str) -> Liquidation:
    if detail.posSide in ("long", "short"):
        side = Side(detail.posSide)
    elif detail.side in ("buy", "sell"):
        side = Side.LONG if detail.side == "sell" else Side.SHORT  # a forced sell closes a long
    else:
        raise ParseError(f"unknown side {detail.side!r}/{detail.posSide!r}", file=source, field="details.side")
    if symbols.is_inverse(inst_id):
        notional = detail.sz * value
        quantity = notional / detail.bkPx
    else:
        quantity = detail.sz * value
        notional = quantity * detail.bkPx
    return Liquidation(
        venue=VENUE,
        symbol=canonical(inst_id, source),
        native_symbol=inst_id,
        ts_event=detail.ts,
        ts_recv=ts_recv,
        source=source,
        side=side,
        price=detail.bkPx,
        quantity=quantity,
        notional_usd=notional,
        complete=False,
    )


def parse_message(
    payload: Payload, ts_recv: int, contract_values: ContractValues, *, interval_h: float = DEFAULT_INTERVAL_H
) -> list[Record]:
    """Any public-channel push this package understands; other channels and events yield nothing."""
    channel, _ = _push(payload)
    if channel == endpoints.FUNDING_RATE_CHANNEL:
        return list(parse_funding_rate(payload, ts_recv, interval_h=interval_h))
    if channel == endpoints.OPEN_INTEREST_CHANNEL:
        return list(parse_open_interest(payload, ts_recv))
    if channel == endpoints.MARK_PRICE_CHANNEL:
        return list(parse_mark_price(payload, ts_recv))
    if channel == endpoints.INDEX_TICKERS_CHANNEL:
        return list(parse_index_tickers(payload, ts_recv))
    if channel == endpoints.LIQUIDATION_ORDERS_CHANNEL:
        return list(parse_liquidation_orders(payload, ts_recv, contract_values))
    return []
