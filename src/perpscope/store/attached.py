"""Read-only DuckDB files attached to one in-memory DuckDB per process, for short-lived readers.

Starting a DuckDB database (``duckdb.connect``) costs about 12 ms whatever the file, most of it building the
catalog of built-in functions; attaching a file to a database already running costs about 1 ms. A dashboard
opens its store for every request, so it attaches instead: the first reader of a file attaches it read-only,
later readers share that attachment, and the last one to finish detaches it. While nobody reads, the file is
not held, so a collector in another process can write between requests as before (docs/architecture.md).
Detaching drops what was read, so every attachment reads the file as it is now.

Readers in flight share the attachment, so under steady concurrent reads the file might never be let go and a
writer would wait in vain. Writers therefore announce themselves: a writer holds an exclusive ``flock`` on
``<db>.writer-lock`` from before it opens the file until it has closed it (:func:`writer_intent`), and a reader
about to attach or share the file first waits while one does (:func:`wait_for_writers`). The readers in flight
finish, the last detaches, the writer writes, and the waiting readers attach afresh (writer preference). A reader
defers for ``READER_DEFERENCE_S`` at most, since the writer may itself wait for a holder that never announces; where
``flock`` is missing (Windows; NFS, SMB and some FUSE mounts) there are no announcements, said once in the log.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator

import duckdb

from perpscope.errors import StoreBusyError

LOG = logging.getLogger(__name__)
READER_DEFERENCE_S = 2.0  # how long a reader lets an announced writer go first

if sys.platform != "win32":  # elsewhere no announcements: writers wait for readers as for any lock
    import fcntl


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
        self, path: str, retrying: Callable[[Callable[[], None]], None], timeout_s: float
    ) -> tuple[duckdb.DuckDBPyConnection, str]:
        """The host connection and the catalog name of ``path``, attached read-only (now, or by another reader),
        once no writer announces itself. ``retrying`` runs the ATTACH, waiting out a writer that did not announce
        itself (an older perpscope) as ``duckdb.connect`` would."""
        key = os.path.realpath(path)
        wait_for_writers(key, timeout_s)  # holding no lock: the readers in flight must be able to let go
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
                host = self._start()
            try:
                _run(host, f"DETACH {found.alias}")
            except duckdb.Error as error:  # kept counted at 0: the next reader shares it, its release retries
                LOG.warning("could not detach %s (%s); the next reader will try again", key, error)
                return
            with self._guard:
                if self._files.get(key) is found:
                    del self._files[key]

    def attached(self) -> list[str]:
        """The files attached now (for tests: none once every reader has closed)."""
        with self._guard:
            return sorted(self._files)

    def start(self) -> None:
        """Start the in-memory DuckDB now (about 12 ms) rather than on the first read; it holds no file. One
        look at the catalog builds what every reader's schema check uses (the first check: 9 ms, later 1 ms)."""
        with self._guard:
            host = self._start()
        _run(host, "SELECT count(*) FROM information_schema.tables")

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


@contextlib.contextmanager
def writer_intent(path: str, timeout_s: float) -> Iterator[None]:
    """Hold ``<db>.writer-lock`` exclusively for a write: readers wait from now on (see the module doc)."""
    if sys.platform == "win32":
        yield
        return
    try:
        descriptor = os.open(_sidecar(path), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:  # a read-only folder: write without announcing (readers then defer to no one)
        _unsupported(path, error)
        yield
        return
    try:
        _flock(descriptor, fcntl.LOCK_EX, timeout_s, path)  # False: no flock here, write unannounced
        yield
    finally:
        os.close(descriptor)  # releases the lock


def wait_for_writers(path: str, timeout_s: float) -> None:
    """Return once no writer holds ``<db>.writer-lock`` (at once when none ever made one), or after
    ``READER_DEFERENCE_S`` at most: a writer may itself be waiting for a holder that never announces (a long
    read-only query, a DuckDB shell), and readers must not stall behind it; they then attach and wait on the file
    lock like anyone else."""
    if sys.platform == "win32":
        return
    try:
        descriptor = os.open(_sidecar(path), os.O_RDONLY)
    except OSError:
        return  # no writer announced itself here, or we may not read it: nothing to wait for
    try:
        _flock(descriptor, fcntl.LOCK_SH, min(timeout_s, READER_DEFERENCE_S), path, give_up=True)
    finally:
        os.close(descriptor)  # releases the shared lock at once


def _sidecar(path: str) -> str:
    return os.path.realpath(path) + ".writer-lock"


def _flock(descriptor: int, kind: int, timeout_s: float, path: str, *, give_up: bool = False) -> bool:
    """Take the lock within ``timeout_s``: True once taken; False on a file system without ``flock`` (NFS, SMB,
    some FUSE mounts: announcements are then off) or, with ``give_up``, at the deadline; else StoreBusyError."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(descriptor, kind | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                if give_up:
                    return False
                raise StoreBusyError(f"{path}: another process kept writing for {timeout_s:.0f} s") from None
            time.sleep(0.002)
        except OSError as error:
            _unsupported(path, error)
            return False


_WARNED: set[str] = set()


def _unsupported(path: str, error: OSError) -> None:
    """Said once per file: writers and attached readers then share it without announcements."""
    if path not in _WARNED:
        _WARNED.add(path)
        LOG.warning("%s: no writer announcements (%s); a writer may wait for the dashboard's readers", path, error)


def _run(host: duckdb.DuckDBPyConnection, sql: str) -> None:
    cursor = host.cursor()  # a connection of its own: threads attach and detach side by side
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


ATTACHMENTS = Attachments()
atexit.register(ATTACHMENTS.close)
