"""The PostgreSQL backend: a server that any number of processes read and write at once.

One connection per store, used by one operation at a time. ``write`` runs one transaction for all its tables:
each Arrow batch is streamed with binary ``COPY`` into a temporary table (faster than CSV from Arrow's writer,
see benchmarks/RESULTS.md), then moved into its table with ``INSERT ... ON CONFLICT``. Migrations are applied under an
advisory lock, so processes that start together migrate once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import polars as pl
import psycopg
import pyarrow as pa
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.numeric import FloatLoader

from perpscope.errors import StoreError
from perpscope.store import schema
from perpscope.store.base import POSITION, Store, WriteCount, migrations, statements, upsert_sql

T = TypeVar("T")

_MIGRATION_LOCK = 0x7065727073636F70  # "perpscop": the advisory lock key every perpscope process agrees on
_COPY_CHUNK_ROWS = 65_536
_COPY_TYPES = {"TEXT": "text", "BIGINT": "int8", "DOUBLE PRECISION": "float8", "BOOLEAN": "bool"}

# PostgreSQL type OIDs -> polars dtypes, so a result has the right types even when it has no rows.
_DTYPES: dict[int, pl.DataType] = {
    16: pl.Boolean(),
    20: pl.Int64(),
    21: pl.Int16(),
    23: pl.Int32(),
    26: pl.Int64(),
    700: pl.Float32(),
    701: pl.Float64(),
    1700: pl.Float64(),  # numeric (sum of BIGINT, avg): loaded as float, see _connect
    19: pl.String(),
    25: pl.String(),
    114: pl.String(),
    1042: pl.String(),
    1043: pl.String(),
    3802: pl.String(),
    1082: pl.Date(),
    1114: pl.Datetime("us"),
    1184: pl.Datetime("us", "UTC"),
}


class PostgresStore(Store):
    def __init__(self, url: str, *, read_only: bool = False, connect_timeout_s: int = 10):
        self.url = url
        self.read_only = read_only
        self.connect_timeout_s = connect_timeout_s
        self.where = describe(url)
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        with self._lock:
            self._migrate_if_needed()

    # -- connection ----------------------------------------------------------------------------------------

    def _connection(self) -> psycopg.Connection[Any]:
        """The store's connection, reconnecting once it was closed or broken (a server restart)."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=self.connect_timeout_s)
        except psycopg.Error as error:
            reason = " ".join(str(error).split())
            raise StoreError(f"cannot connect to PostgreSQL at {self.where}: {reason}") from None
        conn.adapters.register_loader("numeric", FloatLoader)
        conn.execute("SET TIME ZONE 'UTC'")
        return conn

    def _run(
        self, operation: Callable[[psycopg.Connection[Any]], T], failure: str, *, read_only: bool, sql: str = ""
    ) -> T:
        """Run ``operation`` in one transaction; a database error rolls it back and becomes a StoreError.

        A connection the server dropped (a restart, an idle timeout) is replaced and the operation run once more:
        a write that may or may not have committed is safe to repeat, since natural keys make it idempotent.
        """
        for attempt in (1, 2):
            conn = self._connection()
            try:
                with conn.transaction():
                    if read_only:
                        conn.execute("SET TRANSACTION READ ONLY")
                    return operation(conn)
            except psycopg.Error as error:
                if attempt == 1 and conn.broken:
                    continue
                message = f"{failure} on PostgreSQL at {self.where}: {_reason(error)}"
                raise StoreError(message + (f"\n{sql}" if sql else "")) from None
        raise AssertionError("unreachable")

    # -- schema --------------------------------------------------------------------------------------------

    def schema_version(self) -> int:
        with self._lock:
            return self._run(_version, "reading the schema version failed", read_only=True)

    def _migrate_if_needed(self) -> None:
        current = self._run(_version, "checking migrations failed", read_only=True)
        if any(migration.version > current for migration in migrations("postgres")):
            self._run(_migrate, "migrating failed", read_only=False)

    # -- reading and writing -------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
        def select(conn: psycopg.Connection[Any]) -> pl.DataFrame:
            with conn.cursor() as cursor:
                if params:
                    cursor.execute(placeholders(sql), list(params))
                else:
                    cursor.execute(sql)
                if cursor.description is None:
                    return pl.DataFrame()
                return _frame(cursor.description, cursor.fetchall())

        with self._lock:
            return self._run(select, "query failed", read_only=True, sql=sql)

    def write(self, batches: Mapping[str, pa.Table]) -> dict[str, WriteCount]:
        if self.read_only:
            raise StoreError(f"PostgreSQL at {self.where} is open read-only")
        prepared = {name: schema.conform(schema.table(name), batch) for name, batch in batches.items()}

        def insert(conn: psycopg.Connection[Any]) -> dict[str, WriteCount]:
            conn.execute("SET LOCAL work_mem = '256MB'")  # DISTINCT ON sorts the whole batch: keep it in memory
            return {name: _write_one(conn, schema.table(name), batch) for name, batch in prepared.items()}

        with self._lock:
            return self._run(insert, "write failed, nothing was stored", read_only=False)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _migrate(conn: psycopg.Connection[Any]) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(%s)", [_MIGRATION_LOCK])
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)"
    )
    current = _version(conn)  # another process may have migrated while this one waited for the lock
    for migration in migrations("postgres"):
        if migration.version <= current:
            continue
        for statement in statements(migration.sql):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_migrations VALUES (%s, %s, (extract(epoch FROM now()) * 1000)::BIGINT)",
            [migration.version, migration.name],
        )


def _write_one(conn: psycopg.Connection[Any], spec: schema.Table, batch: pa.Table) -> WriteCount:
    if batch.num_rows == 0:
        return WriteCount(0, 0)
    incoming = f"_incoming_{spec.name}"
    replace = spec.on_conflict == "replace"
    # LIKE copies the NOT NULL constraints, so a bad batch fails at COPY, before anything is inserted. A replace
    # batch also carries each row's position in it, which decides between copies of one key (upsert_sql).
    extra = f", {POSITION} BIGINT" if replace else ""
    conn.execute(f"CREATE TEMPORARY TABLE {incoming} (LIKE {spec.name}{extra}) ON COMMIT DROP")
    columns = ", ".join(spec.column_names)
    with conn.cursor() as cursor:
        _copy(cursor, incoming, spec, batch, numbered=replace)
        cursor.execute(f"ANALYZE {incoming}")  # the planner otherwise guesses the batch's size
        if not replace:
            # No DISTINCT ON here: PostgreSQL's DO NOTHING also skips a copy inserted earlier by the same
            # statement, and the sort DISTINCT ON needs costs a third of the write.
            key = ", ".join(spec.key)
            cursor.execute(
                f"INSERT INTO {spec.name} ({columns}) SELECT {columns} FROM {incoming} ON CONFLICT ({key}) DO NOTHING"
            )
            return WriteCount(batch.num_rows, cursor.rowcount)
        # xmax is 0 on a row this statement inserted and set on one it updated
        cursor.execute(
            f"WITH written AS ({upsert_sql(spec, incoming)} RETURNING (xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted) FROM written"
        )
        row = cursor.fetchone()
        return WriteCount(batch.num_rows, int(row[0]) if row else 0)


def _copy(cursor: psycopg.Cursor[Any], table: str, spec: schema.Table, batch: pa.Table, *, numbered: bool) -> None:
    """Stream ``batch`` into ``table`` with binary COPY; ``numbered`` adds each row's position in the batch."""
    names = spec.column_names + ([POSITION] if numbered else [])
    types = [_COPY_TYPES[column.sql] for column in spec.columns] + (["int8"] if numbered else [])
    position = 0
    with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for chunk in batch.to_batches(max_chunksize=_COPY_CHUNK_ROWS):
            values = [column.to_pylist() for column in chunk.columns]
            if numbered:
                values.append(list(range(position, position + chunk.num_rows)))
                position += chunk.num_rows
            for row in zip(*values, strict=True):
                copy.write_row(row)


def _version(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def _frame(description: Sequence[Any], rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """Rows -> polars, typed from the result's column types rather than guessed from the values."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in description]
    series = []
    for column, values in zip(description, columns, strict=True):
        dtype = _DTYPES.get(column.type_code)
        if dtype is None:  # a type perpscope's tables do not use (uuid, interval, arrays): shown as text
            series.append(pl.Series(column.name, [None if v is None else str(v) for v in values], pl.String()))
        else:
            series.append(pl.Series(column.name, list(values), dtype))
    return pl.DataFrame(series)


_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|\?|%")


def placeholders(sql: str) -> str:
    """``?`` -> ``%s`` outside quotes and comments; a literal ``%`` doubled, as psycopg requires with params."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        return token.replace("%", "%%")

    return _TOKENS.sub(replace, sql)


def describe(url: str) -> str:
    """``host:port/database`` of a URL, never its password; a malformed URL is a StoreError."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error as error:
        raise StoreError(f"bad PostgreSQL URL {_without_password(url)!r}: {_reason(error)}") from None
    host = parts.get("host") or parts.get("hostaddr") or "localhost"
    return f"{host}:{parts.get('port') or 5432}/{parts.get('dbname') or parts.get('user') or ''}"


def _without_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def _reason(error: psycopg.Error) -> str:
    return " ".join(str(error).split())
