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
from perpscope.venues.okx.push import (
    CHANNEL_AT,
    FALL_BACK,
    FUNDING_ROWS,
    FUNDING_SOURCE,
    INDEX_ROWS,
    INDEX_SOURCE,
    LIQUIDATION_ROWS,
    LIQUIDATION_SOURCE,
    MARK_ROWS,
    ONE_PASS,
    OPEN_INTEREST_ROWS,
    PUSH,
    WS_SOURCE,
    ContractValues,
    FundingPush,
    IndexPush,
    LiquidationDetail,
    LiquidationPush,
    MarkPush,
    OnePass,
    OpenInterestPush,
    liquidations,
    price,
    sniffed,
)

DEFAULT_INTERVAL_H = CAPABILITIES.default_funding_interval_h


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


def _push(payload: Payload) -> tuple[str | None, Payload]:
    """(channel, data) of a push; channel None for a REST answer; ("", []) for events such as subscribe."""
    if isinstance(payload, dict):
        check_code(str(payload.get("code", "0")), str(payload.get("msg", "")), WS_SOURCE)
        arg = payload.get("arg")
        return (str(arg.get("channel", "")) if arg else None), payload.get("data") or []
    push = PUSH(payload, WS_SOURCE)
    if push.code != "0":
        check_code(push.code, push.msg, WS_SOURCE)
    if not push.data:
        return "", []
    return (push.arg.channel if push.arg else None), push.data


def _source(channel: str | None, push_name: str, rest_path: str) -> str:
    return f"{WS_SOURCE} {push_name}" if channel is not None else rest_source(rest_path)


def _symbol_and_time(inst_id: str, ts: str, ts_recv: int, source: str) -> tuple[str, int]:
    """(canonical symbol, ts_event) of a push row; rows without ``ts`` take the receipt time."""
    return canonical(inst_id, source), optional_int(ts, field="ts", source=source) or ts_recv


def parse_funding_rate(payload: Payload, ts_recv: int, *, interval_h: float = DEFAULT_INTERVAL_H) -> list[FundingRate]:
    """``funding-rate``: the rate for the coming settlement and, when given, the forecast for the one after."""
    _, data = _push(payload)
    return _funding_rates(FUNDING_ROWS(data, FUNDING_SOURCE), ts_recv, interval_h)


def _funding_rates(rows: list[FundingPush], ts_recv: int, interval_h: float) -> list[FundingRate]:
    records = []
    for row in rows:
        if symbols.is_perpetual(row.instId):
            records.extend(_funding_records(row, ts_recv, interval_h, FUNDING_SOURCE))
    return records


def _funding_records(row: FundingPush, ts_recv: int, default_h: float, source: str) -> list[FundingRate]:
    funding_time = optional_int(row.fundingTime, field="fundingTime", source=source)
    next_time = optional_int(row.nextFundingTime, field="nextFundingTime", source=source)
    interval_h = interval_hours(funding_time, next_time, default_h)
    symbol, ts_event = _symbol_and_time(row.instId, row.ts, ts_recv, source)
    rate = optional_float(row.fundingRate, field="fundingRate", source=source)
    next_rate = optional_float(row.nextFundingRate, field="nextFundingRate", source=source)
    if not funding_time:
        return []
    # Keyword arguments spelled out (here and below): unpacking a shared dict costs more than the record.
    coming = FundingRate(
        venue=VENUE,
        symbol=symbol,
        native_symbol=row.instId,
        ts_event=ts_event,
        ts_recv=ts_recv,
        source=source,
        rate=rate if rate is not None else 0.0,
        interval_h=interval_h,
        kind=FundingKind.PREDICTED,
        funding_time=funding_time,
    )
    records = [coming] if rate is not None else []
    if next_rate is not None:
        # Older pushes omit nextFundingTime: the next settlement is one interval after fundingTime.
        when = next_time or funding_time + round(interval_h * HOUR_MS)
        records.append(msgspec.structs.replace(coming, rate=next_rate, funding_time=when))
    return records


def parse_open_interest(payload: Payload, ts_recv: int) -> list[OpenInterest]:
    """``open-interest`` (and REST ``/api/v5/public/open-interest``): contracts, with the coin amount alongside."""
    channel, data = _push(payload)
    source = _source(channel, endpoints.OPEN_INTEREST_CHANNEL, endpoints.OPEN_INTEREST.path)
    return _open_interests(source, OPEN_INTEREST_ROWS(data, source), ts_recv)


def _open_interests(source: str, rows: list[OpenInterestPush], ts_recv: int) -> list[OpenInterest]:
    records = []
    for row in rows:
        if not symbols.is_perpetual(row.instId):
            continue
        symbol, ts_event = _symbol_and_time(row.instId, row.ts, ts_recv, source)
        usd = optional_float(row.oiUsd, field="oiUsd", source=source)
        records.append(
            OpenInterest(
                venue=VENUE,
                symbol=symbol,
                native_symbol=row.instId,
                ts_event=ts_event,
                ts_recv=ts_recv,
                source=source,
                oi_contracts=row.oi,
                oi_base=row.oiCcy,
                oi_usd=usd,
                reported=OIUnit.CONTRACTS,
                conversion_price=usd / row.oiCcy if usd is not None and row.oiCcy else None,
            )
        )
    return records


def parse_mark_price(payload: Payload, ts_recv: int) -> list[Price]:
    """``mark-price`` (and REST ``/api/v5/public/mark-price``)."""
    channel, data = _push(payload)
    source = _source(channel, endpoints.MARK_PRICE_CHANNEL, endpoints.MARK_PRICE.path)
    return _mark_prices(source, MARK_ROWS(data, source), ts_recv)


def _mark_prices(source: str, rows: list[MarkPush], ts_recv: int) -> list[Price]:
    records = []
    for row in rows:
        if symbols.is_perpetual(row.instId):
            symbol, ts_event = _symbol_and_time(row.instId, row.ts, ts_recv, source)
            records.append(price(symbol, row.instId, ts_event, ts_recv, source, PriceKind.MARK, row.markPx))
    return records


def parse_index_tickers(payload: Payload, ts_recv: int) -> list[Price]:
    """``index-tickers``: the index ``BTC-USDT`` is recorded under the swap it prices, ``BTC-USDT-PERP``."""
    _, data = _push(payload)
    return _index_prices(INDEX_ROWS(data, INDEX_SOURCE), ts_recv)


def _index_prices(rows: list[IndexPush], ts_recv: int) -> list[Price]:
    source = INDEX_SOURCE
    records = []
    for row in rows:
        try:
            symbol = symbols.index_to_canonical(row.instId)
        except ParseError as error:
            raise error.located(file=source) from None
        ts_event = optional_int(row.ts, field="ts", source=source) or ts_recv
        records.append(price(symbol, row.instId, ts_event, ts_recv, source, PriceKind.INDEX, row.idxPx))
    return records


def parse_liquidation_orders(
    payload: Payload, ts_recv: int, contract_values: ContractValues, *, skip_unknown: bool = True
) -> list[Liquidation]:
    """``liquidation-orders`` (one subscription for every swap): sizes are contracts, x ``ctVal`` -> base units.

    Swaps missing from ``contract_values`` are outside the tracked universe and skipped, unless ``skip_unknown``
    is False (then they raise). Inverse swaps (``BTC-USD-SWAP``) have ``ctVal`` in USD: the notional is
    ``sz x ctVal`` and the quantity that over the bankruptcy price.
    """
    _, data = _push(payload)
    return _liquidations(LIQUIDATION_ROWS(data, LIQUIDATION_SOURCE), ts_recv, contract_values, skip_unknown)


def _liquidations(
    rows: list[LiquidationPush], ts_recv: int, contract_values: ContractValues, skip_unknown: bool
) -> list[Liquidation]:
    source = LIQUIDATION_SOURCE
    records: list[Liquidation] = []
    for row in rows:
        if not symbols.is_perpetual(row.instId) or (skip_unknown and row.instId not in contract_values):
            continue
        value = contract_value(contract_values, row.instId, source)
        records.extend(_liquidation(row.instId, detail, value, ts_recv, source) for detail in row.details)
    return records


def _liquidation(inst_id: str, detail: LiquidationDetail, value: float, ts_recv: int, source: str) -> Liquidation:
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


# ---------------------------------------------------------------- parse_message: one pass over a push
# A text push of a known channel goes the one-pass route (``okx.push``); anything it does not take (another key
# order, bytes, an event, an error code, a bad field) goes the general route, which decodes the envelope, then
# ``data``, and skips the message or raises the same error as always.


def parse_message(
    payload: Payload, ts_recv: int, contract_values: ContractValues, *, interval_h: float = DEFAULT_INTERVAL_H
) -> list[Record]:
    """Any public-channel push this package understands; other channels and events yield nothing."""
    if payload.__class__ is str:
        try:
            records = _ONE_PASS[payload[CHANNEL_AT]](payload, ts_recv, contract_values, interval_h)
        except FALL_BACK:
            records = None  # not a push of a known channel (KeyError, IndexError), or not one taken as it is
        if records is not None:
            return records
    return _by_channel(payload, ts_recv, contract_values, interval_h)


def _liquidation_push(payload: str, ts_recv: int, contract_values: ContractValues, _: float) -> list[Record] | None:
    rows = liquidations(payload)
    return None if rows is None else list(_liquidations(rows, ts_recv, contract_values, True))


_ONE_PASS: dict[str, OnePass] = {**ONE_PASS, sniffed(endpoints.LIQUIDATION_ORDERS_CHANNEL): _liquidation_push}


def _by_channel(payload: Payload, ts_recv: int, contract_values: ContractValues, interval_h: float) -> list[Record]:
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
