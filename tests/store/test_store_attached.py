"""Readers that attach the file to the process's one DuckDB (the dashboard's per-request store): they share one
attachment, let go of the file when the last closes, and leave a writer — in this process or another — free to
write between them (docs/architecture.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from store_samples import liquidations

from perpscope.errors import StoreError
from perpscope.store import DuckDBStore, attached, open_store
from perpscope.store.attached import ATTACHMENTS, READER_DEFERENCE_S
from perpscope.store.base import latest_version

WRITER = Path(__file__).with_name("store_writer.py")


def _reader(path: Path) -> DuckDBStore:
    store = open_store(path, read_only=True, attach=True)
    assert isinstance(store, DuckDBStore)
    return store


def test_readers_share_one_attachment_and_the_last_one_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "shared.duckdb"
    DuckDBStore(path).write({"liquidations": liquidations(3)})
    first, second = _reader(path), _reader(path)
    assert ATTACHMENTS.attached() == [str(path.resolve())]
    assert (first.count("liquidations"), second.schema_version()) == (3, latest_version())
    first.close()
    assert second.count("liquidations") == 3  # still attached for the other reader
    second.close()
    second.close()  # idempotent: the count is not taken down twice
    assert ATTACHMENTS.attached() == []


def test_a_writer_process_writes_between_readers_and_the_next_reader_sees_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.duckdb"
    DuckDBStore(path).write({"liquidations": liquidations(5, start=100)})  # the writer's 7 start at 0: all new
    with _reader(path) as reader:
        assert reader.count("liquidations") == 5
    writer = subprocess.run(
        [sys.executable, str(WRITER), str(path), "0", "7"], cwd=WRITER.parent, capture_output=True, text=True
    )
    assert writer.returncode == 0, writer.stderr
    with _reader(path) as reader:
        assert reader.count("liquidations") == 12  # 5 before, 7 by the other process: read afresh, not cached


def test_a_writer_in_this_process_waits_for_an_attached_reader(tmp_path: Path) -> None:
    path = tmp_path / "shared.duckdb"
    writer = DuckDBStore(path)
    reader = _reader(path)
    threading.Timer(0.3, reader.close).start()
    started = time.monotonic()
    counts = writer.write({"liquidations": liquidations(4)})  # waits until the reader lets go of the file
    waited = time.monotonic() - started
    writer.close()
    assert counts["liquidations"].added == 4
    assert waited >= 0.25


def test_two_files_attached_at_once_answer_for_themselves(tmp_path: Path) -> None:
    one, other = tmp_path / "one.duckdb", tmp_path / "other.duckdb"
    DuckDBStore(one).write({"liquidations": liquidations(2)})
    DuckDBStore(other).write({"liquidations": liquidations(9)})
    with _reader(one) as first, _reader(other) as second:
        assert (first.count("liquidations"), second.count("liquidations")) == (2, 9)
        assert first.schema_version() == second.schema_version() == latest_version()


def test_an_old_file_is_migrated_and_a_newer_one_refused_without_staying_attached(tmp_path: Path) -> None:
    old = tmp_path / "old.duckdb"
    DuckDBStore(old).write({"liquidations": liquidations(3)})
    with duckdb.connect(str(old)) as conn:
        conn.execute("DROP TABLE sentiment")
        conn.execute("DELETE FROM schema_migrations WHERE version >= 3")
    with _reader(old) as reader:
        assert reader.schema_version() == latest_version()
        assert (reader.count("sentiment"), reader.count("liquidations")) == (0, 3)
    newer = tmp_path / "newer.duckdb"
    DuckDBStore(newer).close()
    with duckdb.connect(str(newer)) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (?, 'future', 0)", [latest_version() + 1])
    with pytest.raises(StoreError, match="newer than this perpscope's"):
        _reader(newer)
    assert ATTACHMENTS.attached() == []


def test_threads_attach_and_detach_while_a_writer_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "shared.duckdb"
    DuckDBStore(path).close()
    writer = subprocess.Popen(
        [sys.executable, str(WRITER), str(path), "3", "100"], cwd=WRITER.parent, stdout=subprocess.PIPE, text=True
    )
    seen: dict[int, list[int]] = {number: [] for number in range(6)}
    errors: list[BaseException] = []

    def read(number: int) -> None:
        try:
            while writer.poll() is None:
                with _reader(path) as reader:  # a request: attach (or share), read, let go
                    seen[number].append(reader.count("liquidations"))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=read, args=(number,)) for number in seen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    out, _ = writer.communicate(timeout=60)
    assert not errors, errors
    assert writer.returncode == 0
    written = int(json.loads(out)["rows"])
    assert written >= 500  # the writer was not starved: five writes or more got in between the readers
    for counts in seen.values():
        assert counts == sorted(counts) and all(count % 100 == 0 for count in counts)
    assert ATTACHMENTS.attached() == []
    with _reader(path) as reader:
        assert reader.count("liquidations") == written


@pytest.mark.skipif(sys.platform == "win32", reason="writer announcements use flock (none on Windows)")
def test_a_reader_defers_to_an_announced_writer_only_briefly(tmp_path: Path) -> None:
    """A writer announced but stuck behind a holder that never announces must not stall every reader."""
    import fcntl

    path = tmp_path / "shared.duckdb"
    DuckDBStore(path).write({"liquidations": liquidations(4)})
    descriptor = os.open(f"{path.resolve()}.writer-lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # an announced writer that has not got the file yet
        started = time.monotonic()
        with _reader(path) as reader:
            assert reader.count("liquidations") == 4
        waited = time.monotonic() - started
    finally:
        os.close(descriptor)
    assert READER_DEFERENCE_S <= waited < READER_DEFERENCE_S + 5


def test_a_failed_detach_keeps_the_attachment_for_the_next_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "shared.duckdb"
    DuckDBStore(path).write({"liquidations": liquidations(2)})
    real_run = attached._run

    def failing_detach(host: duckdb.DuckDBPyConnection, sql: str) -> None:
        if sql.startswith("DETACH"):
            raise duckdb.IOException("injected: detach failed")
        real_run(host, sql)

    monkeypatch.setattr(attached, "_run", failing_detach)
    _reader(path).close()  # the failure is logged, not raised out of close()
    assert ATTACHMENTS.attached() == [str(path.resolve())]
    monkeypatch.setattr(attached, "_run", real_run)
    with _reader(path) as reader:  # shares the kept attachment instead of attaching twice
        assert reader.count("liquidations") == 2
    assert ATTACHMENTS.attached() == []
