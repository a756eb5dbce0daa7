"""The embedded default backend: one DuckDB file.

DuckDB lets one process at a time open a file for writing, and no other process may open it, even to read, while
that lock is held. perpscope therefore holds the file only for the span of one operation: a writer (the
collector) opens, writes one batch in one transaction, and closes; a reader (CLI, report, dashboard) opens
read-only, runs its query, and closes. Both wait for the other's lock with backoff, up to ``lock_timeout_s``.
Opening costs about 15 ms, so a collector flushing every second leaves the file free most of the time.
A process that is the only user (tests, benchmarks, the demo) can ``hold`` one connection instead; threads
in that process then read on their own cursors. A reader opened for a moment many times over (the dashboard,
once per request) can ``attach`` instead: the file is attached read-only to one in-memory DuckDB per process
for as long as any such reader is open, about 1 ms instead of 12 (store/attached.py). See docs/architecture.md.

Exactly one writer at a time: DuckDB's file lock keeps other processes out while one writes, and within a
process every write — ``write``, migrations — takes one lock per database file, shared by every store on it
(DuckDB gives connections to one file in one process the same database, whose transactions would otherwise
interleave), and holds it from BEGIN to COMMIT; ``query`` refuses anything but SELECT. So the event (``ignore``)
tables need no PRIMARY KEY here: a write inserts the batch's rows, each key once, that are not already stored,
looking only at stored rows within the batch's ``ts_event`` range (every such key contains ``ts_event``), which
DuckDB's per-row-group min/max (zone maps) keeps to a few row groups when data arrives roughly in time order.
Exact in any order; an old batch written after newer data only makes the look-up scan more row groups.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from perpscope.errors import StoreBusyError, StoreError
from perpscope.store import schema
from perpscope.store.attached import ATTACHMENTS, writer_intent
from perpscope.store.base import (
    POSITION,
    Store,
    WriteCount,
    latest_version,
    migrations,
    statements,
    upsert_sql,
)

# Another process's lock, or in this process the file attached by a reader (store/attached.py): wait for it.
_LOCK_MESSAGE = re.compile(r"Could not set lock|Conflicting lock|Unique file handle conflict", re.IGNORECASE)
_READ_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})

# One write lock per database file per process: every DuckDBStore on the file shares it (see the module doc).
_FILE_LOCKS: dict[str, threading.Lock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _write_lock(path: str) -> threading.Lock:
    if path == ":memory:":  # every in-memory connection is a database of its own
        return threading.Lock()
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(os.path.realpath(path), threading.Lock())


class DuckDBStore(Store):
    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        hold: bool = False,
        lock_timeout_s: float = 30.0,
        attach: bool = False,
    ):
        self.path = str(path)
        self.url = self.path
        self.read_only = read_only
        self.lock_timeout_s = lock_timeout_s
        self._held: duckdb.DuckDBPyConnection | None = None
        self._catalog: str | None = None  # the attached file's name in the process's shared DuckDB (attach)
        self._write_lock = _write_lock(self.path)
        in_memory = self.path == ":memory:"
        attach = attach and read_only and not in_memory
        if not in_memory:
            if read_only and not Path(self.path).exists():
                raise StoreError(
                    f"no perpscope database at {self.path}: import files (perpscope import) or collect first"
                )
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        if attach:
            self._held, self._catalog = ATTACHMENTS.acquire(self.path, self._retrying, self.lock_timeout_s)
        elif hold or in_memory:
            self._held = self._open(read_only=read_only)
        # A short-lived reader checks the version on its first connection instead of opening the file once more
        # here (an open costs ~15 ms); anything that may write migrates before it returns.
        self._version_checked = self._held is not None or not read_only
        if self._held is not None:
            try:
                self._migrate_held(in_memory)
            except BaseException:
                self._release()  # an attached file left counted would stay held, and block every writer
                raise
        elif not read_only:
            self._migrate_if_needed(self._file_version())

    # -- connections ---------------------------------------------------------------------------------------

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        opened: list[duckdb.DuckDBPyConnection] = []
        self._retrying(lambda: opened.append(duckdb.connect(self.path, read_only=read_only)))
        return opened[0]

    def _retrying(self, action: Callable[[], None]) -> None:
        """Run ``action`` (an open or attach of the file), waiting with backoff while another holds the file."""
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.005
        while True:
            try:
                action()
                return
            except duckdb.OperationalError as error:  # IOException (a lock) and ResourceInUseException
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
                if self._catalog is not None:
                    cursor.execute(f"USE {self._catalog}")
                yield cursor
            finally:
                cursor.close()
            return
        conn = self._open(read_only=not write)
        try:
            if not self._version_checked:
                conn = self._checked(conn)
            yield conn
        finally:
            conn.close()

    def _checked(self, conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        """A read-only store's first connection: used as is when the schema is current, else closed, the file
        migrated (which needs write access, see ``open_store``) and opened again."""
        current = _version(conn)
        if current != latest_version():
            conn.close()
            self._migrate_if_needed(current)
            conn = self._open(read_only=True)
        self._version_checked = True
        return conn

    # -- schema --------------------------------------------------------------------------------------------

    def schema_version(self) -> int:
        if self._held is None and not Path(self.path).exists():
            return 0
        with self.connection() as conn:
            return _version(conn)

    def _migrate_if_needed(self, current: int) -> None:
        if current > latest_version():
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this perpscope's {latest_version()}: "
                "upgrade perpscope"
            )
        pending = [migration for migration in migrations("duckdb") if migration.version > current]
        if not pending:
            return
        if self.read_only and self._held is not None:
            raise StoreError(f"{self.path} needs migrations {[m.version for m in pending]}; open it for writing")
        with self._write_lock, self._announced(), self._writer() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)"
            )
            for migration in pending:
                self._apply(conn, migration.version, migration.name, migration.sql)

    def _migrate_held(self, in_memory: bool) -> None:
        """A reader holding its connection read-only cannot migrate through it: after an upgrade it steps aside,
        migrates through a brief write connection, and reopens read-only (a dashboard must not fail until some
        writer happens to open the file). Nothing extra is opened when the file is current."""
        current = self.schema_version()
        if self.read_only and not in_memory and self._held is not None and current < latest_version():
            self._release()
            self._migrate_if_needed(current)
            if self._catalog is not None:
                self._held, self._catalog = ATTACHMENTS.acquire(self.path, self._retrying, self.lock_timeout_s)
            else:
                self._held = self._open(read_only=True)
            return
        self._migrate_if_needed(current)

    def _file_version(self) -> int:
        """The version of a file this store has not opened yet: read on a short read-only open."""
        if not Path(self.path).exists():
            return 0
        conn = self._open(read_only=True)
        try:
            return _version(conn)
        finally:
            conn.close()

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

    def _announced(self) -> contextlib.AbstractContextManager[None]:
        """A write that opens the file holds ``<db>.writer-lock`` until it closes it, so that attached readers
        let go of the file and wait (store/attached.py); a store holding its connection needs none."""
        if self._held is not None or self.path == ":memory:":
            return contextlib.nullcontext()
        return writer_intent(self.path, self.lock_timeout_s)

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
                kinds = {statement.type for statement in conn.extract_statements(sql)}
                if not kinds <= _READ_STATEMENTS:  # a held connection can write: only write() may
                    names = ", ".join(sorted(kind.name for kind in kinds - _READ_STATEMENTS))
                    raise StoreError(f"query runs SELECT statements only, not {names}; writes go through write()")
                arrow = conn.sql(sql, params=list(params) or None).to_arrow_table()
                return pl.from_arrow(arrow)  # type: ignore[return-value]
            except duckdb.Error as error:
                raise StoreError(f"query failed: {error}\n{sql}") from None

    def write(self, batches: Mapping[str, pa.Table]) -> dict[str, WriteCount]:
        prepared = {name: schema.conform(schema.table(name), batch) for name, batch in batches.items()}
        counts: dict[str, WriteCount] = {}
        # The lock is held from BEGIN to COMMIT: no other write in this process can commit a row this one's
        # look-up for stored keys has not seen, and DuckDB's file lock keeps other processes out.
        with self._write_lock, self._announced(), self.connection(write=True) as conn:
            conn.execute("BEGIN TRANSACTION")
            try:
                for name, batch in prepared.items():
                    counts[name] = _write_one(conn, schema.table(name), batch)
                conn.execute("COMMIT")
            except duckdb.Error as error:
                conn.execute("ROLLBACK")
                raise StoreError(f"write to {self.path} failed, nothing was stored: {error}") from None
        return counts

    def close(self) -> None:
        self._release()

    def _release(self) -> None:
        """Close the held connection; an attached reader leaves the shared instance's connection open and
        lets go of the file (detached when it was the last reader)."""
        if self._held is None:
            return
        if self._catalog is not None:
            ATTACHMENTS.release(self.path)
        else:
            self._held.close()
        self._held = None


def _write_one(conn: duckdb.DuckDBPyConnection, spec: schema.Table, batch: pa.Table) -> WriteCount:
    if batch.num_rows == 0:
        return WriteCount(0, 0)
    view = f"_incoming_{spec.name}"
    if spec.on_conflict == "replace":
        batch = batch.append_column(POSITION, pa.array(range(batch.num_rows), pa.int64()))
    conn.register(view, batch)
    try:
        if spec.on_conflict == "ignore":
            low, high = conn.execute(f"SELECT min(ts_event), max(ts_event) FROM {view}").fetchall()[0]
            return WriteCount(batch.num_rows, _scalar(conn, insert_new_sql(spec, view, low, high)))
        before = _scalar(conn, f"SELECT count(*) FROM {spec.name}")
        conn.execute(upsert_sql(spec, view)).fetchall()
        return WriteCount(batch.num_rows, _scalar(conn, f"SELECT count(*) FROM {spec.name}") - before)
    finally:
        conn.unregister(view)


def insert_new_sql(spec: schema.Table, source: str, low: int, high: int) -> str:
    """Insert the rows of ``source`` whose key is not stored yet, each key once, into an ``ignore`` table.

    Only stored rows with ``low <= ts_event <= high`` (the batch's range; part of every such key) are compared,
    so zone maps skip the rest. The bounds are literals, not parameters, so that DuckDB can use them when it
    plans the scan; they are integers this module computed. Sound only under the single writer (module doc)."""
    if spec.on_conflict != "ignore" or "ts_event" not in spec.key:
        raise StoreError(f"{spec.name}: the writer de-duplicates only ignore tables keyed by ts_event")
    columns = ", ".join(spec.column_names)
    key = ", ".join(spec.key)
    same = " AND ".join(f"stored.{name} = incoming.{name}" for name in spec.key)
    return (
        f"INSERT INTO {spec.name} ({columns}) SELECT DISTINCT ON ({key}) {columns} FROM {source} AS incoming "
        f"WHERE NOT EXISTS (SELECT 1 FROM {spec.name} AS stored "
        f"WHERE stored.ts_event BETWEEN {int(low)} AND {int(high)} AND {same})"
    )


def _version(conn: duckdb.DuckDBPyConnection) -> int:
    # current_database(): an attached reader shares its instance with other files (store/attached.py).
    found = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    if not _scalar(conn, f"{found} AND table_catalog = current_database()"):
        return 0
    return _scalar(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations")


def _scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> int:
    """The first value of a one-row result; fetches every row, as DuckDB requires before the next statement."""
    rows = conn.execute(sql, list(params)).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0
