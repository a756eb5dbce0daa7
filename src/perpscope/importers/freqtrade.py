"""freqtrade's downloaded data: ``user_data/data/<exchange>/futures/<PAIR>-<timeframe>-<candle type>.<extension>``.

``freqtrade download-data`` keeps one file per pair, timeframe and candle type, in its ``feather`` (default),
``parquet``, ``json`` or ``jsongz`` data formats (json: a list of ``[date_ms, open, high, low, close, volume]``).
What perpscope takes from each candle type:

- ``futures``: last-trade candles (kind ``last``); volume in base units, as ccxt reports it.
- ``mark``: mark-price candles (kind ``mark``, no volume: freqtrade stores zeros). For venues without mark klines
  (Hyperliquid) freqtrade stores last-trade candles under ``mark``; those carry real volume and are stored as kind
  ``last``, which is what they are.
- ``index``: index-price candles (kind ``index``, no volume).
- ``funding_rate``: settled funding rates, one row per settlement, the rate in ``funding_rate`` (newer freqtrade) or
  in ``open`` (older files: high, low, close and volume are zero). The interval is the spacing of the rows, because
  the file name's timeframe is freqtrade's download setting, which need not be the venue's interval; a one-row
  file falls back to the file name's timeframe.
- spot candles, ``premiumIndex`` candles and trades files are recognised and skipped, with the reason.

The venue is the exchange directory's name (or ``--venue``); the symbol comes from the pair in the file name:
``BTC_USDT_USDT`` is freqtrade's ``BTC/USDT:USDT``, perpscope's ``BTC-USDT-PERP``.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import PurePosixPath
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.parquet as parquet

from perpscope.errors import ParseError
from perpscope.importers.base import ImportOptions, SkipFile, Source, source_label
from perpscope.models import CandleKind, FundingKind, canonical_symbol
from perpscope.times import EARLIEST_MS, LATEST_MS, MS_PER_HOUR, MS_PER_MINUTE, format_ms
from perpscope.venues import catalog

FILE_NAME = re.compile(
    r"^(?P<pair>[A-Za-z0-9][\w\-]*?)-(?P<timeframe>\d+(?:Mo|[smhdwM]))(?:-(?P<candle>[A-Za-z_]+))?"
    r"\.(?P<extension>feather|parquet|json|json\.gz)$"
)
TRADES_NAME = re.compile(r"^[A-Za-z0-9][\w\-]*-trades\.(feather|parquet|json|json\.gz)$")
CANDLE_TYPES = ("futures", "mark", "index", "premiumIndex", "funding_rate")
MAGIC = (b"ARROW1", b"FEA1", b"PAR1")  # feather v2 (Arrow IPC), feather v1, parquet
OHLCV = ("date", "open", "high", "low", "close", "volume")
FUNDING_COLUMNS = ("date", "funding_rate")
CANDLE_INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d")
UNIT_HOURS = {"s": 1 / 3600, "m": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0}

# freqtrade's exchange directory names that differ from perpscope's venue names.
VENUE_ALIASES = {"okex": "okx", "binanceusdm": "binance"}


@dataclasses.dataclass(frozen=True)
class FileName:
    pair: str  # as spelled in the file name: BTC_USDT_USDT
    timeframe: str  # 1h, 8h, 1Mo
    candle: str  # one of CANDLE_TYPES, or "" for spot candles
    extension: str


@dataclasses.dataclass(frozen=True)
class Market:
    venue: str
    symbol: str
    native_symbol: str


def parse_file_name(name: str) -> FileName | None:
    match = FILE_NAME.match(name)
    if match is None or (match.group("candle") or "") not in ("", *CANDLE_TYPES):
        return None
    return FileName(match.group("pair"), match.group("timeframe"), match.group("candle") or "", match["extension"])


def timeframe_hours(timeframe: str) -> float | None:
    """``8h`` -> 8.0; ``None`` for months, which have no fixed length."""
    unit = timeframe[-1]
    if timeframe.endswith(("M", "Mo")) or unit not in UNIT_HOURS:
        return None
    return int(timeframe[:-1]) * UNIT_HOURS[unit]


def market_of(venue: str, pair: str) -> Market:
    """``BTC_USDT_USDT`` on ``binance`` -> BTC-USDT-PERP / BTCUSDT. Non-perpetual pairs are skipped."""
    parts = pair.split("_")
    if len(parts) == 2:
        raise SkipFile(f"spot pair {parts[0]}/{parts[1]}: perpscope stores perpetual futures")
    if len(parts) != 3 or not all(parts):
        raise SkipFile(f"pair {pair!r} is not a freqtrade futures pair (BASE_QUOTE_SETTLE)")
    base, quote, settle = parts[0], parts[1].upper(), parts[2].upper()  # the base keeps its case: kPEPE
    if "-" in settle:
        raise SkipFile(f"dated future {base}/{quote}:{settle}: perpscope stores perpetuals")
    if settle != quote:
        raise SkipFile(f"inverse contract {base}/{quote}:{settle}: only linear perpetuals are imported from freqtrade")
    return Market(venue, canonical_symbol(base, canonical_quote(venue, quote)), native_symbol(venue, base, quote))


def canonical_quote(venue: str, quote: str) -> str:
    """USDC-margined venues whose perpetuals perpscope quotes as USD (Hyperliquid: ``BTC-USD-PERP``)."""
    venue_facts = catalog.facts(venue)
    return "USD" if venue_facts is not None and venue_facts.quote == "USD" and quote == "USDC" else quote


def native_symbol(venue: str, base: str, quote: str) -> str:
    upper = base.upper()
    spellings = {
        "binance": f"{upper}{quote}",
        "bybit": f"{upper}{quote}",
        "okx": f"{upper}-{quote}-SWAP",
        "hyperliquid": base,  # Hyperliquid coins keep their case (kPEPE)
    }
    return spellings.get(venue, f"{base}/{quote}:{quote}")  # other venues: the pair as freqtrade (ccxt) spells it


def venue_of(source: Source, options: ImportOptions) -> str:
    """``--venue`` if given, else the exchange directory above ``futures/``."""
    if options.venue:
        return normalise_venue(options.venue)
    for parts in _directory_candidates(source):
        if len(parts) >= 2 and parts[-1] == "futures":
            return normalise_venue(parts[-2])
    raise ParseError(
        "cannot tell the venue: freqtrade keeps futures data in <exchange>/futures/; move the file there or pass "
        "--venue",
        file=source.name,
    )


def normalise_venue(name: str) -> str:
    lowered = name.strip().lower()
    return VENUE_ALIASES.get(lowered, lowered)


def _directory_candidates(source: Source) -> list[tuple[str, ...]]:
    """Directories holding the file: inside a zip archive first (``archive.zip:binance/futures/x``), then on disk."""
    candidates = []
    if ":" in source.name:
        member = PurePosixPath(source.name.split(":", 1)[1].replace("\\", "/"))
        candidates.append(member.parent.parts)
    candidates.append(source.path.parent.parts)
    return candidates


def base_name(source: Source) -> str:
    return re.split(r"[:/\\]", source.name)[-1]


# -- reading the three storage formats into plain columns ----------------------------------------------------


def read_columns(source: Source, extension: str) -> dict[str, pa.Array]:
    """Column name -> array; ``date`` as int64 milliseconds, the rest as float64."""
    if extension in ("json", "json.gz"):
        return json_columns(source.read_bytes(), file=source.name)
    try:
        target: Any = str(source.path) if source.plain else pa.BufferReader(source.read_bytes())
        table = feather.read_table(target) if extension == "feather" else parquet.read_table(target)
    except (pa.ArrowException, OSError, ValueError) as error:
        raise ParseError(f"not a readable {extension} file: {error}", file=source.name) from None
    return table_columns(table, file=source.name)


def table_columns(table: pa.Table, *, file: str) -> dict[str, pa.Array]:
    if "date" not in table.column_names:
        found = ", ".join(table.column_names)
        raise ParseError(f"missing column (file has: {found})", file=file, field="date")
    columns = {"date": date_milliseconds(table.column("date").combine_chunks(), file=file)}
    for name in table.column_names:
        if name in OHLCV[1:] or name == "funding_rate":
            try:
                columns[name] = table.column(name).combine_chunks().cast(pa.float64())
            except pa.ArrowException:
                raise ParseError(f"not numbers ({table.column(name).type})", file=file, field=name) from None
    return columns


def date_milliseconds(column: pa.Array, *, file: str) -> pa.Array:
    """freqtrade's ``date``: a UTC timestamp column (pandas writes ns or ms) or int64 milliseconds."""
    if pa.types.is_timestamp(column.type):
        divisor = {"s": 0, "ms": 1, "us": 1000, "ns": 1_000_000}[column.type.unit]
        raw = column.cast(pa.int64())
        return pc.multiply(raw, 1000) if divisor == 0 else pc.divide(raw, divisor)
    if pa.types.is_integer(column.type):
        return column.cast(pa.int64())
    if pa.types.is_floating(column.type):
        return pc.round(column).cast(pa.int64(), safe=False)
    raise ParseError(f"not a time column ({column.type})", file=file, field="date")


def json_columns(data: bytes, *, file: str) -> dict[str, pa.Array]:
    """freqtrade's json (``orient="values"``): rows of 6 (OHLCV) or, for newer funding files, 2 values."""
    try:
        rows = msgspec.json.decode(data)
    except msgspec.DecodeError as error:
        raise ParseError(f"not valid JSON: {error}", file=file) from None
    if not isinstance(rows, list):
        raise ParseError("expected a list of rows [date, open, high, low, close, volume]", file=file)
    names = FUNDING_COLUMNS if rows and isinstance(rows[0], list) and len(rows[0]) == 2 else OHLCV
    values: list[list[Any]] = [[] for _ in names]
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != len(names):
            raise ParseError(f"expected a list of {len(names)} values, got {row!r}", file=file, field=f"row {index}")
        for position, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, int | float):
                where = f"{names[position]} (row {index})"
                raise ParseError(f"not a number: {value!r}", file=file, field=where)
            values[position].append(value)
    columns = {"date": pa.array([round(value) for value in values[0]], type=pa.int64())}
    for name, column in zip(names[1:], values[1:], strict=True):
        columns[name] = pa.array(column, type=pa.float64())
    return columns


# -- checks and tables --------------------------------------------------------------------------------------------


def require(columns: dict[str, pa.Array], name: str, *, file: str) -> pa.Array:
    if name not in columns:
        raise ParseError(f"missing column (file has: {', '.join(columns)})", file=file, field=name)
    column = columns[name]
    bad = pc.invert(pc.is_finite(column)) if pa.types.is_floating(column.type) else pc.is_null(column)
    bad = pc.fill_null(bad, True)
    if pc.any(bad).as_py():
        row = pc.index(bad, True).as_py()
        raise ParseError(
            f"missing or not a finite number: {column[row].as_py()!r}", file=file, field=f"{name} (row {row + 1})"
        )
    return column


def checked_dates(columns: dict[str, pa.Array], *, file: str) -> pa.Array:
    dates = require(columns, "date", file=file)
    bad = pc.or_(pc.less(dates, EARLIEST_MS), pc.greater(dates, LATEST_MS))
    if pc.any(bad).as_py():
        row = pc.index(bad, True).as_py()
        value = dates[row].as_py()
        raise ParseError(
            f"time {value} ms is out of range ({format_ms(EARLIEST_MS)} .. {format_ms(LATEST_MS)}): wrong unit?",
            file=file,
            field=f"date (row {row + 1})",
        )
    return dates


def identity_columns(market: Market, rows: int, options: ImportOptions, source: Source) -> dict[str, pa.Array]:
    return {
        "venue": pa.repeat(pa.scalar(market.venue), rows),
        "symbol": pa.repeat(pa.scalar(market.symbol), rows),
        "native_symbol": pa.repeat(pa.scalar(market.native_symbol), rows),
        "ts_recv": pa.repeat(pa.scalar(options.ts_recv, pa.int64()), rows),
        "source": pa.repeat(pa.scalar(source_label(source)), rows),
    }


def settlement_interval_hours(dates: pa.Array, fallback: float | None) -> float:
    """The most common spacing of settlements (rounded to the minute: venues stamp settlements with ms jitter)."""
    minutes = np.unique(np.round(dates.to_numpy() / MS_PER_MINUTE))
    if len(minutes) >= 2:
        gaps, counts = np.unique(np.diff(minutes), return_counts=True)
        return float(gaps[int(np.argmax(counts))]) * MS_PER_MINUTE / MS_PER_HOUR
    if fallback is None:
        raise ParseError("one row and no interval in the file name: cannot tell the funding interval")
    return fallback


def funding_table(columns: dict[str, pa.Array], name: FileName, market: Market, **context: Any) -> pa.Table:
    source, options = context["source"], context["options"]
    dates = checked_dates(columns, file=source.name)
    rate_column = "funding_rate" if "funding_rate" in columns else "open"
    rates = require(columns, rate_column, file=source.name)
    try:
        interval = settlement_interval_hours(dates, timeframe_hours(name.timeframe))
    except ParseError as error:
        raise error.located(file=source.name) from None
    rows = len(dates)
    return pa.table(
        {
            **identity_columns(market, rows, options, source),
            "ts_event": dates,
            "rate": rates,
            "interval_h": pa.repeat(pa.scalar(interval), rows),
            "kind": pa.repeat(pa.scalar(FundingKind.SETTLED.value), rows),
            "funding_time": dates,
        }
    )


def candle_table(columns: dict[str, pa.Array], name: FileName, market: Market, **context: Any) -> pa.Table:
    source, options = context["source"], context["options"]
    if name.timeframe not in CANDLE_INTERVALS:
        raise SkipFile(f"timeframe {name.timeframe}: perpscope stores candles of {', '.join(CANDLE_INTERVALS)}")
    dates = checked_dates(columns, file=source.name)
    prices = {field: require(columns, field, file=source.name) for field in OHLCV[1:5]}
    volume = require(columns, "volume", file=source.name)
    kind = {"futures": CandleKind.LAST, "mark": CandleKind.MARK, "index": CandleKind.INDEX}[name.candle]
    if kind is CandleKind.MARK and pc.any(pc.not_equal(volume, 0.0)).as_py():
        kind = CandleKind.LAST  # freqtrade's "mark" for venues without mark klines: trade candles, with volume
    rows = len(dates)
    return pa.table(
        {
            **identity_columns(market, rows, options, source),
            "ts_event": dates,
            "interval": pa.repeat(pa.scalar(name.timeframe), rows),
            "kind": pa.repeat(pa.scalar(kind.value), rows),
            **prices,
            "volume": volume if kind is CandleKind.LAST else pa.nulls(rows, pa.float64()),
        }
    )


class FreqtradeFormat:
    """``--format freqtrade``: one freqtrade data file (see the module docstring)."""

    name = "freqtrade"

    def sniff(self, source: Source) -> bool:
        name = base_name(source)
        if parse_file_name(name) is None and TRADES_NAME.match(name) is None:
            return False
        head = source.head(16).lstrip()
        return head.startswith((*MAGIC, b"["))

    def read(self, source: Source, options: ImportOptions) -> dict[str, pa.Table]:
        name = parse_file_name(base_name(source))
        if name is None:
            if TRADES_NAME.match(base_name(source)):
                raise SkipFile("freqtrade trades file: perpscope imports candles and funding, not single trades")
            raise ParseError("not a freqtrade data file name (PAIR-timeframe-candletype.extension)", file=source.name)
        if name.candle == "":
            raise SkipFile("freqtrade spot candles: perpscope stores perpetual futures")
        if name.candle == "premiumIndex":
            raise SkipFile("premium index candles: perpscope has no table for them")
        market = market_of(venue_of(source, options), name.pair)
        columns = read_columns(source, name.extension)
        if len(columns["date"]) == 0:
            raise SkipFile("the file holds no rows")
        if name.candle == "funding_rate":
            return {"funding": funding_table(columns, name, market, source=source, options=options)}
        return {"candles": candle_table(columns, name, market, source=source, options=options)}


FORMAT = FreqtradeFormat()
