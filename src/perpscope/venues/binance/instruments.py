"""Pure parse functions for Binance USDⓈ-M reference data: exchangeInfo, fundingInfo, leverageBracket."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from perpscope.models import Instrument, MarginBracket
from perpscope.venues.binance import VENUE, endpoints, symbols
from perpscope.venues.binance.parse import DEFAULT_INTERVAL_H, canonical
from perpscope.venues.decoding import Payload, decode, decode_as, optional_float


def _source(path: str) -> str:
    return f"binance rest {path}"


class _Filter(msgspec.Struct):
    filterType: str
    tickSize: str = ""


class _Symbol(msgspec.Struct):
    symbol: str
    baseAsset: str
    quoteAsset: str
    contractType: str = ""
    status: str = ""
    marginAsset: str = ""
    filters: list[_Filter] = []


class _ExchangeInfo(msgspec.Struct):
    symbols: list[_Symbol]
    serverTime: int = 0


def parse_exchange_info(
    payload: Payload,
    ts_recv: int,
    *,
    funding_intervals: Mapping[str, float] | None = None,
    brackets: Mapping[str, tuple[MarginBracket, ...]] | None = None,
    trading_only: bool = True,
) -> list[Instrument]:
    """``GET /fapi/v1/exchangeInfo`` -> the perpetuals (``contractType == "PERPETUAL"``), in base units per
    contract (1). ``funding_intervals`` (from fundingInfo) and ``brackets`` (from leverageBracket) fill in what
    exchangeInfo lacks; symbols absent from fundingInfo use 8 h."""
    source = _source(endpoints.EXCHANGE_INFO.path)
    info = decode(payload, _ExchangeInfo, source=source)
    intervals = funding_intervals or {}
    tiers = brackets or {}
    instruments = []
    for entry in info.symbols:
        if entry.contractType != "PERPETUAL" or not symbols.is_perpetual(entry.symbol):
            continue
        if trading_only and entry.status != "TRADING":
            continue
        tick = next((f.tickSize for f in entry.filters if f.filterType == "PRICE_FILTER"), "")
        instruments.append(
            Instrument(
                venue=VENUE,
                symbol=canonical(entry.symbol, source),
                native_symbol=entry.symbol,
                ts_event=info.serverTime or ts_recv,
                ts_recv=ts_recv,
                source=source,
                base=entry.baseAsset,
                quote=entry.quoteAsset,
                settle=entry.marginAsset or entry.quoteAsset,
                contract_size=1.0,
                tick_size=optional_float(tick, field="filters.tickSize", source=source),
                funding_interval_h=intervals.get(entry.symbol, DEFAULT_INTERVAL_H),
                margin_brackets=tiers.get(entry.symbol, ()),
            )
        )
    return instruments


class _FundingInfo(msgspec.Struct):
    symbol: str
    fundingIntervalHours: float


def parse_funding_info(payload: Payload) -> dict[str, float]:
    """``GET /fapi/v1/fundingInfo`` -> {native symbol: funding interval in hours}; only adjusted symbols appear."""
    source = _source(endpoints.FUNDING_INFO.path)
    return {row.symbol: row.fundingIntervalHours for row in decode(payload, list[_FundingInfo], source=source)}


class _Bracket(msgspec.Struct):
    initialLeverage: float
    notionalCap: float
    notionalFloor: float
    maintMarginRatio: float
    cum: float


class _SymbolBrackets(msgspec.Struct):
    symbol: str
    brackets: list[_Bracket]


def parse_leverage_brackets(payload: Payload) -> dict[str, tuple[MarginBracket, ...]]:
    """``GET /fapi/v1/leverageBracket`` (signed) -> {native symbol: notional tiers, lowest first}."""
    source = _source(endpoints.LEVERAGE_BRACKET.path)
    answer: _SymbolBrackets | list[_SymbolBrackets] = decode_as(
        payload, _SymbolBrackets | list[_SymbolBrackets], source=source
    )
    return {
        entry.symbol: tuple(
            MarginBracket(
                floor=tier.notionalFloor,
                cap=tier.notionalCap,
                max_leverage=tier.initialLeverage,
                mmr=tier.maintMarginRatio,
                maintenance_amount=tier.cum,
            )
            for tier in sorted(entry.brackets, key=lambda tier: tier.notionalFloor)
        )
        for entry in (answer if isinstance(answer, list) else [answer])
    }
