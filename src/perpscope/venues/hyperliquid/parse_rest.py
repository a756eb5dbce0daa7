"""Pure parse functions for Hyperliquid ``/info`` reference data and candles: meta, metaAndAssetCtxs,
candleSnapshot (fundingHistory is in ``parse.py``)."""

from __future__ import annotations

import msgspec

from perpscope.errors import ParseError
from perpscope.models import Candle, CandleKind, Instrument, MarginBracket, Record
from perpscope.venues.decoding import Payload, decode
from perpscope.venues.hyperliquid import VENUE, symbols
from perpscope.venues.hyperliquid.parse import INTERVAL_H, REST_SOURCE, AssetContext, canonical, context_records

SETTLE = "USDC"


NO_CAP = float("inf")  # the top tier covers any size
TIERED_TABLES_FROM = 50  # margin table ids below this are one tier at that leverage (never listed)


class _Asset(msgspec.Struct):
    name: str
    szDecimals: int
    maxLeverage: float
    isDelisted: bool | None = None
    onlyIsolated: bool | None = None
    marginTableId: int | None = None


class _Tier(msgspec.Struct):
    lowerBound: float  # USD notional
    maxLeverage: float


class _MarginTable(msgspec.Struct):
    marginTiers: list[_Tier]
    description: str = ""


class _Meta(msgspec.Struct):
    universe: list[_Asset]
    marginTables: list[tuple[int, _MarginTable]] = msgspec.field(default_factory=list)


def margin_bracket(max_leverage: float) -> MarginBracket:
    """One tier for any size: maintenance margin is half the initial margin at maximum leverage (METHOD.md §3)."""
    return MarginBracket(
        floor=0.0, cap=NO_CAP, max_leverage=max_leverage, mmr=1 / (2 * max_leverage), maintenance_amount=0.0
    )


def margin_brackets(tiers: list[_Tier]) -> tuple[MarginBracket, ...]:
    """A listed table: each tier from its ``lowerBound`` (USD notional) to the next one's; the rate is half the
    initial margin at the tier's max leverage, the deduction ``floor x (rate - previous rate) + previous
    deduction`` (docs: Trading > Margin tiers), which keeps maintenance continuous in notional."""
    ordered = sorted(tiers, key=lambda tier: tier.lowerBound)
    caps = [tier.lowerBound for tier in ordered[1:]] + [NO_CAP]
    brackets = []
    previous_rate = previous_amount = 0.0
    for tier, cap in zip(ordered, caps, strict=True):
        rate = 1 / (2 * tier.maxLeverage)
        amount = tier.lowerBound * (rate - previous_rate) + previous_amount
        brackets.append(
            MarginBracket(
                floor=tier.lowerBound, cap=cap, max_leverage=tier.maxLeverage, mmr=rate, maintenance_amount=amount
            )
        )
        previous_rate, previous_amount = rate, amount
    return tuple(brackets)


def _brackets(asset: _Asset, number: int, tables: dict[int, _MarginTable], source: str) -> tuple[MarginBracket, ...]:
    """The asset's table when ``meta`` lists it; one tier at ``maxLeverage`` when it names none or a flat one."""
    table_id = asset.marginTableId
    if table_id is None or (table_id < TIERED_TABLES_FROM and table_id not in tables):
        return (margin_bracket(asset.maxLeverage),)
    if table_id not in tables:
        raise ParseError(
            f"margin table {table_id} of {asset.name} is not in marginTables",
            file=source,
            field=f"$.universe[{number}].marginTableId",
        )
    return margin_brackets(tables[table_id].marginTiers)


def _instrument(asset: _Asset, brackets: tuple[MarginBracket, ...], ts_recv: int, source: str) -> Instrument:
    return Instrument(
        venue=VENUE,
        symbol=canonical(asset.name, source),
        native_symbol=asset.name,
        ts_event=ts_recv,
        ts_recv=ts_recv,
        source=source,
        base=asset.name,
        quote=symbols.QUOTE,
        settle=SETTLE,
        contract_size=1.0,
        tick_size=None,  # prices have 5 significant figures, not a fixed tick
        funding_interval_h=INTERVAL_H,
        margin_brackets=brackets,
    )


def parse_meta(payload: Payload, ts_recv: int, *, listed_only: bool = True) -> list[Instrument]:
    """``{"type": "meta"}`` -> one instrument per perpetual with its margin tiers: the ``marginTables`` entry its
    ``marginTableId`` names, else one tier at its maximum leverage."""
    source = f"{REST_SOURCE} meta"
    meta = decode(payload, _Meta, source=source)
    tables = dict(meta.marginTables)
    return [
        _instrument(asset, _brackets(asset, number, tables, source), ts_recv, source)
        for number, asset in enumerate(meta.universe)
        if not (listed_only and asset.isDelisted)
    ]


def parse_meta_and_asset_ctxs(payload: Payload, ts_recv: int) -> list[Record]:
    """``{"type": "metaAndAssetCtxs"}`` -> ``[meta, contexts]`` paired by position: each listed perpetual's
    instrument, then its predicted funding, open interest, mark and oracle price."""
    source = f"{REST_SOURCE} metaAndAssetCtxs"
    meta, contexts = decode(payload, tuple[_Meta, list[AssetContext]], source=source)
    if len(meta.universe) != len(contexts):
        raise ParseError(f"{len(meta.universe)} assets but {len(contexts)} contexts", file=source, field="$[1]")
    tables = dict(meta.marginTables)
    records: list[Record] = []
    for number, (asset, context) in enumerate(zip(meta.universe, contexts, strict=True)):
        if asset.isDelisted:
            continue
        records.append(_instrument(asset, _brackets(asset, number, tables, source), ts_recv, source))
        records.extend(context_records(asset.name, context, ts_recv, source))
    return records


class _CandleRow(msgspec.Struct):
    t: int
    T: int
    s: str
    i: str
    o: float
    c: float
    h: float
    l: float  # noqa: E741 - the venue's field name
    v: float


def parse_candle_snapshot(payload: Payload, ts_recv: int, *, closed_only: bool = True) -> list[Candle]:
    """``{"type": "candleSnapshot"}``: bars oldest first, volume in coins. A bar whose close time ``T`` is not
    past ``ts_recv`` is still forming and is left out unless ``closed_only`` is False."""
    source = f"{REST_SOURCE} candleSnapshot"
    return [
        Candle(
            venue=VENUE,
            symbol=canonical(row.s, source),
            native_symbol=row.s,
            ts_event=row.t,
            ts_recv=ts_recv,
            source=source,
            interval=row.i,
            kind=CandleKind.LAST,
            open=row.o,
            high=row.h,
            low=row.l,
            close=row.c,
            volume=row.v,
        )
        for row in decode(payload, list[_CandleRow], source=source)
        if not closed_only or ts_recv > row.T
    ]
