"""REST responses saved to files (``curl ... > funding.json``): recognised by their shape, parsed by the venue packages.

The payload parsers are the collector's own (``perpscope.venues.<venue>.parse``), so an imported response and a
backfilled one become the same records. This module only tells which endpoint a file came from, from the keys of
its first row, without reading any value:

- Binance ``GET /fapi/v1/fundingRate``: a list of ``{symbol, fundingTime, fundingRate[, markPrice]}``;
- Binance ``GET /futures/data/openInterestHist``: a list of ``{symbol, sumOpenInterest, sumOpenInterestValue,
  timestamp}``;
- OKX ``GET /api/v5/public/funding-rate-history``: ``{"code", "data": [{instId, fundingTime, ...}]}``;
- Bybit ``GET /v5/market/funding/history``: ``{"retCode", "result": {"list": [{symbol, fundingRate,
  fundingRateTimestamp}]}}``;
- Hyperliquid ``POST /info`` ``{"type": "fundingHistory"}``: a list of ``{coin, fundingRate, time[, premium]}``.

A response does not say its funding interval, so the interval is the spacing of the settlements in the file (per
symbol, the most common gap); a one-row file keeps the venue parser's default.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import pyarrow as pa

from perpscope.errors import ParseError, PerpscopeError
from perpscope.importers.base import ImportOptions, SkipFile, Source, source_label
from perpscope.importers.freqtrade import settlement_interval_hours
from perpscope.models import FundingRate, Record
from perpscope.store.schema import records_to_arrow
from perpscope.venues.binance import parse as binance
from perpscope.venues.bybit import parse as bybit
from perpscope.venues.hyperliquid import parse as hyperliquid
from perpscope.venues.okx import parse as okx

Parser = Callable[[Any, int], Sequence[Record]]


@dataclasses.dataclass(frozen=True)
class Endpoint:
    name: str  # how reports and errors name it
    keys: frozenset[str]  # keys every row of the response has
    parser: Parser


BINANCE_FUNDING = Endpoint(
    "Binance /fapi/v1/fundingRate", frozenset({"symbol", "fundingTime", "fundingRate"}), binance.parse_funding_history
)
BINANCE_OPEN_INTEREST = Endpoint(
    "Binance /futures/data/openInterestHist",
    frozenset({"symbol", "sumOpenInterest", "sumOpenInterestValue", "timestamp"}),
    binance.parse_open_interest_hist,
)
OKX_FUNDING = Endpoint(
    "OKX /api/v5/public/funding-rate-history", frozenset({"instId", "fundingTime"}), okx.parse_funding_history
)
BYBIT_FUNDING = Endpoint(
    "Bybit /v5/market/funding/history",
    frozenset({"symbol", "fundingRate", "fundingRateTimestamp"}),
    bybit.parse_funding_history,
)
HYPERLIQUID_FUNDING = Endpoint(
    "Hyperliquid fundingHistory", frozenset({"coin", "fundingRate", "time"}), hyperliquid.parse_funding_history
)
LIST_ENDPOINTS = (BINANCE_FUNDING, BINANCE_OPEN_INTEREST, HYPERLIQUID_FUNDING)

# Cheap text signatures for sniffing: key names that appear near the start of each response.
SIGNATURES = {
    BINANCE_FUNDING: (b"[", (b'"fundingTime"', b'"fundingRate"', b'"symbol"')),
    BINANCE_OPEN_INTEREST: (b"[", (b'"sumOpenInterest"', b'"sumOpenInterestValue"', b'"timestamp"')),
    OKX_FUNDING: (b"{", (b'"code"', b'"data"', b'"instId"', b'"fundingTime"')),
    BYBIT_FUNDING: (b"{", (b'"retCode"', b'"result"', b'"fundingRateTimestamp"')),
    HYPERLIQUID_FUNDING: (b"[", (b'"coin"', b'"fundingRate"', b'"time"')),
}


def rows_of(payload: Any) -> list[Any] | None:
    """The list of rows inside a response: the payload itself, OKX's ``data`` or Bybit's ``result.list``."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        if "code" in payload and isinstance(payload.get("data"), list):
            return payload["data"]  # type: ignore[no-any-return]
        result = payload.get("result")
        if "retCode" in payload and isinstance(result, dict) and isinstance(result.get("list"), list):
            return result["list"]  # type: ignore[no-any-return]
    return None


def endpoint_of(payload: Any) -> Endpoint | None:
    """Which endpoint answered with ``payload``, from the wrapper and the keys of the first row."""
    rows = rows_of(payload)
    if not rows or not isinstance(rows[0], dict):
        return None
    keys = rows[0].keys()
    if isinstance(payload, dict):
        candidates: tuple[Endpoint, ...] = (OKX_FUNDING,) if "code" in payload else (BYBIT_FUNDING,)
    else:
        candidates = LIST_ENDPOINTS
    return next((endpoint for endpoint in candidates if endpoint.keys <= keys), None)


def looks_like_response(head: bytes) -> bool:
    stripped = head.lstrip()
    for opening, keys in SIGNATURES.values():
        if stripped.startswith(opening) and all(key in stripped for key in keys):
            return True
    return False


def with_spacing(records: list[FundingRate]) -> list[FundingRate]:
    """Each symbol's rates with the interval its settlements are spaced by (one-row symbols keep theirs)."""
    times: dict[str, list[int]] = defaultdict(list)
    for record in records:
        times[record.symbol].append(record.ts_event)
    spacing = {
        symbol: settlement_interval_hours(pa.array(sorted(stamps), pa.int64()), None)
        for symbol, stamps in times.items()
        if len(set(stamps)) >= 2
    }
    return [
        msgspec.structs.replace(record, interval_h=spacing[record.symbol]) if record.symbol in spacing else record
        for record in records
    ]


def parse_response(payload: Any, endpoint: Endpoint, options: ImportOptions, source: Source) -> list[Record]:
    """Run the venue's parser; its errors become ParseErrors naming the file (and the JSON path it gave)."""
    try:
        records = list(endpoint.parser(payload, options.ts_recv))
    except ParseError as error:
        raise ParseError(f"{endpoint.name} response: {error.reason}", file=source.name, field=error.field) from None
    except (PerpscopeError, ValueError, TypeError, KeyError) as error:
        raise ParseError(f"{endpoint.name} response: {error}", file=source.name) from None
    label = source_label(source)
    relabelled = [msgspec.structs.replace(record, source=label) for record in records]
    funding = [record for record in relabelled if isinstance(record, FundingRate)]
    others = [record for record in relabelled if not isinstance(record, FundingRate)]
    return [*with_spacing(funding), *others]


class RestJsonFormat:
    """``--format rest-json``: a saved REST response from one of the endpoints in the module docstring."""

    name = "rest-json"

    def sniff(self, source: Source) -> bool:
        return looks_like_response(source.head())

    def read(self, source: Source, options: ImportOptions) -> dict[str, pa.Table]:
        try:
            payload = msgspec.json.decode(source.read_bytes())
        except msgspec.DecodeError as error:
            raise ParseError(f"not valid JSON: {error}", file=source.name) from None
        rows = rows_of(payload)
        if rows is not None and not rows:
            raise SkipFile("the response holds no rows")
        endpoint = endpoint_of(payload)
        if endpoint is None:
            raise ParseError(f"not a response perpscope knows: {describe(payload)}", file=source.name)
        records = parse_response(payload, endpoint, options, source)
        if not records:
            raise SkipFile(f"the {endpoint.name} response holds no rows")
        return records_to_arrow(records)


def describe(payload: Any) -> str:
    """A short account of a payload's shape for error messages (never its values)."""
    rows = rows_of(payload)
    if rows and isinstance(rows[0], dict):
        return "rows with keys " + ", ".join(sorted(rows[0]))
    if isinstance(payload, dict):
        return "an object with keys " + ", ".join(sorted(payload))
    return re.sub(r"\s+", " ", type(payload).__name__)


FORMAT = RestJsonFormat()
