"""Storage: one :class:`Store` interface, an embedded DuckDB backend (default) and a PostgreSQL backend."""

from __future__ import annotations

from pathlib import Path

from perpscope.store.base import Store, WriteCount
from perpscope.store.duckdb import DuckDBStore

__all__ = ["DuckDBStore", "Store", "WriteCount", "open_store"]


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def open_store(
    url: str | Path, *, read_only: bool = False, hold: bool = False, lock_timeout_s: float = 30.0, attach: bool = False
) -> Store:
    """Open the database at ``url``: a ``postgresql://`` URL, or a DuckDB file path (``:memory:`` for tests).

    ``read_only`` stores never write (migrations excepted, applied once by whoever opens first); ``hold``
    keeps one embedded connection for the life of the store, for a process that is the file's only user.
    ``attach`` (read-only DuckDB): attach the file to the process's one in-memory DuckDB for the life of the
    store instead of starting a database (about 1 ms instead of 12; store/attached.py): for a reader opened
    for a moment, many times over, such as the dashboard's per-request store. PostgreSQL ignores it.
    """
    text = str(url)
    if is_postgres_url(text):
        from perpscope.store.postgres import PostgresStore  # psycopg is only loaded when asked for

        return PostgresStore(text, read_only=read_only)
    return DuckDBStore(
        Path(text).expanduser() if text != ":memory:" else text,
        read_only=read_only,
        hold=hold,
        lock_timeout_s=lock_timeout_s,
        attach=attach,
    )
