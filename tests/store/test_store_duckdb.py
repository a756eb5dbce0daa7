"""What only the embedded backend does: one writer at a time, de-duplication without a PRIMARY KEY, and the
schema version checked on a reader's first connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from store_samples import T0, liquidations

from perpscope.errors import StoreError
from perpscope.store import DuckDBStore, WriteCount
from perpscope.store.base import latest_version

_ROW_GROUP = 122_880  # DuckDB's rows per row group, the unit its zone maps (min/max) describe


def _in_threads(count: int, work: Callable[[int], None]) -> None:
    """Run ``work(0..count-1)`` in threads released together; re-raise the first error any of them hit."""
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(number: int) -> None:
        start.wait()
        try:
            work(number)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def _distinct_events(store: DuckDBStore) -> int:
    return int(store.query("SELECT count(DISTINCT ts_event) AS n FROM liquidations")["n"][0])


def test_threads_writing_the_same_rows_through_one_held_store_store_them_once(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "held.duckdb", hold=True)
    rows = liquidations(6_000)
    added = [0] * 4

    def write(number: int) -> None:
        for start in range(0, 6_000, 1_000):  # every thread writes every row, in overlapping batches
            batch = rows.slice(start, 2_000)
            added[number] += store.write({"liquidations": batch})["liquidations"].added

    _in_threads(4, write)
    assert sum(added) == 6_000
    assert store.count("liquidations") == 6_000 == _distinct_events(store)
    store.close()


def test_stores_on_one_file_in_one_process_take_turns(tmp_path: Path) -> None:
    """DuckDB gives every connection to one file in a process the same database, so separate stores could
    otherwise run overlapping transactions and both insert a row neither had seen stored."""
    path = tmp_path / "shared.duckdb"
    stores = [DuckDBStore(path) for _ in range(4)]  # short-lived connections, as a collector's writers use
    rows = liquidations(4_000)
    added = [0] * 4

    def write(number: int) -> None:
        for start in range(0, 4_000, 500):
            added[number] += stores[number].write({"liquidations": rows.slice(start, 1_500)})["liquidations"].added

    _in_threads(4, write)
    assert sum(added) == 4_000
    with DuckDBStore(path, read_only=True) as reader:
        assert reader.count("liquidations") == 4_000 == _distinct_events(reader)


def test_deduplication_across_row_groups_written_out_of_order(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "groups.duckdb", hold=True)
    everything = liquidations(400_000)  # numbers 0..399,999, ts_event T0 + number
    live = everything.slice(200_000, 150_000)  # 200,000..349,999 arrives first
    assert store.write({"liquidations": live}) == {"liquidations": WriteCount(150_000, 150_000)}
    history = everything.slice(0, 250_000)  # then the history, overlapping the live rows by 50,000
    assert store.write({"liquidations": history}) == {"liquidations": WriteCount(250_000, 200_000)}
    groups = store.query("SELECT count(DISTINCT row_group_id) AS n FROM pragma_storage_info('liquidations')")
    assert groups["n"][0] >= 350_000 // _ROW_GROUP  # the look-up spans several row groups, in any time order
    # every 1,000th number across 0..399,000: 350 stored (in both writes' row groups), 50 new
    sampled = everything.take(pa.array(range(0, 400_000, 1_000)[::-1]))
    assert store.write({"liquidations": sampled}) == {"liquidations": WriteCount(400, 50)}
    assert store.count("liquidations") == 350_050 == _distinct_events(store)
    bounds = store.query("SELECT min(ts_event) - ? AS first, max(ts_event) - ? AS last FROM liquidations", [T0, T0])
    assert bounds.rows() == [(0, 399_000)]
    store.close()


def test_query_refuses_to_write_through_a_held_connection(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "held.duckdb", hold=True)
    store.write({"liquidations": liquidations(3)})
    for sql in ("DELETE FROM liquidations", "INSERT INTO liquidations SELECT * FROM liquidations", "CHECKPOINT"):
        with pytest.raises(StoreError, match="query runs SELECT statements only"):
            store.query(sql)
    with pytest.raises(StoreError, match="not DELETE"):
        store.query("SELECT 1 AS one; DELETE FROM liquidations")
    assert store.count("liquidations") == 3
    assert store.query("WITH n AS (SELECT count(*) AS n FROM liquidations) SELECT n FROM n").item() == 3
    store.close()


def test_a_reader_opens_the_file_once_for_a_query(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "once.duckdb"
    DuckDBStore(path).write({"liquidations": liquidations(7)})
    opened: list[bool] = []
    real_open = DuckDBStore._open

    def counting_open(store: DuckDBStore, read_only: bool) -> duckdb.DuckDBPyConnection:
        opened.append(read_only)
        return real_open(store, read_only)

    monkeypatch.setattr(DuckDBStore, "_open", counting_open)
    reader = DuckDBStore(path, read_only=True)
    assert opened == []  # the version is checked on the first real connection
    assert reader.count("liquidations") == 7
    assert reader.count("liquidations") == 7
    assert opened == [True, True]
    assert reader.schema_version() == latest_version()


def test_a_reader_migrates_an_old_file_on_its_first_query(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    DuckDBStore(path).write({"liquidations": liquidations(2)})
    with duckdb.connect(str(path)) as conn:  # back to version 1: as a file made before 0002 was added
        conn.execute("DROP TABLE gaps")
        conn.execute("DROP TABLE sentiment")
        conn.execute("DELETE FROM schema_migrations WHERE version >= 2")
    reader = DuckDBStore(path, read_only=True)
    assert (reader.count("gaps"), reader.count("sentiment")) == (0, 0)  # the tables 0002 and 0003 create exist again
    assert reader.count("liquidations") == 2
    assert reader.query("SELECT version FROM schema_migrations ORDER BY version")["version"].to_list() == [1, 2, 3]


def test_a_reader_holding_its_connection_migrates_an_old_file_too(tmp_path: Path) -> None:
    # e.g. the dashboard, whose requests each hold one read-only connection: after an upgrade it must not fail.
    path = tmp_path / "old.duckdb"
    DuckDBStore(path).write({"liquidations": liquidations(3)})
    with duckdb.connect(str(path)) as conn:
        conn.execute("DROP TABLE sentiment")
        conn.execute("DELETE FROM schema_migrations WHERE version >= 3")
    with DuckDBStore(path, read_only=True, hold=True) as reader:
        assert reader.schema_version() == latest_version()
        assert (reader.count("sentiment"), reader.count("liquidations")) == (0, 3)
        with pytest.raises(StoreError):
            reader.write({"liquidations": liquidations(1)})  # still read-only after migrating


def test_a_file_from_a_newer_perpscope_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.duckdb"
    DuckDBStore(path).close()
    newer = latest_version() + 1
    with duckdb.connect(str(path)) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (?, 'future', 0)", [newer])
    message = f"schema version {newer}, newer than this perpscope's {latest_version()}"
    with pytest.raises(StoreError, match=message):
        DuckDBStore(path)
    reader = DuckDBStore(path, read_only=True)
    with pytest.raises(StoreError, match=message):
        reader.count("liquidations")
