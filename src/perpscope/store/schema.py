"""The tables, derived from the record types so that model and storage cannot drift apart.

Every table has a natural key: writing the same record twice stores it once, which makes at-least-once
collection loss-free. Event tables keep the first copy (``ignore``); tables whose rows are revised in place — a
candle still forming, an instrument whose parameters changed — keep the latest (``replace``).
PostgreSQL enforces every key with a PRIMARY KEY; DuckDB only the ``replace`` tables' — its single writer
de-duplicates the event tables, whose keys therefore all contain ``ts_event`` (see store/duckdb.py).
The migrations in ``migrations/`` create exactly these columns; a test holds them together.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Literal

import msgspec
import pyarrow as pa

from perpscope import models
from perpscope.errors import StoreError

ConflictPolicy = Literal["ignore", "replace"]


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    sql: str
    arrow: pa.DataType
    nullable: bool


@dataclasses.dataclass(frozen=True)
class Table:
    name: str
    record: type[models.Record]
    key: tuple[str, ...]
    on_conflict: ConflictPolicy
    columns: tuple[Column, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.arrow, nullable=c.nullable) for c in self.columns])


_BASE_KEY = ("venue", "symbol")


def _table(name: str, record: type[models.Record], key: tuple[str, ...], policy: ConflictPolicy) -> Table:
    return Table(name, record, _BASE_KEY + key, policy, _columns(record))


def _columns(record: type[msgspec.Struct]) -> tuple[Column, ...]:
    hints = typing.get_type_hints(record)
    return tuple(_column(field.name, hints[field.name]) for field in msgspec.structs.fields(record))


def _column(name: str, hint: Any) -> Column:
    nullable = False
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        arguments = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        nullable, hint = True, arguments[0]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return Column(name, "TEXT", pa.string(), nullable)
    if typing.get_origin(hint) is tuple:  # nested structs are stored as JSON text
        return Column(name, "TEXT", pa.string(), nullable)
    mapping = {
        bool: ("BOOLEAN", pa.bool_()),
        int: ("BIGINT", pa.int64()),
        float: ("DOUBLE PRECISION", pa.float64()),
        str: ("TEXT", pa.string()),
    }
    sql, arrow = mapping[hint]
    return Column(name, sql, arrow, nullable)


TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        _table("instruments", models.Instrument, (), "replace"),
        # funding_time too: one OKX push predicts two settlements (the next and the one after) at one ts_event.
        _table("funding", models.FundingRate, ("kind", "ts_event", "funding_time"), "ignore"),
        _table("open_interest", models.OpenInterest, ("ts_event",), "ignore"),
        # Two liquidations identical in every field within one millisecond are indistinguishable in every
        # public feed; they are stored once.
        _table("liquidations", models.Liquidation, ("ts_event", "side", "price", "quantity"), "ignore"),
        _table("liquidation_totals", models.LiquidationTotal, ("period", "ts_event"), "replace"),
        _table("prices", models.Price, ("kind", "ts_event"), "ignore"),
        _table("candles", models.Candle, ("interval", "kind", "ts_event"), "replace"),
        _table("long_short_ratios", models.LongShortRatio, ("kind", "period", "ts_event"), "ignore"),
        _table("taker_volume", models.TakerVolume, ("period", "ts_event"), "ignore"),
        _table("gaps", models.Gap, ("channel", "ts_event"), "replace"),
        # replace: a re-fetch keeps the publisher's latest figure for a day, should it ever revise one.
        _table("sentiment", models.SentimentIndex, ("series", "ts_event"), "replace"),
    )
}

TABLE_OF_RECORD: dict[type[models.Record], Table] = {table.record: table for table in TABLES.values()}


def table(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise StoreError(f"unknown table {name!r}; tables: {', '.join(TABLES)}") from None


def records_to_arrow(records: Iterable[models.Record]) -> dict[str, pa.Table]:
    """Group records by table and turn each group into one Arrow table with the table's schema."""
    groups: dict[type[models.Record], list[models.Record]] = defaultdict(list)
    for record in records:
        groups[type(record)].append(record)
    batches: dict[str, pa.Table] = {}
    for record_type, group in groups.items():
        if record_type not in TABLE_OF_RECORD:
            raise StoreError(f"no table stores {record_type.__name__} records")
        spec = TABLE_OF_RECORD[record_type]
        batches[spec.name] = _to_arrow(spec, group)
    return batches


def _to_arrow(spec: Table, records: list[models.Record]) -> pa.Table:
    rows = [msgspec.structs.astuple(record) for record in records]
    columns = list(zip(*rows, strict=True))
    arrays = []
    for column, values in zip(spec.columns, columns, strict=True):
        if column.name == "margin_brackets":
            values = tuple(msgspec.json.encode(value).decode() for value in values)
        arrays.append(pa.array(values, type=column.arrow))
    return pa.Table.from_arrays(arrays, schema=spec.arrow_schema)


def conform(spec: Table, batch: pa.Table) -> pa.Table:
    """Check a batch against the table: every non-null column present, no strangers; cast to the schema."""
    missing = [c.name for c in spec.columns if c.name not in batch.column_names and not c.nullable]
    defaults = {"source": ""}
    missing = [name for name in missing if name not in defaults]
    strangers = [name for name in batch.column_names if name not in spec.column_names]
    if missing or strangers:
        raise StoreError(f"batch for {spec.name}: missing columns {missing}, unknown columns {strangers}")
    arrays = []
    for column in spec.columns:
        if column.name in batch.column_names:
            arrays.append(batch.column(column.name).cast(column.arrow))
        elif column.name in defaults:
            arrays.append(pa.array([defaults[column.name]] * batch.num_rows, type=column.arrow))
        else:
            arrays.append(pa.nulls(batch.num_rows, type=column.arrow))
    return pa.Table.from_arrays(arrays, schema=spec.arrow_schema)
