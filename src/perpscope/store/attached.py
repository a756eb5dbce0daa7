"""Read-only DuckDB files attached to one in-memory DuckDB per process, for short-lived readers.

Starting a DuckDB database (``duckdb.connect``) costs about 12 ms whatever the file, most of it building the
catalog of built-in functions; attaching a file to a database already running costs about 1 ms. A dashboard
opens its store for every request, so it attaches instead: the first reader of a file attaches it read-only,
later readers share that attachment, and the last one to finish detaches it. While nobody reads, the file is
not held, so a collector in another process can write between requests as before (docs/architecture.md).
Detaching drops what was read, so every attachment reads the file as it is now.
"""

from __future__ import annotations

import atexit
import dataclasses
import os
import threading
from collections.abc import Callable

import duckdb


@dataclasses.dataclass
class _Attachment:
    alias: str
    readers: int


class Attachments:
    """The process's one in-memory DuckDB and the files attached to it, counted by reader."""

    def __init__(self) -> None:
        self._host: duckdb.DuckDBPyConnection | None = None
        self._files: dict[str, _Attachment] = {}
        self._guard = threading.Lock()  # the counts and the host
        self._file_locks: dict[str, threading.Lock] = {}  # one attach or detach of a file at a time
        self._serial = 0

    def acquire(
        self, path: str, retrying: Callable[[Callable[[], None]], None]
    ) -> tuple[duckdb.DuckDBPyConnection, str]:
        """The host connection and the catalog name of ``path``, attached read-only (now, or by another reader).
        ``retrying`` runs the ATTACH, waiting out another process's write lock as ``duckdb.connect`` would."""
        key = os.path.realpath(path)
        with self._file_lock(key):
            with self._guard:
                host = self._start()
                found = self._files.get(key)
                if found is not None:
                    found.readers += 1
                    return host, found.alias
                self._serial += 1
                alias = f"perpscope_read_{self._serial}"
            quoted = key.replace("'", "''")
            retrying(lambda: _run(host, f"ATTACH '{quoted}' AS {alias} (READ_ONLY)"))
            with self._guard:
                self._files[key] = _Attachment(alias, 1)
            return host, alias

    def release(self, path: str) -> None:
        """One reader of ``path`` is done; the last one detaches it."""
        key = os.path.realpath(path)
        with self._file_lock(key):
            with self._guard:
                found = self._files.get(key)
                if found is None:  # closed (at exit) while this reader was open
                    return
                found.readers -= 1
                if found.readers > 0:
                    return
                del self._files[key]
                host = self._start()
            _run(host, f"DETACH {found.alias}")

    def attached(self) -> list[str]:
        """The files attached now (for tests: none once every reader has closed)."""
        with self._guard:
            return sorted(self._files)

    def start(self) -> None:
        """Start the in-memory DuckDB now (about 12 ms) rather than on the first read; it holds no file."""
        with self._guard:
            self._start()

    def close(self) -> None:
        """Close the in-memory DuckDB (at exit: a connection left to interpreter teardown makes DuckDB's bindings
        report leaks). Readers still open lose their connection; a later reader starts a new one."""
        with self._guard:
            host, self._host = self._host, None
            self._files.clear()
        if host is not None:
            host.close()

    def _start(self) -> duckdb.DuckDBPyConnection:
        if self._host is None:
            self._host = duckdb.connect(":memory:")
        return self._host

    def _file_lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._file_locks.setdefault(key, threading.Lock())


def _run(host: duckdb.DuckDBPyConnection, sql: str) -> None:
    cursor = host.cursor()  # a connection of its own: threads attach and detach side by side
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


ATTACHMENTS = Attachments()
atexit.register(ATTACHMENTS.close)
