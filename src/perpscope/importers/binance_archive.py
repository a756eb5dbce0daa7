"""Binance's public data archive (data.binance.vision, ``futures/um``): daily and monthly CSVs, usually zipped.

The file name carries what the rows do not: ``BTCUSDT-1m-2024-01-01``, ``BTCUSDT-markPriceKlines-1h-2024-01``,
``BTCUSDT-fundingRate-2024-01``, ``BTCUSDT-metrics-2024-01-01``. Older files have no header row, newer ones
have one; both are read. Times are epoch milliseconds (``create_time`` of metrics is ``YYYY-MM-DD HH:MM:SS`` UTC).

Metrics rows give open interest (base units, with its USD value) and three long/short ratios. Their taker
buy/sell column is a ratio only, with no volumes behind it, so it is not stored: TakerVolume needs volumes and
perpscope does not invent them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import UTC

import pyarrow as pa

from perpscope.errors import ParseError
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
from perpscope.models import CandleKind, FundingKind, OIUnit, RatioKind
from perpscope.store import schema

INTERVALS = r"(1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d)"
KLINE_COLUMNS = (
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "count",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "ignore",
)
FUNDING_COLUMNS = ("calc_time", "funding_interval_hours", "last_funding_rate")
METRICS_COLUMNS = (
    "create_time",
    "symbol",
    "sum_open_interest",
    "sum_open_interest_value",
    "count_toptrader_long_short_ratio",
    "sum_toptrader_long_short_ratio",
    "count_long_short_ratio",
    "sum_taker_long_short_vol_ratio",
)
RATIOS = {
    "count_toptrader_long_short_ratio": RatioKind.TOP_ACCOUNTS,
    "sum_toptrader_long_short_ratio": RatioKind.TOP_POSITIONS,
    "count_long_short_ratio": RatioKind.ACCOUNTS,
}
METRICS_PERIOD = "5m"  # the archive's metrics are 5-minute snapshots
CANDLE_KINDS = {"": CandleKind.LAST, "markPriceKlines": CandleKind.MARK, "indexPriceKlines": CandleKind.INDEX}
NAME = re.compile(
    r"^(?P<symbol>[A-Z0-9]+)-(?:(?P<kind>markPriceKlines|indexPriceKlines)-)?(?P<interval>" + INTERVALS + r")"
    r"-\d{4}-\d{2}(?:-\d{2})?\.csv$"
    r"|^(?P<fsymbol>[A-Z0-9]+)-fundingRate-\d{4}-\d{2}\.csv$"
    r"|^(?P<msymbol>[A-Z0-9]+)-metrics-\d{4}-\d{2}-\d{2}\.csv$"
)

Row = list[str]


@dataclasses.dataclass(frozen=True)
class Target:
    """What a file name says: the archive family, the symbol and (for klines) the interval and candle kind."""

    family: str  # klines, fundingRate, metrics
    native: str
    interval: str | None = None
    candle_kind: CandleKind = CandleKind.LAST

    @property
    def columns(self) -> tuple[str, ...]:
        return {"klines": KLINE_COLUMNS, "fundingRate": FUNDING_COLUMNS}.get(self.family, METRICS_COLUMNS)


def target_of(name: str) -> Target | None:
    match = NAME.match(name.rsplit(":", 1)[-1].rsplit("/", 1)[-1])
    if match is None:
        return None
    if match["fsymbol"]:
        return Target("fundingRate", match["fsymbol"])
    if match["msymbol"]:
        return Target("metrics", match["msymbol"])
    return Target("klines", match["symbol"], match["interval"], CANDLE_KINDS[match["kind"] or ""])


class BinanceArchiveFormat:
    name = "binance-archive"

    def sniff(self, source: Source) -> bool:
        target = target_of(source.name)
        if target is None:
            return False
        first = source.head(4096).split(b"\n", 1)[0]
        return first.count(b",") + 1 == len(target.columns)

    def read(self, source: Source, options: ImportOptions) -> dict[str, pa.Table]:
        target = target_of(source.name)
        if target is None:
            reason = "not a data.binance.vision file name (e.g. BTCUSDT-1m-2024-01-01.csv, BTCUSDT-metrics-...)"
            raise ParseError(reason, file=source.name)
        parts = split_symbol(options.symbol or target.native)
        if parts is None:
            raise ParseError(f"cannot tell base and quote of symbol {target.native!r}", file=source.name)
        records = _Records(source, options, target, symbol=f"{parts[0]}-{parts[1]}-PERP")
        for line, cells in _data_rows(source, target):
            records.add(line, cells)
        return records.tables()


def _data_rows(source: Source, target: Target) -> list[tuple[int, Row]]:
    """Rows after the optional header, each with the expected number of fields."""
    rows = list(csv_rows(source))
    if rows and _is_header(rows[0][1][0]):
        header = [cell.strip() for cell in rows[0][1]]
        expected = list(target.columns)
        if header != expected:
            missing = next((name for name in expected if name not in header), expected[0])
            reason = f"header does not match the archive's {target.family} columns ({', '.join(expected)})"
            raise ParseError(reason, file=source.name, line=rows[0][0], field=missing)
        rows = rows[1:]
    for line, cells in rows:
        if len(cells) != len(target.columns):
            reason = f"expected {len(target.columns)} fields ({', '.join(target.columns)}), found {len(cells)}"
            raise ParseError(reason, file=source.name, line=line)
    if not rows:
        raise ParseError("no data rows", file=source.name)
    return rows


def _is_header(cell: str) -> bool:
    """Data rows start with a time: epoch milliseconds, or ``YYYY-MM-DD HH:MM:SS`` in metrics files."""
    return re.match(r"^\s*(\d+(\.\d+)?|\d{4}-\d{2}-\d{2}[ T][\d:]+)\s*$", cell) is None


class _Records:
    """Columns of the tables one archive file fills, appended row by row."""

    def __init__(self, source: Source, options: ImportOptions, target: Target, symbol: str):
        self.file = source.name
        self.target = target
        self.options = options
        self.base = {
            "venue": (options.venue or "binance").lower(),
            "symbol": symbol,
            "native_symbol": target.native,
            "ts_recv": options.ts_recv,
            "source": source_label(source),
        }
        self.columns: dict[str, dict[str, list[object]]] = {}
        adders: dict[str, Callable[[int, Row], None]] = {
            "klines": self._kline,
            "fundingRate": self._funding,
            "metrics": self._metrics,
        }
        self.add = adders[target.family]

    def _append(self, table: str, line: int, **values: object) -> None:
        columns = self.columns.setdefault(table, {})
        for name, value in {**self.base, **values, LINE_COLUMN: line}.items():
            columns.setdefault(name, []).append(value)

    def _number(self, cells: Row, name: str, line: int) -> float:
        return required_number(cells[self.target.columns.index(name)], file=self.file, line=line, field=name)

    def _time(self, cells: Row, name: str, line: int) -> int:
        text = cells[self.target.columns.index(name)]
        return timestamp_ms(text, tz=UTC, file=self.file, line=line, field=name)

    def _kline(self, line: int, cells: Row) -> None:
        self._append(
            "candles",
            line,
            ts_event=self._time(cells, "open_time", line),
            interval=self.target.interval,
            kind=self.target.candle_kind.value,
            **{name: self._number(cells, name, line) for name in ("open", "high", "low", "close")},
            volume=self._number(cells, "volume", line),
            quote_volume=self._number(cells, "quote_volume", line),
        )

    def _funding(self, line: int, cells: Row) -> None:
        moment = self._time(cells, "calc_time", line)
        self._append(
            "funding",
            line,
            ts_event=moment,
            rate=self._number(cells, "last_funding_rate", line),
            interval_h=self._number(cells, "funding_interval_hours", line),
            kind=FundingKind.SETTLED.value,
            funding_time=moment,
        )

    def _metrics(self, line: int, cells: Row) -> None:
        moment = self._time(cells, "create_time", line)
        base_units = self._number(cells, "sum_open_interest", line)
        usd = self._number(cells, "sum_open_interest_value", line)
        self._append(
            "open_interest",
            line,
            ts_event=moment,
            oi_base=base_units,
            oi_usd=usd,
            reported=OIUnit.BASE.value,
            conversion_price=usd / base_units if base_units else None,
        )
        for name, kind in RATIOS.items():
            text = cells[self.target.columns.index(name)]
            ratio = number(text, file=self.file, line=line, field=name, allow_empty=True)
            if ratio is None:
                continue  # the archive leaves a ratio empty when Binance did not compute it for that snapshot
            if ratio < 0:
                raise ParseError(
                    f"a long/short ratio cannot be negative: {ratio}", file=self.file, line=line, field=name
                )
            long_share = ratio / (1.0 + ratio)  # ratio = long / short and long + short = 1
            self._append(
                "long_short_ratios",
                line,
                ts_event=moment,
                kind=kind.value,
                period=METRICS_PERIOD,
                long_share=long_share,
                short_share=1.0 - long_share,
            )

    def tables(self) -> dict[str, pa.Table]:
        result = {}
        for table, columns in self.columns.items():
            spec = schema.table(table)
            arrays = {name: pa.array(values, type=_arrow_type(spec, name)) for name, values in columns.items()}
            result[table] = pa.table(arrays)
        return result


def _arrow_type(spec: schema.Table, name: str) -> pa.DataType:
    if name == LINE_COLUMN:
        return pa.int64()
    return next(column.arrow for column in spec.columns if column.name == name)


FORMAT = BinanceArchiveFormat()
