"""Pure parse functions for Bybit v5 REST reference data and history: instruments-info, risk-limit,
open-interest, account-ratio and klines (funding history is in ``parse.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from perpscope.models import (
    Candle,
    CandleKind,
    Instrument,
    LongShortRatio,
    MarginBracket,
    OIUnit,
    OpenInterest,
    RatioKind,
)
from perpscope.venues.bybit import VENUE, endpoints, symbols
from perpscope.venues.bybit.parse import DEFAULT_INTERVAL_H, canonical, canonical_interval, rest_source, rows
from perpscope.venues.decoding import Payload, optional_float

_MINUTE_MS = 60_000
_INTERVAL_MS = {"D": 1440 * _MINUTE_MS, "W": 7 * 1440 * _MINUTE_MS, "M": 31 * 1440 * _MINUTE_MS}
_PERPETUALS = ("LinearPerpetual", "InversePerpetual")


def _common(native: str, ts_event: int, ts_recv: int, source: str) -> dict[str, Any]:
    return {
        "venue": VENUE,
        "symbol": canonical(native, source),
        "native_symbol": native,
        "ts_event": ts_event,
        "ts_recv": ts_recv,
        "source": source,
    }


class _PriceFilter(msgspec.Struct):
    tickSize: str = ""


class _InstrumentRow(msgspec.Struct):
    symbol: str
    contractType: str
    status: str
    baseCoin: str
    quoteCoin: str
    settleCoin: str = ""
    fundingInterval: int = 0  # minutes
    priceFilter: _PriceFilter = msgspec.field(default_factory=_PriceFilter)


def parse_instruments_info(
    payload: Payload,
    ts_recv: int,
    *,
    brackets: Mapping[str, tuple[MarginBracket, ...]] | None = None,
    trading_only: bool = True,
) -> list[Instrument]:
    """``GET /v5/market/instruments-info`` -> perpetuals with their tick size and funding interval (minutes in the
    answer, hours here). Linear sizes are coins (contract size 1); inverse contracts are one USD each."""
    source = rest_source(endpoints.INSTRUMENTS_INFO.path)
    entries, _, answered_at = rows(payload, _InstrumentRow, source)
    tiers = brackets or {}
    instruments = []
    for row in entries:
        if row.contractType not in _PERPETUALS or not symbols.is_perpetual(row.symbol):
            continue
        if trading_only and row.status != "Trading":
            continue
        instruments.append(
            Instrument(
                **_common(row.symbol, answered_at or ts_recv, ts_recv, source),
                base=row.baseCoin,
                quote=row.quoteCoin,
                settle=row.settleCoin or row.quoteCoin,
                contract_size=1.0,
                tick_size=optional_float(row.priceFilter.tickSize, field="priceFilter.tickSize", source=source),
                funding_interval_h=row.fundingInterval / 60 if row.fundingInterval else DEFAULT_INTERVAL_H,
                inverse=row.contractType == "InversePerpetual",
                margin_brackets=tiers.get(row.symbol, ()),
            )
        )
    return instruments


class _RiskLimitRow(msgspec.Struct):
    symbol: str
    riskLimitValue: float
    maintenanceMargin: float
    maxLeverage: float
    mmDeduction: str = ""


def parse_risk_limits(payload: Payload) -> dict[str, tuple[MarginBracket, ...]]:
    """``GET /v5/market/risk-limit`` -> {native symbol: tiers, lowest first}. Each tier covers positions up to its
    ``riskLimitValue`` (USD); its floor is the previous tier's cap. ``mmDeduction`` is the maintenance deduction
    (USD); where the venue leaves it blank it is derived as Bybit defines it, ``floor x (mmr - previous mmr) +
    previous deduction``, so maintenance stays continuous in position value."""
    source = rest_source(endpoints.RISK_LIMIT.path)
    entries, _, _ = rows(payload, _RiskLimitRow, source)
    by_symbol: dict[str, list[_RiskLimitRow]] = {}
    for row in entries:
        by_symbol.setdefault(row.symbol, []).append(row)
    return {native: _tiers(tiers, source) for native, tiers in by_symbol.items()}


def _tiers(rows: list[_RiskLimitRow], source: str) -> tuple[MarginBracket, ...]:
    floor = previous_rate = previous_amount = 0.0
    brackets = []
    for tier in sorted(rows, key=lambda tier: tier.riskLimitValue):
        given = optional_float(tier.mmDeduction, field="mmDeduction", source=source)
        amount = given if given is not None else floor * (tier.maintenanceMargin - previous_rate) + previous_amount
        brackets.append(
            MarginBracket(
                floor=floor,
                cap=tier.riskLimitValue,
                max_leverage=tier.maxLeverage,
                mmr=tier.maintenanceMargin,
                maintenance_amount=amount,
            )
        )
        floor, previous_rate, previous_amount = tier.riskLimitValue, tier.maintenanceMargin, amount
    return tuple(brackets)


class _OpenInterestRow(msgspec.Struct):
    openInterest: float
    timestamp: int


def parse_open_interest(payload: Payload, ts_recv: int) -> list[OpenInterest]:
    """``GET /v5/market/open-interest``, newest first: coins for linear contracts, USD for inverse ones."""
    source = rest_source(endpoints.OPEN_INTEREST.path)
    entries, result, _ = rows(payload, _OpenInterestRow, source)
    inverse = symbols.is_inverse(result.symbol)
    return [
        OpenInterest(
            **_common(result.symbol, row.timestamp, ts_recv, source),
            oi_contracts=row.openInterest if inverse else None,
            oi_base=None if inverse else row.openInterest,
            oi_usd=row.openInterest if inverse else None,
            reported=OIUnit.USD if inverse else OIUnit.BASE,
        )
        for row in entries
    ]


class _RatioRow(msgspec.Struct):
    symbol: str
    buyRatio: float
    sellRatio: float
    timestamp: int


def parse_account_ratio(payload: Payload, ts_recv: int, *, period: str) -> list[LongShortRatio]:
    """``GET /v5/market/account-ratio``: shares of accounts holding longs (``buyRatio``) and shorts."""
    source = rest_source(endpoints.ACCOUNT_RATIO.path)
    entries, _, _ = rows(payload, _RatioRow, source)
    return [
        LongShortRatio(
            **_common(row.symbol, row.timestamp, ts_recv, source),
            kind=RatioKind.ACCOUNTS,
            period=period,
            long_share=row.buyRatio,
            short_share=row.sellRatio,
        )
        for row in entries
    ]


_KLINE_PATHS = {
    CandleKind.LAST: endpoints.KLINE.path,
    CandleKind.MARK: endpoints.MARK_PRICE_KLINE.path,
    CandleKind.INDEX: endpoints.INDEX_PRICE_KLINE.path,
}


def parse_klines(
    payload: Payload, ts_recv: int, *, interval: str, kind: CandleKind = CandleKind.LAST, closed_only: bool = True
) -> list[Candle]:
    """``/v5/market/kline`` (and mark/index variants), newest first: rows ``[start, o, h, l, c, volume (coins),
    turnover (USD)]``; mark and index rows stop at the close. A bar not over by ``ts_recv`` is left out unless
    ``closed_only`` is False."""
    source = rest_source(_KLINE_PATHS[kind])
    entries, result, _ = rows(payload, list[float], source)
    length = _INTERVAL_MS.get(interval) or int(interval) * _MINUTE_MS
    common = _common(result.symbol, 0, ts_recv, source)
    candles = []
    for row in entries:
        start = int(row[0])
        if closed_only and start + length > ts_recv:
            continue
        with_volume = kind is CandleKind.LAST and len(row) >= 7
        candles.append(
            Candle(
                **{**common, "ts_event": start},
                interval=canonical_interval(interval),
                kind=kind,
                open=row[1],
                high=row[2],
                low=row[3],
                close=row[4],
                volume=row[5] if with_volume else None,
                quote_volume=row[6] if with_volume else None,
            )
        )
    return candles
