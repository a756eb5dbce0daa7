"""Funding-rate history exported from an exchange's web page: a quoted CSV for people, not programs.

What such exports share, and what this format therefore expects:

- a header row with a time column (``Time``, ``Funding Time``, ``Date``, ``Timestamp``...) and a rate column
  (``Funding Rate``; a ``Real``/``Realized``/``Actual Funding Rate`` column is preferred when both are present,
  because that is the rate that was paid);
- rates as percent strings (``0.0100%``); a bare number is a percent when the header says so (``Funding Rate(%)``),
  otherwise a fraction;
- times in the browser's local time zone, without an offset: ``--tz`` names it (default UTC). A header such as
  ``Time(UTC+8)`` states the zone and wins over ``--tz``;
- newest row first, comma-, semicolon- or tab-separated, optional UTF-8 byte order mark.

The one shape confirmed from a real file is Binance's "Funding Rate History" page export (``Time, Contracts,
Funding Interval, Funding Rate``, ``BTCUSDT Perpetual``, ``8h``, ``0.003694%``); Bybit's and OKX's page exports are
read by the same rules, which are a design against their most likely shape, not a copy of a real file.

The venue comes from ``--venue``, else from the Binance header shape or the file name (``bybit-funding.csv``), else
from an OKX-style instrument (``BTC-USDT-SWAP``). The symbol comes from the contract column, else ``--symbol``, else
the file name (``Funding Rate History_BTCUSDT Perpetual_2025-06-18.csv``). The interval comes from an interval column
(``8h``), else the spacing of the rows, else the venue's usual interval.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, timedelta, timezone, tzinfo

import numpy as np
import pyarrow as pa

from perpscope.errors import ParseError
from perpscope.importers.base import (
    LINE_COLUMN,
    ImportOptions,
    SkipFile,
    Source,
    csv_rows,
    required_number,
    source_label,
    timestamp_ms,
)
from perpscope.importers.freqtrade import canonical_quote, native_symbol, normalise_venue, settlement_interval_hours
from perpscope.models import FundingKind, FundingRate, canonical_symbol
from perpscope.store.schema import records_to_arrow
from perpscope.venues import catalog

TIME_NAMES = ("funding time", "time", "date", "timestamp", "funding date", "settlement time", "date time")
RATE_NAMES = ("real funding rate", "realized funding rate", "actual funding rate", "funding rate")
SYMBOL_NAMES = ("contracts", "contract", "symbol", "instrument", "trading pair", "pair")
INTERVAL_NAMES = ("funding interval", "interval")
BINANCE_HEADER = ("time", "contracts", "funding interval", "funding rate")
VENUE_NAMES = ("binance", "bybit", "okx", "hyperliquid")
QUOTES = ("FDUSD", "USDT", "USDC", "BUSD", "USD")
DELIMITERS = (",", ";", "\t")

_PARENTHESIS = re.compile(r"\(([^)]*)\)")
_UTC_OFFSET = re.compile(r"^utc\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?$")
_SLASHED_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(.*)$")
_INTERVAL = re.compile(r"^(\d+(?:\.\d+)?)\s*(h|hr|hrs|hour|hours)?$", re.IGNORECASE)
_CONTRACT_NOISE = re.compile(r"\s*(perpetual|perp|swap contract)\s*$", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Column:
    name: str  # normalised: lower case, single spaces, no parenthesis
    note: str  # what stood in parentheses, lower case ("%", "utc+8")
    percent: bool  # the header marks the column as percent


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where the columns of one export are, and how to read them."""

    time: int
    rate: int
    symbol: int | None
    interval: int | None
    rate_in_percent: bool
    tz: tzinfo | None  # stated by the header, else None (use --tz)
    binance_shape: bool


def header_column(text: str) -> Column:
    cleaned = text.strip().strip('"').strip().lower()
    notes = _PARENTHESIS.findall(cleaned)
    name = " ".join(_PARENTHESIS.sub(" ", cleaned).replace("_", " ").replace("%", " ").split())
    note = " ".join(part.strip() for part in notes)
    return Column(name, note, "%" in cleaned)


def find_layout(header: list[str]) -> Layout | None:
    """The layout of a header row, or None when it is not a funding-history export."""
    columns = [header_column(cell) for cell in header]
    names = [column.name for column in columns]
    time = _first(names, TIME_NAMES)
    rate = _first(names, RATE_NAMES)
    if time is None or rate is None:
        return None
    return Layout(
        time=time,
        rate=rate,
        symbol=_first(names, SYMBOL_NAMES),
        interval=_first(names, INTERVAL_NAMES),
        rate_in_percent=columns[rate].percent,
        tz=stated_zone(columns[time].note),
        binance_shape=tuple(names) == BINANCE_HEADER,
    )


def _first(names: list[str], wanted: tuple[str, ...]) -> int | None:
    for candidate in wanted:  # in order of preference
        if candidate in names:
            return names.index(candidate)
    return None


def stated_zone(note: str) -> tzinfo | None:
    """``utc`` -> UTC, ``utc+8`` -> UTC+08:00, anything else -> None."""
    match = _UTC_OFFSET.match(note.strip())
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    if hours is None:
        return UTC
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(-offset if sign == "-" else offset)


def delimiter_of(first_line: str) -> str:
    return max(DELIMITERS, key=first_line.count)


def parse_rate(text: str, *, in_percent: bool, file: str, line: int, field: str) -> float:
    """``0.0100%`` -> 0.0001; a bare number is a percent only when the header said so."""
    cleaned = text.strip().replace("\u2212", "-").replace(" ", "")
    percent = cleaned.endswith("%")
    value = required_number(cleaned.removesuffix("%"), file=file, line=line, field=field)
    return value / 100 if percent or in_percent else value


def parse_interval(text: str, *, file: str, line: int, field: str) -> float:
    match = _INTERVAL.match(text.strip())
    if match is None or float(match.group(1)) <= 0:
        raise ParseError(f"not a funding interval: {text!r} (expected e.g. 8h)", file=file, line=line, field=field)
    return float(match.group(1))


def parse_local_time(text: str, *, tz: tzinfo, file: str, line: int, field: str) -> int:
    """``2025-06-18 16:00:00`` or ``2025/06/18 16:00`` in ``tz``; day-first dates are refused as ambiguous."""
    stripped = text.strip()
    slashed = _SLASHED_DATE.match(stripped)
    if slashed:
        year, month, day, rest = slashed.groups()
        stripped = f"{year}-{int(month):02d}-{int(day):02d}{rest}"
    elif re.match(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}", stripped):
        reason = f"ambiguous date {stripped!r}: day and month order unknown; export with year first (YYYY-MM-DD)"
        raise ParseError(reason, file=file, line=line, field=field)
    return timestamp_ms(stripped, tz=tz, file=file, line=line, field=field)


def split_contract(text: str) -> tuple[str, str] | None:
    """``BTCUSDT Perpetual`` / ``BTC-USDT-SWAP`` / ``BTC/USDT`` -> (``BTC``, ``USDT``)."""
    cleaned = _CONTRACT_NOISE.sub("", text.strip()).upper().replace("/", "-").replace(" ", "")
    parts = [part for part in cleaned.split("-") if part not in ("SWAP", "PERP", "")]
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 1:
        for quote in QUOTES:
            if parts[0].endswith(quote) and len(parts[0]) > len(quote):
                return parts[0][: -len(quote)], quote
    return None


# -- reading a whole export ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Row:
    line: int
    time: str
    rate: str
    contract: str | None
    interval: str | None


def first_line(source: Source) -> str:
    text = source.head(4096).decode("utf-8-sig", errors="replace")
    return next((line for line in text.splitlines() if line.strip()), "")


def export_rows(source: Source) -> tuple[Layout, list[Row]]:
    rows = csv_rows(source, delimiter_of(first_line(source)))
    header_line, header = next(rows, (1, []))
    layout = find_layout(header)
    if layout is None:
        found = ", ".join(cell.strip() for cell in header)
        reason = f"not a funding-history export: needs a time and a funding rate column (header has: {found})"
        raise ParseError(reason, file=source.name, line=header_line)
    return layout, list(_rows(rows, layout, len(header), source.name))


def _rows(rows: Iterator[tuple[int, list[str]]], layout: Layout, width: int, file: str) -> Iterator[Row]:
    for line, cells in rows:
        if len(cells) < width:
            raise ParseError(f"{len(cells)} cells, the header has {width}", file=file, line=line)
        yield Row(
            line,
            cells[layout.time],
            cells[layout.rate],
            cells[layout.symbol] if layout.symbol is not None else None,
            cells[layout.interval] if layout.interval is not None else None,
        )


def venue_of(source: Source, options: ImportOptions, layout: Layout, rows: list[Row]) -> str:
    if options.venue:
        return normalise_venue(options.venue)
    if layout.binance_shape:
        return "binance"
    lowered = source.name.lower()
    for name in VENUE_NAMES:
        if name in lowered:
            return name
    if rows and rows[0].contract and rows[0].contract.strip().upper().endswith("-SWAP"):
        return "okx"
    raise ParseError("cannot tell which venue this export is from: pass --venue", file=source.name)


def default_contract(source: Source, options: ImportOptions) -> tuple[str, str] | None:
    """For exports without a contract column: ``--symbol`` (canonical or native), else a token of the file name."""
    if options.symbol:
        parts = options.symbol.upper().split("-")
        if len(parts) == 3 and parts[2] == "PERP":
            return parts[0], parts[1]
        return split_contract(options.symbol)
    stem = re.split(r"[:/\\]", source.name)[-1].rsplit(".", 1)[0]
    for token in re.split(r"[_\s]+", stem):
        found = split_contract(token) if not re.search(r"\d{4}-\d{2}", token) else None
        if found is not None:
            return found
    return None


@dataclasses.dataclass(frozen=True)
class Parsed:
    row: Row
    ts: int
    rate: float
    interval: float | None
    base: str
    quote: str


def parse_row(row: Row, layout: Layout, tz: tzinfo, fallback: tuple[str, str] | None, file: str) -> Parsed:
    ts = parse_local_time(row.time, tz=tz, file=file, line=row.line, field="time")
    rate = parse_rate(row.rate, in_percent=layout.rate_in_percent, file=file, line=row.line, field="funding rate")
    interval = (
        parse_interval(row.interval, file=file, line=row.line, field="funding interval") if row.interval else None
    )
    contract = split_contract(row.contract) if row.contract else fallback
    if contract is None:
        what = f"not a contract: {row.contract!r}" if row.contract else "no contract column: pass --symbol"
        raise ParseError(what, file=file, line=row.line, field="symbol")
    return Parsed(row, ts, rate, interval, contract[0], contract[1])


def interval_by_contract(parsed: list[Parsed], venue: str, file: str) -> dict[tuple[str, str], float]:
    """Each contract's settlement spacing (most common gap), else the venue's usual interval."""
    usual = catalog.facts(venue)
    fallback = usual.funding_interval_h if usual is not None else None
    result = {}
    for contract in {(item.base, item.quote) for item in parsed}:
        times = pa.array(sorted(item.ts for item in parsed if (item.base, item.quote) == contract), pa.int64())
        try:
            result[contract] = settlement_interval_hours(times, fallback)
        except ParseError as error:
            raise error.located(file=file) from None
    return result


def funding_records(parsed: list[Parsed], venue: str, options: ImportOptions, source: Source) -> list[FundingRate]:
    spacing = {} if all(item.interval for item in parsed) else interval_by_contract(parsed, venue, source.name)
    label = source_label(source)
    records = []
    for item in parsed:
        records.append(
            FundingRate(
                venue=venue,
                symbol=canonical_symbol(item.base, canonical_quote(venue, item.quote)),
                native_symbol=native_symbol(venue, item.base, item.quote),
                ts_event=item.ts,
                ts_recv=options.ts_recv,
                source=label,
                rate=item.rate,
                interval_h=item.interval or spacing[(item.base, item.quote)],
                kind=FundingKind.SETTLED,
                funding_time=item.ts,
            )
        )
    return records


class WebExportFormat:
    """``--format web-export``: an exchange web page's funding-rate history download (see the module docstring)."""

    name = "web-export"

    def sniff(self, source: Source) -> bool:
        line = first_line(source)
        if not line or "\x00" in line:
            return False
        cells = next(iter(_split(line)), [])
        layout = find_layout(cells)
        # machine CSVs (funding_rate, ts_event) belong to the tidy formats: web pages label columns for people
        return layout is not None and "_" not in cells[layout.rate]

    def read(self, source: Source, options: ImportOptions) -> dict[str, pa.Table]:
        layout, rows = export_rows(source)
        if not rows:
            raise SkipFile("the export holds a header and no rows")
        venue = venue_of(source, options, layout, rows)
        tz = layout.tz or options.tz
        fallback = default_contract(source, options)
        parsed = [parse_row(row, layout, tz, fallback, source.name) for row in rows]
        table = records_to_arrow(funding_records(parsed, venue, options, source))["funding"]
        lines = pa.array(np.array([item.row.line for item in parsed], dtype=np.int64))
        return {"funding": table.append_column(LINE_COLUMN, lines)}


def _split(line: str) -> list[list[str]]:
    return list(csv.reader([line], delimiter=delimiter_of(line)))


FORMAT = WebExportFormat()
