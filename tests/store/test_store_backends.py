"""The Store contract, run on every backend (DuckDB, and PostgreSQL on a private cluster): ``any_store``."""

from __future__ import annotations

import itertools

import msgspec
import polars as pl
import pyarrow as pa
import pytest
from store_samples import MINUTE, T0, every_record, liquidations

from perpscope import models
from perpscope.errors import StoreError
from perpscope.store import DuckDBStore, Store, WriteCount, open_store, schema
from perpscope.store.base import latest_version, migrations

_RECORD_FIELDS = ("venue", "symbol", "native_symbol", "ts_event", "ts_recv", "source")


def _stored(store: Store, spec: schema.Table) -> list[models.Record]:
    """Every row of a table, turned back into its record type (margin brackets decoded from JSON)."""
    columns = ", ".join(spec.column_names)
    rows = store.query(f"SELECT {columns} FROM {spec.name} ORDER BY {', '.join(spec.key)}").to_dicts()
    for row in rows:
        if "margin_brackets" in row:
            row["margin_brackets"] = msgspec.json.decode(row["margin_brackets"])
    return [msgspec.convert(row, spec.record) for row in rows]


def _sort_key(spec: schema.Table, record: models.Record) -> tuple[object, ...]:
    return tuple(str(getattr(record, name)) if name in ("side", "kind") else getattr(record, name) for name in spec.key)


def test_migrations_applied_once(any_store: Store, any_store_url: str) -> None:
    assert any_store.schema_version() == latest_version() >= 1
    expected = [(migration.version, migration.name) for migration in migrations("duckdb")]
    applied = any_store.query("SELECT version, name FROM schema_migrations ORDER BY version")
    assert applied.rows() == expected
    assert expected[0] == (1, "initial")
    any_store.close()
    with open_store(any_store_url) as reopened:  # opening again applies nothing twice
        assert reopened.schema_version() == latest_version()
        assert reopened.count("funding") == 0
        assert reopened.query("SELECT count(*) AS n FROM schema_migrations")["n"].to_list() == [len(expected)]


def test_every_record_type_round_trips(any_store: Store) -> None:
    records = every_record()
    counts = any_store.write_records(records)
    assert counts == {name: WriteCount(2, 2) for name in schema.TABLES}, "store_samples.py lacks a record type"
    for spec in schema.TABLES.values():
        written = sorted((r for r in records if type(r) is spec.record), key=lambda r: _sort_key(spec, r))
        stored = _stored(any_store, spec)
        assert len(stored) == 2
        for expected, actual in zip(written, stored, strict=True):
            for field in msgspec.structs.fields(spec.record):
                assert getattr(actual, field.name) == getattr(expected, field.name), (spec.name, field.name)


def test_stored_values_and_types_as_written(any_store: Store) -> None:
    any_store.write_records(every_record())
    liquidation = any_store.query(
        "SELECT side, price, quantity, notional_usd, complete, ts_event FROM liquidations WHERE symbol = ?",
        ["BTC-USDT-PERP"],
    )
    assert liquidation.rows() == [("long", 35_000.5, 0.012, 420.006, False, T0)]
    assert liquidation.dtypes == [pl.String, pl.Float64, pl.Float64, pl.Float64, pl.Boolean, pl.Int64]
    interest = any_store.query("SELECT oi_contracts, oi_usd, reported FROM open_interest ORDER BY ts_event")
    assert interest.rows() == [(81_000.5, 2.9e9, "contracts"), (None, None, "base")]
    assert interest.dtypes == [pl.Float64, pl.Float64, pl.String]
    brackets = any_store.query("SELECT margin_brackets FROM instruments WHERE symbol = 'BTC-USDT-PERP'").item()
    assert msgspec.json.decode(brackets)[1] == {
        "floor": 50_000.0,
        "cap": 600_000.0,
        "max_leverage": 100.0,
        "mmr": 0.005,
        "maintenance_amount": 50.0,
    }
    assert any_store.query("SELECT margin_brackets FROM instruments WHERE symbol = 'ETH-USDT-PERP'").item() == "[]"
    totals = any_store.query("SELECT count FROM liquidation_totals ORDER BY ts_event")
    assert totals["count"].to_list() == [42, None]


def test_empty_result_keeps_column_types(any_store: Store) -> None:
    empty = any_store.query("SELECT ts_event, price, side, complete FROM liquidations WHERE price < ?", [0.0])
    assert empty.height == 0
    assert empty.columns == ["ts_event", "price", "side", "complete"]
    assert empty.dtypes == [pl.Int64, pl.Float64, pl.String, pl.Boolean]


def test_placeholders_beside_literal_percent_and_question_mark(any_store: Store) -> None:
    any_store.write(
        {"liquidations": liquidations(10)}  # ts_event T0+0..9; odd numbers are longs
    )
    found = any_store.query(
        "SELECT count(*) AS n, '?%' AS literal FROM liquidations WHERE symbol LIKE 'BTC%' AND side = ? "
        "AND ts_event >= ?",
        ["long", T0 + 4],
    )
    assert found.rows() == [(3, "?%")]  # T0+5, +7, +9


def test_same_batch_twice_is_stored_once(any_store: Store) -> None:
    batch = liquidations(100)
    assert any_store.write({"liquidations": batch}) == {"liquidations": WriteCount(100, 100)}
    again = any_store.write({"liquidations": batch})
    assert again == {"liquidations": WriteCount(100, 0)}
    assert again["liquidations"].present == 100
    assert any_store.count("liquidations") == 100
    overlapping = any_store.write({"liquidations": liquidations(50, start=80)})  # 80..129: 30 new
    assert overlapping == {"liquidations": WriteCount(50, 30)}
    assert any_store.count("liquidations") == 130
    bounds = any_store.query("SELECT min(ts_event) AS first, max(ts_event) AS last FROM liquidations")
    assert bounds.rows() == [(T0, T0 + 129)]


def test_duplicates_within_one_batch_are_stored_once(any_store: Store) -> None:
    one = liquidations(1)
    batch = pa.concat_tables([one, liquidations(1, start=1), one, one])
    assert any_store.write({"liquidations": batch}) == {"liquidations": WriteCount(4, 2)}
    assert any_store.count("liquidations") == 2
    candle = next(r for r in every_record() if isinstance(r, models.Candle))
    assert any_store.write_records([candle, candle]) == {"candles": WriteCount(2, 1)}
    assert any_store.count("candles") == 1


def test_replace_policy_keeps_the_latest_copy(any_store: Store) -> None:
    candle = next(r for r in every_record() if isinstance(r, models.Candle))
    assert any_store.write_records([candle]) == {"candles": WriteCount(1, 1)}
    revised = msgspec.structs.replace(candle, close=35_900.0, high=35_910.0, volume=None, ts_recv=T0 + 60_000)
    assert any_store.write_records([revised]) == {"candles": WriteCount(1, 0)}  # present, not added
    stored = any_store.query("SELECT close, high, low, volume, ts_recv FROM candles")
    assert stored.rows() == [(35_900.0, 35_910.0, 35_760.0, None, T0 + 60_000)]
    instrument = next(r for r in every_record() if isinstance(r, models.Instrument))
    any_store.write_records([instrument])
    assert any_store.write_records([msgspec.structs.replace(instrument, tick_size=0.5)]) == {
        "instruments": WriteCount(1, 0)
    }
    assert any_store.query("SELECT tick_size FROM instruments").item() == 0.5


def _numbered(numbers: list[int]) -> pa.Table:
    """Liquidations numbered as in ``liquidations``, in the order given (repeats allowed)."""
    return pa.concat_tables([liquidations(1, start=number) for number in numbers])


def _stored_numbers(store: Store) -> list[int]:
    return store.query("SELECT ts_event - ? AS n FROM liquidations ORDER BY ts_event", [T0])["n"].to_list()


def test_batch_overlapping_stored_rows_across_a_range_adds_only_new_ones(any_store: Store) -> None:
    any_store.write({"liquidations": liquidations(100, start=100)})  # 100..199
    # 50..249: reaches past the stored rows at both ends
    assert any_store.write({"liquidations": liquidations(200, start=50)}) == {"liquidations": WriteCount(200, 100)}
    assert _stored_numbers(any_store) == list(range(50, 250))
    # repeats within the batch, of stored rows and of new ones: 120 and 180 stored, 40 and 260 new
    batch = _numbered([260, 120, 40, 260, 180, 120, 40, 260])
    assert any_store.write({"liquidations": batch}) == {"liquidations": WriteCount(8, 2)}
    assert _stored_numbers(any_store) == [40, *range(50, 250), 260]


def test_history_written_after_live_data_is_deduplicated_exactly(any_store: Store) -> None:
    any_store.write({"liquidations": liquidations(500, start=1_000)})  # live: 1000..1499
    history = liquidations(1_200)  # 0..1199, imported later: 1000..1199 already stored
    assert any_store.write({"liquidations": history}) == {"liquidations": WriteCount(1_200, 1_000)}
    # one batch whose range spans both, out of order, with repeats: only 1500 and 1600 are new
    scattered = _numbered([1_600, 0, 1_499, 700, 1_500, 1_600, 0, 1_100])
    assert any_store.write({"liquidations": scattered}) == {"liquidations": WriteCount(8, 2)}
    assert _stored_numbers(any_store) == [*range(1_500), 1_500, 1_600]
    assert any_store.write({"liquidations": history}) == {"liquidations": WriteCount(1_200, 0)}
    assert any_store.count("liquidations") == 1_502


def test_replace_batch_keeps_the_copy_received_last(any_store: Store) -> None:
    candle = next(r for r in every_record() if isinstance(r, models.Candle))
    received = [(T0 + 10, 35_810.0), (T0 + 30, 35_830.0), (T0 + 20, 35_820.0)]
    for number, order in enumerate(itertools.permutations(received)):  # each order on a candle of its own
        copies = [
            msgspec.structs.replace(candle, ts_event=T0 + number * MINUTE, ts_recv=recv, close=close)
            for recv, close in order
        ]
        assert any_store.write_records(copies) == {"candles": WriteCount(3, 1)}
    stored = any_store.query("SELECT ts_event, ts_recv, close FROM candles ORDER BY ts_event")
    assert stored.rows() == [(T0 + number * MINUTE, T0 + 30, 35_830.0) for number in range(6)]
    # received in the same millisecond: the later row of the batch wins
    tied = [msgspec.structs.replace(candle, ts_recv=T0 + 99, close=close) for close in (1.0, 2.0, 3.0)]
    assert any_store.write_records(tied) == {"candles": WriteCount(3, 0)}
    assert any_store.query("SELECT close FROM candles WHERE ts_event = ?", [T0]).item() == 3.0
    assert any_store.write_records(tied[::-1]) == {"candles": WriteCount(3, 0)}
    assert any_store.query("SELECT close FROM candles WHERE ts_event = ?", [T0]).item() == 1.0


def test_failed_write_changes_no_table(any_store: Store) -> None:
    any_store.write({"liquidations": liquidations(5)})
    funding = schema.records_to_arrow([r for r in every_record() if isinstance(r, models.FundingRate)])
    bad = liquidations(3, start=100)
    bad = bad.set_column(bad.schema.get_field_index("price"), "price", pa.array([1.0, None, 3.0], pa.float64()))
    with pytest.raises(StoreError, match="nothing was stored"):
        any_store.write({"funding": funding["funding"], "liquidations": bad})  # funding first: rolled back
    assert any_store.count("funding") == 0
    assert any_store.count("liquidations") == 5
    assert any_store.write({"funding": funding["funding"]}) == {"funding": WriteCount(2, 2)}  # still usable


def test_batch_with_unknown_column_is_refused(any_store: Store) -> None:
    batch = liquidations(2).append_column("colour", pa.array(["red", "blue"]))
    with pytest.raises(StoreError, match=r"unknown columns \['colour'\]"):
        any_store.write({"liquidations": batch})
    with pytest.raises(StoreError, match="unknown table 'trades'"):
        any_store.write({"trades": batch})


def test_bad_query_is_a_store_error(any_store: Store) -> None:
    with pytest.raises(StoreError, match="no_such_table"):
        any_store.query("SELECT * FROM no_such_table")
    assert any_store.count("prices") == 0  # the store still works after a failed query


def test_read_only_store_refuses_writes(any_store: Store, any_store_url: str) -> None:
    any_store.write({"liquidations": liquidations(3)})
    with open_store(any_store_url, read_only=True) as reader:
        assert reader.count("liquidations") == 3
        with pytest.raises(StoreError, match="read-only"):
            reader.write({"liquidations": liquidations(1, start=10)})
    assert any_store.count("liquidations") == 3


def test_database_columns_match_schema(any_store: Store) -> None:
    sql_types = {"BIGINT": "BIGINT", "DOUBLE": "DOUBLE PRECISION", "VARCHAR": "TEXT", "BOOLEAN": "BOOLEAN"}
    sql_types |= {"TEXT": "TEXT", "DOUBLE PRECISION": "DOUBLE PRECISION"}  # PostgreSQL spells them so
    columns = any_store.query(
        "SELECT table_name, column_name, is_nullable, upper(data_type) AS type FROM information_schema.columns "
        "WHERE table_name <> 'schema_migrations' AND table_schema IN ('main', 'public') "
        "ORDER BY table_name, ordinal_position"
    )
    assert sorted(set(columns["table_name"])) == sorted(schema.TABLES)
    for spec in schema.TABLES.values():
        rows = columns.filter(pl.col("table_name") == spec.name)
        stored = [(r["column_name"], r["is_nullable"] == "YES", sql_types[r["type"]]) for r in rows.to_dicts()]
        assert stored == [(c.name, c.nullable, c.sql) for c in spec.columns], spec.name


# Written out rather than derived from schema.py, so that a change of policy shows up here as a decision.
DUCKDB_PRIMARY_KEYS = {"instruments", "liquidation_totals", "candles", "gaps"}  # ON CONFLICT DO UPDATE needs one
DUCKDB_PRIMARY_KEYS |= {"sentiment"}
DEDUPLICATED_BY_THE_DUCKDB_WRITER = {"funding", "open_interest", "liquidations", "prices", "long_short_ratios"}
DEDUPLICATED_BY_THE_DUCKDB_WRITER |= {"taker_volume"}


def test_database_keys_against_natural_keys(any_store: Store) -> None:
    """PostgreSQL enforces every natural key with a PRIMARY KEY (any number of writers). DuckDB does so only for
    the replace tables; the event tables are de-duplicated by its single writer (store/duckdb.py)."""
    keys = any_store.query(
        "SELECT k.table_name, k.column_name FROM information_schema.key_column_usage k "
        "JOIN information_schema.table_constraints c "
        "ON c.constraint_name = k.constraint_name AND c.table_name = k.table_name "
        "WHERE c.constraint_type = 'PRIMARY KEY' ORDER BY k.table_name, k.ordinal_position"
    )
    on_duckdb = isinstance(any_store, DuckDBStore)
    assert set(schema.TABLES) == DUCKDB_PRIMARY_KEYS | DEDUPLICATED_BY_THE_DUCKDB_WRITER
    assert {name for name in schema.TABLES if schema.table(name).on_conflict == "ignore"} == (
        DEDUPLICATED_BY_THE_DUCKDB_WRITER
    )
    for spec in schema.TABLES.values():
        expected = [] if on_duckdb and spec.name in DEDUPLICATED_BY_THE_DUCKDB_WRITER else list(spec.key)
        assert keys.filter(pl.col("table_name") == spec.name)["column_name"].to_list() == expected, spec.name
    for name in DEDUPLICATED_BY_THE_DUCKDB_WRITER:  # the writer looks stored keys up by ts_event range
        assert "ts_event" in schema.table(name).key


def test_record_fields_are_the_first_columns_of_every_table() -> None:
    for spec in schema.TABLES.values():
        assert tuple(spec.column_names[:6]) == _RECORD_FIELDS


def test_query_cannot_change_data(any_store: Store) -> None:
    any_store.write({"liquidations": liquidations(3)})
    with pytest.raises(StoreError):
        any_store.query("DELETE FROM liquidations")
    assert any_store.count("liquidations") == 3
