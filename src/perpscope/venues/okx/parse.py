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

import msgspec

from perpscope.errors import ParseError, VenueResponseError
from perpscope.models import FundingKind, FundingRate
from perpscope.venues.decoding import Payload, decode, optional_float
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
