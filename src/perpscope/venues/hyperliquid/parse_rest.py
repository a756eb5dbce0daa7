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


class _Asset(msgspec.Struct):
    name: str
    szDecimals: int
    maxLeverage: float
    isDelisted: bool | None = None
    onlyIsolated: bool | None = None


class _Meta(msgspec.Struct):
    universe: list[_Asset]


def margin_bracket(max_leverage: float) -> MarginBracket:
    """One tier for any size: maintenance margin is half the initial margin at maximum leverage (METHOD.md §3)."""
    return MarginBracket(
        floor=0.0, cap=float("inf"), max_leverage=max_leverage, mmr=1 / (2 * max_leverage), maintenance_amount=0.0
    )


def _instrument(asset: _Asset, ts_recv: int, source: str) -> Instrument:
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
        margin_brackets=(margin_bracket(asset.maxLeverage),),
    )


def parse_meta(payload: Payload, ts_recv: int, *, listed_only: bool = True) -> list[Instrument]:
    """``{"type": "meta"}`` -> one instrument per perpetual, its maximum leverage in its single margin tier."""
    source = f"{REST_SOURCE} meta"
    meta = decode(payload, _Meta, source=source)
    return [_instrument(asset, ts_recv, source) for asset in meta.universe if not (listed_only and asset.isDelisted)]


def parse_meta_and_asset_ctxs(payload: Payload, ts_recv: int) -> list[Record]:
    """``{"type": "metaAndAssetCtxs"}`` -> ``[meta, contexts]`` paired by position: each listed perpetual's
    instrument, then its predicted funding, open interest, mark and oracle price."""
    source = f"{REST_SOURCE} metaAndAssetCtxs"
    meta, contexts = decode(payload, tuple[_Meta, list[AssetContext]], source=source)
    if len(meta.universe) != len(contexts):
        raise ParseError(f"{len(meta.universe)} assets but {len(contexts)} contexts", file=source, field="$[1]")
    records: list[Record] = []
    for asset, context in zip(meta.universe, contexts, strict=True):
        if asset.isDelisted:
            continue
        records.append(_instrument(asset, ts_recv, source))
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
