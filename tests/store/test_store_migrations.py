"""Migration files: a shared ``NNNN_name.sql`` plus an optional ``NNNN_name.<dialect>.sql`` per backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from perpscope.errors import StoreError
from perpscope.store import schema
from perpscope.store.base import migrations, statements, upsert_sql


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    tmp_path.mkdir(exist_ok=True)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_dialect_file_runs_after_the_shared_one_on_its_backend_only(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        {
            "0001_first.sql": "-- shared\nCREATE TABLE a (x BIGINT);",
            "0001_first.postgres.sql": "ALTER TABLE a ADD PRIMARY KEY (x);",
            "0002_second.duckdb.sql": "CREATE TABLE b (y BIGINT);",
            "README.txt": "not a migration",
        },
    )
    duck = migrations("duckdb", folder)
    postgres = migrations("postgres", folder)
    assert [(m.version, m.name) for m in duck] == [(1, "first"), (2, "second")]
    assert [(m.version, m.name) for m in postgres] == [(1, "first"), (2, "second")]
    assert [statements(m.sql) for m in duck] == [["CREATE TABLE a (x BIGINT)"], ["CREATE TABLE b (y BIGINT)"]]
    assert [statements(m.sql) for m in postgres] == [
        ["CREATE TABLE a (x BIGINT)", "ALTER TABLE a ADD PRIMARY KEY (x)"],
        [],  # the version is still recorded, so both backends count the same versions
    ]


def test_an_unknown_dialect_or_a_renamed_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"0001_first\.postgresql\.sql: unknown dialect 'postgresql'"):
        migrations("duckdb", _folder(tmp_path / "dialect", {"0001_first.postgresql.sql": "SELECT 1;"}))
    names = {"0001_first.sql": "SELECT 1;", "0001_other.duckdb.sql": "SELECT 2;"}
    with pytest.raises(StoreError, match="version 0001 is already named 'first'"):
        migrations("duckdb", _folder(tmp_path / "names", names))


def test_the_shipped_postgres_supplement_keys_exactly_the_event_tables() -> None:
    shared = statements(migrations("duckdb")[0].sql)
    on_postgres = statements(migrations("postgres")[0].sql)
    assert on_postgres[: len(shared)] == shared
    expected = [
        f"ALTER TABLE {spec.name} ADD PRIMARY KEY ({', '.join(spec.key)})"
        for spec in schema.TABLES.values()
        if spec.on_conflict == "ignore"
    ]
    assert on_postgres[len(shared) :] == expected


def test_upsert_sql_orders_copies_by_receipt_then_position() -> None:
    sql = upsert_sql(schema.table("gaps"), "incoming")
    assert "SELECT DISTINCT ON (venue, symbol, channel, ts_event)" in sql
    assert "ORDER BY venue, symbol, channel, ts_event, ts_recv DESC, _position DESC ON CONFLICT" in sql
    with pytest.raises(StoreError, match="liquidations keeps the first copy"):
        upsert_sql(schema.table("liquidations"), "incoming")
