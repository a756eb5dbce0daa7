"""The embedded default backend: one DuckDB file.

DuckDB lets one process at a time open a file for writing, and no other process may open it, even to read, while
that lock is held. perpscope therefore holds the file only for the span of one operation: a writer (the
collector) opens, writes one batch in one transaction, and closes; a reader (CLI, report, dashboard) opens
read-only, runs its query, and closes. Both wait for the other's lock with backoff, up to ``lock_timeout_s``.
Opening costs about 15 ms, so a collector flushing every second leaves the file free most of the time.
A process that is the only user (tests, benchmarks, the demo) can ``hold`` one connection instead; threads
in that process then read on their own cursors. See docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from perpscope.errors import StoreBusyError, StoreError
from perpscope.store import schema
from perpscope.store.base import Store, WriteCount, insert_sql, migrations, statements

_LOCK_MESSAGE = re.compile(r"Could not set lock|Conflicting lock", re.IGNORECASE)


class DuckDBStore(Store):
    def __init__(self, path: str | Path, *, read_only: bool = False, hold: bool = False, lock_timeout_s: float = 30.0):
        self.path = str(path)
        self.url = self.path
        self.read_only = read_only
        self.lock_timeout_s = lock_timeout_s
        self._held: duckdb.DuckDBPyConnection | None = None
        self._held_lock = threading.Lock()
        in_memory = self.path == ":memory:"
        if not in_memory:
            if read_only and not Path(self.path).exists():
                raise StoreError(
                    f"no perpscope database at {self.path}: import files (perpscope import) or collect first"
                )
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        if hold or in_memory:
            self._held = self._open(read_only=read_only)
        self._migrate_if_needed()

    # -- connections ---------------------------------------------------------------------------------------

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.005
        while True:
            try:
                return duckdb.connect(self.path, read_only=read_only)
            except duckdb.IOException as error:
                if not _LOCK_MESSAGE.search(str(error)):
                    raise StoreError(f"cannot open {self.path}: {error}") from None
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"{self.path} stayed locked by another process for {self.lock_timeout_s:.0f} s: {error}"
                    ) from None
            except duckdb.Error as error:
                raise StoreError(f"cannot open {self.path}: {error}") from None
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.25)

    @contextlib.contextmanager
    def connection(self, *, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one operation: a cursor on the held connection, or a fresh short-lived one."""
        if write and self.read_only:
            raise StoreError(f"{self.path} is open read-only")
        if self._held is not None:
            cursor = self._held.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
            return
        conn = self._open(read_only=not write)
        try:
            yield conn
        finally:
            conn.close()

    # -- schema --------------------------------------------------------------------------------------------

    def schema_version(self) -> int:
        if self._held is None and not Path(self.path).exists():
            return 0
        with self.connection() as conn:
            if not _scalar(
                conn, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
            ):
                return 0
            return _scalar(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations")

    def _migrate_if_needed(self) -> None:
        current = self.schema_version()
        pending = [migration for migration in migrations() if migration.version > current]
        if not pending:
            return
        if self.read_only and self._held is not None:
            raise StoreError(f"{self.path} needs migrations {[m.version for m in pending]}; open it for writing")
        with self._writer() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)"
            )
            for migration in pending:
                self._apply(conn, migration.version, migration.name, migration.sql)

    @staticmethod
    def _apply(conn: duckdb.DuckDBPyConnection, version: int, name: str, sql: str) -> None:
        conn.execute("BEGIN TRANSACTION")
        try:
            if _scalar(conn, "SELECT count(*) FROM schema_migrations WHERE version = ?", [version]):
                conn.execute("ROLLBACK")  # another process applied it while we waited for the lock
                return
            for statement in statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, epoch_ms(now()::TIMESTAMP))", [version, name])
            conn.execute("COMMIT")
        except duckdb.Error as error:
            conn.execute("ROLLBACK")
            raise StoreError(f"migration {version:04d}_{name} failed on {getattr(conn, 'path', '')}: {error}") from None

    @contextlib.contextmanager
    def _writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Migrations need write access even for a reader's store; only they take it."""
        if self._held is not None:
            with self.connection(write=True) as conn:
                yield conn
            return
        conn = self._open(read_only=False)
        try:
            yield conn
        finally:
            conn.close()

    # -- reading and writing -------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
        with self.connection() as conn:
            try:
                arrow = conn.sql(sql, params=list(params) or None).to_arrow_table()
                return pl.from_arrow(arrow)  # type: ignore[return-value]
            except duckdb.Error as error:
                raise StoreError(f"query failed: {error}\n{sql}") from None

    def write(self, batches: Mapping[str, pa.Table]) -> dict[str, WriteCount]:
        prepared = {name: schema.conform(schema.table(name), batch) for name, batch in batches.items()}
        counts: dict[str, WriteCount] = {}
        with self._held_lock, self.connection(write=True) as conn:
            conn.execute("BEGIN TRANSACTION")
            try:
                for name, batch in prepared.items():
                    counts[name] = self._write_one(conn, schema.table(name), batch)
                conn.execute("COMMIT")
            except duckdb.Error as error:
                conn.execute("ROLLBACK")
                raise StoreError(f"write to {self.path} failed, nothing was stored: {error}") from None
        return counts

    @staticmethod
    def _write_one(conn: duckdb.DuckDBPyConnection, spec: schema.Table, batch: pa.Table) -> WriteCount:
        if batch.num_rows == 0:
            return WriteCount(0, 0)
        view = f"_incoming_{spec.name}"
        conn.register(view, batch)
        try:
            if spec.on_conflict == "ignore":
                return WriteCount(batch.num_rows, _scalar(conn, insert_sql(spec, view)))
            before = _scalar(conn, f"SELECT count(*) FROM {spec.name}")
            conn.execute(insert_sql(spec, view)).fetchall()
            return WriteCount(batch.num_rows, _scalar(conn, f"SELECT count(*) FROM {spec.name}") - before)
        finally:
            conn.unregister(view)

    def close(self) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None


def _scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> int:
    """The first value of a one-row result; fetches every row, as DuckDB requires before the next statement."""
    rows = conn.execute(sql, list(params)).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0
