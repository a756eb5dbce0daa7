"""Heatmap services: the estimated liquidation heatmap and map from a Store (docs/heatmap.md).

Per venue and symbol: candles (kind last; the mark candles' range as the trigger when stored), open interest
interpolated to the bars, taker volume, long/short account ratios and settled funding as the long/short split's
evidence, and the venue's margin brackets (``instruments``) or the shipped fallback. SQL is the common subset of
DuckDB and PostgreSQL with ``?`` placeholders. Times are int ms UTC.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from perpscope import queries
from perpscope.analytics.heatmap.aggregate import aggregate_heatmaps, aggregate_maps
from perpscope.analytics.heatmap.bars import Bars, build_bars
from perpscope.analytics.heatmap.config import HeatmapConfig
from perpscope.analytics.heatmap.model import ModelRun, run_model
from perpscope.analytics.heatmap.outputs import Heatmap, LiquidationMap, default_targets, heatmap_grid
from perpscope.analytics.heatmap.outputs import liquidation_map as map_at
from perpscope.analytics.heatmap.outputs import sentence as map_sentence
from perpscope.analytics.liquidation import MarginTable, fallback_table, table_from_brackets
from perpscope.errors import QueryError
from perpscope.models import brackets_from_json, is_simulated_source
from perpscope.store import Store

INTERVALS_MS = {"1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000}
PREFERRED_INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h")  # METHOD.md §5: bars of 1-5 minutes; coarser is noted
DEFAULT_WARMUP_MS = 14 * 86_400_000  # levels opened before the window still matter inside it


@dataclasses.dataclass(frozen=True)
class VenueInput:
    """One venue's prepared bars, the margin table used, and notes on what was filled or assumed."""

    venue: str
    symbol: str
    interval: str
    bars: Bars
    table: MarginTable | None
    notes: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class HeatmapResult:
    heatmap: Heatmap  # summed over venues
    per_venue: dict[str, Heatmap]
    notes: tuple[str, ...]
    sources: tuple[str, ...] = ()  # the stored candles' ``source`` values: where the prices came from

    @property
    def simulated(self) -> bool:
        return any(is_simulated_source(source) for source in self.sources)


@dataclasses.dataclass(frozen=True)
class MapResult:
    map: LiquidationMap
    targets: tuple[float, ...]
    at_risk: tuple[tuple[float, str, float], ...]  # (target USD, side at risk, USD)
    sentence: str
    notes: tuple[str, ...]


def series_available(store: Store, symbol: str, venues: Sequence[str] | None = None) -> list[tuple[str, str, str]]:
    """(venue, symbol, interval) with last-trade candles and open interest, the finest interval per symbol."""
    where, params = queries.selection(symbol, venues)
    sql = (
        "SELECT DISTINCT c.venue, c.symbol, c.interval FROM candles AS c WHERE c.kind = 'last' AND "
        f"{where.replace('venue', 'c.venue').replace('symbol', 'c.symbol')} AND EXISTS (SELECT 1 FROM open_interest "
        "AS o WHERE o.venue = c.venue AND o.symbol = c.symbol) ORDER BY c.venue, c.symbol"
    )
    frame = store.query(sql, params)
    chosen: dict[tuple[str, str], str] = {}
    for venue, name, interval in frame.iter_rows():
        if interval not in INTERVALS_MS:
            continue
        current = chosen.get((venue, name))
        if current is None or INTERVALS_MS[interval] < INTERVALS_MS[current]:
            chosen[(venue, name)] = interval
    return [(venue, name, interval) for (venue, name), interval in sorted(chosen.items())]


def load_venue(
    store: Store,
    venue: str,
    symbol: str,
    interval: str,
    since: int,
    until: int,
    config: HeatmapConfig,
    table: MarginTable | None = None,
    prices_from: tuple[str, str] | None = None,
) -> VenueInput:
    """Bars in ``[since, until)`` with open interest (base units) interpolated to each bar's end.

    ``prices_from`` (venue, symbol): take the candles from another venue (validation on incomplete samples only;
    it is noted)."""
    step = INTERVALS_MS[interval]
    notes: list[str] = []
    price_venue, price_symbol = prices_from or (venue, symbol)
    candles = _candles(store, price_venue, price_symbol, interval, since, until, "last")
    if candles.is_empty():
        raise QueryError(f"no {interval} candles for {price_venue} {price_symbol} in the window")
    if prices_from is not None:
        notes.append(f"{venue} {symbol}: prices from {price_venue} {price_symbol} candles (a proxy)")
    marks = _candles(store, price_venue, price_symbol, interval, since, until, "mark")
    frame = candles.join(marks.select("ts_event", mark_high="high", mark_low="low"), on="ts_event", how="left")
    notes.append(
        f"{venue} {symbol}: {interval} bars; trigger range from {'mark' if marks.height else 'last-trade'} candles"
    )
    if INTERVALS_MS[interval] > 300_000:
        notes.append(f"{venue}: {interval} bars are coarser than the 1-5 minutes the method assumes (METHOD.md §5)")
    frame, oi_note = _with_open_interest(store, venue, symbol, frame, step, since, until)
    notes.append(oi_note)
    frame = _with_evidence(store, venue, symbol, frame, since, until)
    bars = _bars(frame, config)
    chosen = table or margin_table(store, venue, symbol)
    if chosen is None and config.pricing == "exact":
        raise QueryError(f"no margin table for {venue} {symbol}: collect its instrument brackets first")
    notes.append(f"{venue}: margin table {chosen.source if chosen is not None else 'not used'}")
    return VenueInput(venue, symbol, interval, bars, chosen, tuple(notes))


def _bars(frame: pl.DataFrame, config: HeatmapConfig) -> Bars:
    return build_bars(
        frame["ts_event"].to_numpy(),
        frame["open"].to_numpy(),
        frame["high"].to_numpy(),
        frame["low"].to_numpy(),
        frame["close"].to_numpy(),
        frame["oi_base"].to_numpy(),
        config,
        volume=_column(frame, "volume"),
        quote_volume=_column(frame, "quote_volume"),
        mark_high=_column(frame, "mark_high"),
        mark_low=_column(frame, "mark_low"),
        taker_buy=_column(frame, "buy_volume"),
        taker_sell=_column(frame, "sell_volume"),
        ratio_long_share=_column(frame, "long_share"),
        funding_8h=_column(frame, "rate_8h"),
    )


def margin_table(store: Store, venue: str, symbol: str) -> MarginTable | None:
    """The venue's stored brackets for ``symbol`` (``instruments``), else the shipped fallback, else None."""
    sql = "SELECT margin_brackets FROM instruments WHERE venue = ? AND symbol = ? ORDER BY ts_event DESC LIMIT 1"
    frame = store.query(sql, [venue, symbol])
    if frame.height and frame["margin_brackets"][0]:
        brackets = brackets_from_json(frame["margin_brackets"][0])
        if brackets:
            return table_from_brackets(venue, brackets, source=f"{venue} {symbol} brackets (stored instrument)")
    try:
        return fallback_table(venue, symbol)
    except ValueError:
        return None


def heatmap(
    store: Store,
    symbol: str,
    since: int,
    until: int,
    config: HeatmapConfig | None = None,
    venues: Sequence[str] | None = None,
    warmup_ms: int = DEFAULT_WARMUP_MS,
) -> HeatmapResult:
    """The heatmap over ``[since, until)``, per venue and summed; the model runs from ``since - warmup_ms``."""
    config = config or HeatmapConfig()
    runs, notes = _runs(store, symbol, since - warmup_ms, until, config, venues)
    per_venue = {run.venue: crop(heatmap_grid(run), since, config.column_ms) for run in runs}
    where, params = queries.selection(symbol, venues)
    sources = store.query(
        f"SELECT DISTINCT source FROM candles WHERE {where} AND ts_event >= ? AND ts_event < ? ORDER BY source",
        [*params, since, until],
    )["source"].to_list()
    return HeatmapResult(aggregate_heatmaps(list(per_venue.values())), per_venue, tuple(notes), tuple(sources))


def liquidation_map(
    store: Store,
    symbol: str,
    at: int,
    targets: Sequence[float] = (),
    config: HeatmapConfig | None = None,
    venues: Sequence[str] | None = None,
    warmup_ms: int = DEFAULT_WARMUP_MS,
) -> MapResult:
    """The map at the end of the last bar that opened at or before ``at``, over every venue with data."""
    config = config or HeatmapConfig()
    runs, notes = _runs(store, symbol, at - warmup_ms, at + 1, config, venues)
    combined = aggregate_maps([map_at(run, len(run.bars) - 1) for run in runs])
    chosen = tuple(targets) or default_targets(combined.price, config.map_targets)
    at_risk = tuple((target, *combined.at_risk(target)) for target in chosen)
    return MapResult(combined, chosen, at_risk, map_sentence(combined, list(chosen)), tuple(notes))


def crop(heatmap: Heatmap, since: int, column_ms: int) -> Heatmap:
    """The columns that end after ``since`` (the warm-up is computed, not shown)."""
    keep = heatmap.times + column_ms > since
    return dataclasses.replace(
        heatmap,
        times=heatmap.times[keep],
        long=heatmap.long[keep],
        short=heatmap.short[keep],
        candles=heatmap.candles[keep],
    )


def latest_bar_time(store: Store, symbol: str, venues: Sequence[str] | None = None) -> int:
    where, params = queries.selection(symbol, venues)
    frame = store.query(f"SELECT max(ts_event) AS latest FROM candles WHERE kind = 'last' AND {where}", params)
    latest = frame["latest"][0]
    if latest is None:
        raise QueryError(f"no candles for {symbol} in the store")
    return int(latest)


def _runs(
    store: Store, symbol: str, since: int, until: int, config: HeatmapConfig, venues: Sequence[str] | None
) -> tuple[list[ModelRun], list[str]]:
    series = series_available(store, symbol, venues)
    if not series:
        raise QueryError(f"no venue has both candles and open interest for {symbol}")
    runs: list[ModelRun] = []
    notes: list[str] = []
    for venue, name, interval in series:
        try:
            prepared = load_venue(store, venue, name, interval, since, until, config)
        except QueryError as error:
            notes.append(f"{venue} {name} skipped: {error}")
            continue
        notes.extend(prepared.notes)
        run = run_model(prepared.bars, config, venue, symbol=name, table=prepared.table)
        if run.dropped:
            notes.append(f"{venue}: {run.dropped} levels refused by the venue's rules and left out")
        runs.append(run)
    if not runs:
        raise QueryError(f"no venue could be modelled for {symbol}: " + "; ".join(notes))
    return runs, notes


def _candles(store: Store, venue: str, symbol: str, interval: str, since: int, until: int, kind: str) -> pl.DataFrame:
    sql = (
        "SELECT ts_event, open, high, low, close, volume, quote_volume FROM candles WHERE venue = ? AND symbol = ? "
        "AND interval = ? AND kind = ? AND ts_event >= ? AND ts_event < ? ORDER BY ts_event"
    )
    return store.query(sql, [venue, symbol, interval, kind, since, until])


def _with_open_interest(
    store: Store, venue: str, symbol: str, frame: pl.DataFrame, step: int, since: int, until: int
) -> tuple[pl.DataFrame, str]:
    """OI in base units at each bar's end: linear in time between samples, held after the last; bars before the
    first sample are dropped. USD-only samples are turned into base units with their conversion price, else the
    close of the bar they fall in."""
    sql = (
        "SELECT ts_event, oi_base, oi_usd, conversion_price FROM open_interest WHERE venue = ? AND symbol = ? "
        "AND ts_event >= ? AND ts_event < ? ORDER BY ts_event"
    )
    samples = store.query(sql, [venue, symbol, since - 86_400_000, until + step])
    if samples.is_empty():
        raise QueryError(f"no open interest for {venue} {symbol} in the window")
    sample_ts = samples["ts_event"].to_numpy().astype(np.int64)
    closes = np.interp(sample_ts, frame["ts_event"].to_numpy() + step, frame["close"].to_numpy())
    base = samples["oi_base"].to_numpy().astype(np.float64)
    usd = samples["oi_usd"].to_numpy().astype(np.float64)
    conversion = samples["conversion_price"].to_numpy().astype(np.float64)
    price = np.where(np.isfinite(conversion) & (conversion > 0), conversion, closes)
    base = np.where(np.isfinite(base), base, usd / price)
    good = np.isfinite(base) & (base > 0)
    sample_ts, base = sample_ts[good], base[good]
    if sample_ts.size == 0:
        raise QueryError(f"open interest for {venue} {symbol} has no usable value")
    ends = frame["ts_event"].to_numpy() + step
    result = frame.with_columns(pl.Series("oi_base", np.interp(ends, sample_ts, base))).filter(
        pl.Series(ends >= sample_ts[0])
    )
    if result.is_empty():
        raise QueryError(f"open interest for {venue} {symbol} starts after the window")
    spacing = int(np.median(np.diff(sample_ts))) if sample_ts.size > 1 else 0
    note = (
        f"{venue}: open interest from {sample_ts.size} samples (median spacing {spacing / 60_000:.0f} min), "
        "interpolated linearly to bar ends and held after the last sample"
    )
    return result, note


def _with_evidence(store: Store, venue: str, symbol: str, frame: pl.DataFrame, since: int, until: int) -> pl.DataFrame:
    """Taker volume, account long share and settled 8-hour funding as of each bar (latest at or before it)."""
    queries = {
        "taker": "SELECT ts_event, buy_volume, sell_volume FROM taker_volume",
        "ratio": "SELECT ts_event, long_share FROM long_short_ratios",
        "funding": "SELECT ts_event, rate * 8 / interval_h AS rate_8h FROM funding",
    }
    extra = {"taker": "", "ratio": " AND kind = 'accounts'", "funding": " AND kind = 'settled'"}
    # Evidence older than this says nothing about the bar: taker and ratio periods are minutes, funding 1-8 hours.
    tolerance = {"taker": 3_600_000, "ratio": 3_600_000, "funding": 86_400_000}
    result = frame.sort("ts_event")
    for name, select in queries.items():
        sql = (
            f"{select} WHERE venue = ? AND symbol = ? AND ts_event >= ? AND ts_event < ?{extra[name]} ORDER BY ts_event"
        )
        rows = store.query(sql, [venue, symbol, since - 86_400_000, until])
        if rows.height:
            rows = rows.with_columns(pl.col("ts_event").cast(pl.Int64)).unique("ts_event", keep="last").sort("ts_event")
            result = result.join_asof(rows, on="ts_event", strategy="backward", tolerance=tolerance[name])
    return result


def _column(frame: pl.DataFrame, name: str) -> np.ndarray[Any, np.dtype[np.float64]] | None:
    if name not in frame.columns:
        return None
    return frame[name].cast(pl.Float64).fill_null(float("nan")).to_numpy()
