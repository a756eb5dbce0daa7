"""Pure parse functions for OKX REST reference data and statistics: instruments, position tiers, candles, rubik
statistics.

Funding history, open interest and mark price answers share their shapes with the channels (``parse.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from perpscope.errors import ParseError
from perpscope.models import (
    Candle,
    CandleKind,
    Instrument,
    LongShortRatio,
    MarginBracket,
    OIUnit,
    OpenInterest,
    RatioKind,
    TakerVolume,
)
from perpscope.venues.decoding import Payload, decode, optional_float
from perpscope.venues.okx import VENUE, endpoints, symbols
from perpscope.venues.okx.parse import DEFAULT_INTERVAL_H, canonical, check_code, rest_source

ContractValues = Mapping[str, float]  # instId -> ctVal, the lookup the liquidation parser takes

# OKX bar names -> canonical intervals.
_BARS = {
    "1m": "1m",
    "3m": "3m",
    "5m": "5m",
    "15m": "15m",
    "30m": "30m",
    "1H": "1h",
    "2H": "2h",
    "4H": "4h",
    "6H": "6h",
    "12H": "12h",
    "1D": "1d",
    "1Dutc": "1d",
    "6Hutc": "6h",
    "12Hutc": "12h",
    "5M": "5m",
}


class _Instrument(msgspec.Struct):
    instId: str
    ctVal: str = ""
    ctType: str = ""
    settleCcy: str = ""
    tickSz: str = ""
    state: str = ""


class _Answer(msgspec.Struct):
    code: str
    data: msgspec.Raw
    msg: str = ""


def _data(payload: Payload, source: str) -> Payload | bytes:
    """The ``data`` of a REST answer, after checking ``code``."""
    if isinstance(payload, dict):
        check_code(str(payload.get("code", "0")), str(payload.get("msg", "")), source)
        return payload.get("data") or []
    answer = decode(payload, _Answer, source=source)
    check_code(answer.code, answer.msg, source)
    return bytes(answer.data)


def parse_instruments(
    payload: Payload, ts_recv: int, *, funding_intervals: Mapping[str, float] | None = None, live_only: bool = True
) -> list[Instrument]:
    """``GET /api/v5/public/instruments?instType=SWAP`` -> linear swaps, ``contract_size`` = ``ctVal`` coins.
    Inverse swaps are left out: their ``ctVal`` is USD, not coins."""
    source = rest_source(endpoints.INSTRUMENTS.path)
    intervals = funding_intervals or {}
    instruments = []
    for row in decode(_data(payload, source), list[_Instrument], source=source):
        if not symbols.is_perpetual(row.instId) or row.ctType != "linear" or (live_only and row.state != "live"):
            continue
        base, quote, _ = row.instId.split("-")
        instruments.append(
            Instrument(
                venue=VENUE,
                symbol=canonical(row.instId, source),
                native_symbol=row.instId,
                ts_event=ts_recv,
                ts_recv=ts_recv,
                source=source,
                base=base,
                quote=quote,
                settle=row.settleCcy or quote,
                contract_size=optional_float(row.ctVal, field="ctVal", source=source) or 1.0,
                tick_size=optional_float(row.tickSz, field="tickSz", source=source),
                funding_interval_h=intervals.get(row.instId, DEFAULT_INTERVAL_H),
            )
        )
    return instruments


def contract_values(instruments: list[Instrument]) -> ContractValues:
    """instId -> ``ctVal``: the lookup the liquidation parser takes."""
    return {instrument.native_symbol: instrument.contract_size for instrument in instruments}


class _Tier(msgspec.Struct):
    tier: int
    minSz: float
    maxSz: float
    mmr: float
    maxLever: float
    instFamily: str = ""
    uly: str = ""
    instId: str = ""


Brackets = dict[str, tuple[MarginBracket, ...]]


def parse_position_tiers(payload: Payload, contract_values: ContractValues) -> Brackets:
    """``GET /api/v5/public/position-tiers?instType=SWAP`` -> {swap instId: tiers in base units, lowest first}.

    Swap tiers are per instrument family (``BTC-USDT``; ``instId`` is empty) with ``minSz``/``maxSz`` in contracts:
    x the swap's ``ctVal`` -> base units. OKX applies a tier's ``mmr`` to the whole position, so there is no
    maintenance amount (0). Older tables start a tier one contract above the previous maximum (2,001 after
    2,000): each floor is the previous cap, so the tiers are contiguous."""
    source = rest_source(endpoints.POSITION_TIERS.path)
    families: dict[str, list[_Tier]] = {}
    for row in decode(_data(payload, source), list[_Tier], source=source):
        family = row.instFamily or row.uly or row.instId.removesuffix("-SWAP")
        families.setdefault(family, []).append(row)
    brackets: Brackets = {}
    for family, rows in families.items():
        inst_id = f"{family}-SWAP"
        if inst_id not in contract_values:
            raise ParseError(f"no contract value (ctVal) known for {inst_id!r}", file=source, field="instFamily")
        brackets[inst_id] = _base_unit_tiers(sorted(rows, key=lambda row: row.tier), contract_values[inst_id])
    return brackets


def _base_unit_tiers(rows: list[_Tier], contract_value: float) -> tuple[MarginBracket, ...]:
    tiers: list[MarginBracket] = []
    for row in rows:
        floor = tiers[-1].cap if tiers else row.minSz * contract_value
        cap = row.maxSz * contract_value
        tiers.append(
            MarginBracket(floor=floor, cap=cap, max_leverage=row.maxLever, mmr=row.mmr, maintenance_amount=0.0)
        )
    return tuple(tiers)


def _common(inst_id: str, ts_event: int, ts_recv: int, source: str) -> dict[str, Any]:
    return {
        "venue": VENUE,
        "symbol": canonical(inst_id, source),
        "native_symbol": inst_id,
        "ts_event": ts_event,
        "ts_recv": ts_recv,
        "source": source,
    }


def parse_candles(
    payload: Payload,
    ts_recv: int,
    *,
    inst_id: str,
    bar: str,
    kind: CandleKind = CandleKind.LAST,
    closed_only: bool = True,
) -> list[Candle]:
    """``/api/v5/market/(history-)candles`` rows ``[ts, o, h, l, c, vol (contracts), volCcy (coin), volCcyQuote
    (USD), confirm]``, newest first; mark-price candles have five columns and no volume. A row with ``confirm``
    "0" is still forming and is left out unless ``closed_only`` is False."""
    path = endpoints.HISTORY_CANDLES.path if kind is CandleKind.LAST else endpoints.MARK_PRICE_CANDLES.path
    source = rest_source(path)
    rows = decode(_data(payload, source), list[list[str]], source=source)
    candles = []
    for position, row in enumerate(rows):
        values = [optional_float(cell, field=f"data[{position}]", source=source) for cell in row[:8]]
        if len(values) < 5 or None in values[:5] or (closed_only and row[-1] == "0"):
            continue
        with_volume = kind is CandleKind.LAST and len(values) >= 8
        candles.append(
            Candle(
                **_common(inst_id, int(row[0]), ts_recv, source),
                interval=_BARS.get(bar, bar),
                kind=kind,
                open=values[1] or 0.0,
                high=values[2] or 0.0,
                low=values[3] or 0.0,
                close=values[4] or 0.0,
                volume=values[6] if with_volume else None,
                quote_volume=values[7] if with_volume else None,
            )
        )
    return candles


def _rows(payload: Payload, source: str) -> list[list[float]]:
    return decode(_data(payload, source), list[list[float]], source=source)


def parse_open_interest_history(payload: Payload, ts_recv: int, *, inst_id: str) -> list[OpenInterest]:
    """Rubik ``contracts/open-interest-history`` rows ``[ts, oi (contracts), oiCcy (coin), oiUsd]``."""
    source = rest_source(endpoints.RUBIK_OPEN_INTEREST.path)
    return [
        OpenInterest(
            oi_contracts=oi,
            oi_base=oi_coin,
            oi_usd=oi_usd,
            reported=OIUnit.CONTRACTS,
            conversion_price=oi_usd / oi_coin if oi_coin else None,
            **_common(inst_id, int(ts), ts_recv, source),
        )
        for ts, oi, oi_coin, oi_usd, *_ in _rows(payload, source)
    ]


def parse_long_short_ratio(payload: Payload, ts_recv: int, *, inst_id: str, period: str) -> list[LongShortRatio]:
    """Rubik ``long-short-account-ratio-contract`` rows ``[ts, ratio]``: accounts net long / net short, turned
    into shares: long = ratio / (1 + ratio)."""
    source = rest_source(endpoints.RUBIK_LONG_SHORT.path)
    return [
        LongShortRatio(
            kind=RatioKind.ACCOUNTS,
            period=period,
            long_share=ratio / (1 + ratio),
            short_share=1 / (1 + ratio),
            **_common(inst_id, int(ts), ts_recv, source),
        )
        for ts, ratio, *_ in _rows(payload, source)
    ]


def parse_taker_volume(
    payload: Payload, ts_recv: int, *, inst_id: str, period: str, contract_value: float
) -> list[TakerVolume]:
    """Rubik ``taker-volume-contract`` rows ``[ts, sellVol, buyVol]`` x ``contract_value`` -> base units: the swap's
    ``ctVal`` when asked with ``unit=1`` (contracts, OKX's default), 1 when asked with ``unit=0`` (coin)."""
    source = rest_source(endpoints.RUBIK_TAKER.path)
    return [
        TakerVolume(
            period=period,
            buy_volume=buy * contract_value,
            sell_volume=sell * contract_value,
            **_common(inst_id, int(ts), ts_recv, source),
        )
        for ts, sell, buy, *_ in _rows(payload, source)
    ]
