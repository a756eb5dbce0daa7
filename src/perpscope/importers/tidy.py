"""Tidy long-format files: one row per time (and venue and coin), as CSV (plain or gzipped) or parquet.

Recognised by their column names (the header row, or the parquet schema); docs/importing.md lists every layout.
Multi-venue files name venue and coin on every row; single-venue files (``funding_time,funding_rate`` ...) take
them from ``--venue``/``--symbol`` or from the file name (``binance_btcusdt_...``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from perpscope.errors import ParseError
from perpscope.importers import tidy_tables
from perpscope.importers.base import (
    LINE_COLUMN,
    ImportOptions,
    Source,
    csv_rows,
    number,
    required_number,
    source_label,
    split_symbol,
    timestamp_ms,
)
from perpscope.importers.tidy_tables import CANDLE_INTERVALS, Context
from perpscope.models import CandleKind
from perpscope.venues import catalog

Builder = Callable[[pl.DataFrame, Context], dict[str, pa.Table]]
PARQUET_MAGIC = b"PAR1"


@dataclasses.dataclass(frozen=True)
class Layout:
    """One tidy table layout: the columns that identify it and how its rows become records."""

    name: str
    time: str | None  # the time column
    numbers: tuple[str, ...]  # required numeric columns
    build: Builder
    texts: tuple[str, ...] = ("venue", "coin")
    optional: tuple[str, ...] = ()  # optional numeric columns

    @property
    def required(self) -> frozenset[str]:
        return frozenset((self.time,) if self.time else ()) | set(self.numbers) | set(self.texts)

    def matches(self, columns: set[str]) -> bool:
        return self.required <= columns <= self.required | set(self.optional)


LAYOUTS = (
    Layout("funding", "timestamp", ("funding_rate",), tidy_tables.funding),
    Layout("candles", "timestamp", ("o", "h", "l", "c"), tidy_tables.candles, optional=("v",)),
    Layout("open interest", "timestamp", ("oi_usd",), tidy_tables.open_interest),
    Layout("liquidations", "timestamp", ("size_usd", "price"), tidy_tables.liquidations, ("venue", "coin", "side")),
    Layout(
        "liquidation totals",
        "timestamp",
        ("long_usd", "short_usd"),
        tidy_tables.liquidation_totals,
        ("coin",),
        ("total_usd", "liq_count"),
    ),
    Layout("order-book depth", None, ("bid_depth_usd", "mid_price"), tidy_tables.orderbook_depth),
    Layout("single-venue funding", "funding_time", ("funding_rate",), tidy_tables.funding, ()),
    Layout("single-venue candles", "open_time", ("open", "high", "low", "close"), tidy_tables.candles, (), ("volume",)),
    Layout("funding daily mean", "date", ("funding_mean",), tidy_tables.daily_mean, (), ("funding_abs",)),
)
RENAMES = {"open": "o", "high": "h", "low": "l", "close": "c", "volume": "v"}  # single-venue candles -> o,h,l,c,v


def layout_of(columns: set[str]) -> Layout | None:
    return next((layout for layout in LAYOUTS if layout.matches(columns)), None)


def nearest_layout(columns: set[str]) -> Layout | None:
    """The layout this header was probably meant to be: all but one required column present."""
    best = max(LAYOUTS, key=lambda layout: len(layout.required & columns))
    shared = len(best.required & columns)
    return best if shared >= 2 and shared >= len(best.required) - 1 else None


class TidyFormat:
    name = "tidy"

    def sniff(self, source: Source) -> bool:
        columns = _parquet_columns(source) if source.head(4) == PARQUET_MAGIC else _csv_header(source)
        return columns is not None and nearest_layout(set(columns)) is not None

    def read(self, source: Source, options: ImportOptions) -> dict[str, pa.Table]:
        if source.head(4) == PARQUET_MAGIC:
            layout, frame = _read_parquet(source)
        else:
            layout, frame = _read_csv(source, options)
        if layout.time is None:
            return layout.build(frame, _context(source, options))  # a layout perpscope skips, with the reason
        if "coin" not in layout.texts:
            frame = _with_single_venue(frame, source, options)
        elif "venue" not in layout.texts:
            frame = _with_default_venue(frame, options)
        else:
            frame = _with_quotes(frame, source)
        return layout.build(frame, _context(source, options))


def _context(source: Source, options: ImportOptions) -> Context:
    return Context(
        file=source.name,
        label=source_label(source),
        options=options,
        candle_hint=_interval_in_name(source.name),
        candle_kind=_candle_kind(source.name),
    )


def _csv_header(source: Source) -> list[str] | None:
    first = source.head(4096).split(b"\n", 1)[0]
    try:
        text = first.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        return None
    return [cell.strip().strip('"') for cell in text.split(",")] if "," in text else None


def _parquet_columns(source: Source) -> list[str] | None:
    try:
        return list(_parquet_file(source).schema_arrow.names)
    except (pa.ArrowException, OSError, ParseError):
        return None


def _parquet_file(source: Source) -> pq.ParquetFile:
    target = str(source.path) if source.plain else pa.BufferReader(source.read_bytes())
    return pq.ParquetFile(target)


def _choose(columns: list[str], file: str) -> Layout:
    present = set(columns)
    layout = layout_of(present)
    if layout is not None:
        return layout
    nearest = nearest_layout(present)
    if nearest is not None:
        missing = sorted(nearest.required - present)
        if missing:
            reason = f"missing column for a tidy {nearest.name} file (columns: {', '.join(columns)})"
            raise ParseError(reason, file=file, line=1, field=missing[0])
        strangers = sorted(present - nearest.required - set(nearest.optional))
        raise ParseError(f"unexpected column in a tidy {nearest.name} file", file=file, line=1, field=strangers[0])
    raise ParseError(f"columns match no tidy layout: {', '.join(columns)}", file=file, line=1)


def _read_csv(source: Source, options: ImportOptions) -> tuple[Layout, pl.DataFrame]:
    rows = csv_rows(source)
    first = next(rows, None)
    if first is None:
        raise ParseError("empty file: no header row", file=source.name, line=1)
    header = [cell.strip() for cell in first[1]]
    layout = _choose(header, source.name)
    if layout.time is None:
        return layout, pl.DataFrame()
    position = {name: index for index, name in enumerate(header)}
    numbers = [name for name in (*layout.numbers, *layout.optional) if name in position]
    columns: dict[str, list[object]] = {name: [] for name in ("ts", *layout.texts, *numbers, LINE_COLUMN)}
    for line, cells in rows:
        if len(cells) != len(header):
            reason = f"expected {len(header)} fields ({', '.join(header)}), found {len(cells)}"
            raise ParseError(reason, file=source.name, line=line)
        _parse_row(layout, cells, position, numbers, columns, source.name, line, options)
    if not columns["ts"]:
        raise ParseError("no data rows after the header", file=source.name, line=2)
    return layout, _frame(columns, numbers)


def _parse_row(
    layout: Layout,
    cells: list[str],
    position: dict[str, int],
    numbers: list[str],
    columns: dict[str, list[object]],
    file: str,
    line: int,
    options: ImportOptions,
) -> None:
    assert layout.time is not None  # layouts without a time column are only skipped, never parsed row by row
    columns["ts"].append(
        timestamp_ms(cells[position[layout.time]], tz=options.tz, file=file, line=line, field=layout.time)
    )
    for name in layout.texts:
        text = cells[position[name]].strip()
        if not text:
            raise ParseError("empty, a value is required", file=file, line=line, field=name)
        columns[name].append(text.lower() if name == "venue" else text)
    for name in numbers:
        cell = cells[position[name]]
        if name in layout.optional:
            columns[name].append(number(cell, file=file, line=line, field=name, allow_empty=True))
        else:
            columns[name].append(required_number(cell, file=file, line=line, field=name))
    columns[LINE_COLUMN].append(line)


def _frame(columns: dict[str, list[object]], numbers: list[str]) -> pl.DataFrame:
    schema = {name: pl.Float64 for name in numbers} | {"ts": pl.Int64, LINE_COLUMN: pl.Int64}
    frame = pl.DataFrame(columns, schema_overrides=schema)
    return frame.rename({old: new for old, new in RENAMES.items() if old in frame.columns})


def _read_parquet(source: Source) -> tuple[Layout, pl.DataFrame]:
    try:
        table = _parquet_file(source).read()
    except (pa.ArrowException, OSError) as error:
        raise ParseError(f"not a readable parquet file: {error}", file=source.name) from None
    layout = _choose(table.column_names, source.name)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if layout.time is None:
        return layout, frame
    numbers = [name for name in (*layout.numbers, *layout.optional) if name in frame.columns]
    for name in (layout.time, *layout.texts, *numbers):
        nulls = frame[name].is_null()
        if nulls.any():
            row = int(nulls.arg_true()[0]) + 1
            raise ParseError("empty, a value is required", file=source.name, field=f"{name} (row {row})")
    try:
        typed = frame.select(
            _parquet_time(frame[layout.time]).alias("ts"),
            *(pl.col(name).cast(pl.Utf8) for name in layout.texts),
            *(pl.col(name).cast(pl.Float64) for name in numbers),
        )
    except pl.exceptions.PolarsError as error:
        raise ParseError(f"a column has the wrong type: {error}", file=source.name) from None
    if "venue" in typed.columns:
        typed = typed.with_columns(pl.col("venue").str.to_lowercase())
    return layout, typed.with_columns(pl.lit(None, dtype=pl.Int64).alias(LINE_COLUMN)).rename(
        {old: new for old, new in RENAMES.items() if old in typed.columns}
    )


def _parquet_time(column: pl.Series) -> pl.Expr:
    if column.dtype.is_temporal():
        return pl.col(column.name).dt.epoch("ms")
    return pl.col(column.name).cast(pl.Int64)


def _with_default_venue(frame: pl.DataFrame, options: ImportOptions) -> pl.DataFrame:
    """Aggregates that do not name their venue: ``--venue``, else ``unknown`` (quote USD: the sums are in USD)."""
    venue = (options.venue or "unknown").lower()
    facts = catalog.facts(venue)
    return frame.with_columns(
        pl.lit(venue).alias("venue"),
        pl.lit(facts.quote if facts else "USD").alias("quote"),
        pl.col("coin").alias("native"),
    )


def _with_quotes(frame: pl.DataFrame, source: Source) -> pl.DataFrame:
    """Quote currency per venue (catalog); the file's own coin spelling is kept as the native symbol."""
    for venue, line in frame.group_by("venue").agg(pl.col(LINE_COLUMN).first()).iter_rows():
        if catalog.facts(venue) is None:
            known = ", ".join(catalog.VENUES)
            raise ParseError(f"unknown venue {venue!r} (known: {known})", file=source.name, line=line, field="venue")
    quotes = pl.DataFrame({"venue": list(catalog.VENUES), "quote": [f.quote for f in catalog.VENUES.values()]})
    return frame.join(quotes, on="venue", how="left").with_columns(pl.col("coin").alias("native"))


def _with_single_venue(frame: pl.DataFrame, source: Source, options: ImportOptions) -> pl.DataFrame:
    tokens = [token.lower() for token in re.split(r"[_\-.\s]+", Path(source.name).name)]
    venue = (options.venue or next((token for token in tokens if token in catalog.VENUES), "") or "").lower()
    if not venue:
        raise ParseError("the file does not say its venue: add --venue", file=source.name)
    symbol = options.symbol or next((token for token in tokens if split_symbol(token)), None)
    parts = split_symbol(symbol) if symbol else None
    if parts is None:
        raise ParseError("the file does not say its symbol: add --symbol (e.g. BTCUSDT)", file=source.name)
    base, quote, native = parts
    if "venue" not in frame.columns:
        frame = frame.with_columns(pl.lit(venue).alias("venue"))
    return frame.with_columns(pl.lit(base).alias("coin"), pl.lit(quote).alias("quote"), pl.lit(native).alias("native"))


def _interval_in_name(name: str) -> str | None:
    tokens = re.split(r"[_\-.\s]+", Path(name).name.lower())
    return next((token for token in tokens if token in CANDLE_INTERVALS.values()), None)


def _candle_kind(name: str) -> CandleKind:
    lower = Path(name).name.lower()
    if "mark" in lower:
        return CandleKind.MARK
    if "index" in lower:
        return CandleKind.INDEX
    return CandleKind.LAST


FORMAT = TidyFormat()
