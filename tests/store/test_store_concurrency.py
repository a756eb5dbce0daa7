"""The embedded store shared by processes: a collector writing while CLI commands read (docs/architecture.md)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from perpscope.errors import StoreError
from perpscope.store import DuckDBStore

WRITER = Path(__file__).with_name("store_writer.py")


def _start_writer(path: Path, seconds: float, batch: int, stop_file: Path | None = None) -> subprocess.Popen[str]:
    stop = [str(stop_file)] if stop_file else []
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(path), str(seconds), str(batch), *stop],
        cwd=WRITER.parent,  # the writer imports store_samples from beside itself
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(writer: subprocess.Popen[str]) -> dict[str, float]:
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    return dict(json.loads(out))


def test_reader_process_reads_while_writer_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "shared.duckdb"
    DuckDBStore(path).close()  # created and migrated before either process starts
    # The writer runs until this reader has seen what the test is about (or 60 s): on a loaded machine a fixed
    # span can pass with the reader starved, which proves nothing either way.
    stop = tmp_path / "enough"
    writer = _start_writer(path, seconds=60.0, batch=200, stop_file=stop)
    reader = DuckDBStore(path, read_only=True)
    seen: list[int] = []
    while writer.poll() is None:
        seen.append(reader.count("liquidations"))  # every read succeeds: an exception fails the test
        if len(seen) >= 20 and len({count for count in seen if count > 0}) >= 3 and seen[-1] >= 5 * 200:
            stop.touch()
        time.sleep(0.01)
    result = _finish(writer)
    final = reader.count("liquidations")
    reader.close()
    assert result["writes"] >= 5 and result["rows"] == 200 * result["writes"]
    assert final == result["rows"]
    assert seen == sorted(seen), "a reader saw the table shrink"
    assert len(seen) >= 20
    in_progress = [count for count in seen if 0 < count < final]
    assert len(set(in_progress)) >= 2, f"reads did not interleave with writes: {seen}"
    assert all(count % 200 == 0 for count in seen), "a reader saw part of a write"


def test_writer_waits_for_a_reader_then_succeeds(tmp_path: Path) -> None:
    path = tmp_path / "shared.duckdb"
    DuckDBStore(path).close()
    holder = DuckDBStore(path, read_only=True, hold=True)  # e.g. a dashboard keeping the file open
    assert holder.count("liquidations") == 0
    started = time.monotonic()
    writer = _start_writer(path, seconds=0.0, batch=50)  # one write
    time.sleep(1.5)
    assert writer.poll() is None, "the writer finished while the file was held: it did not wait"
    holder.close()
    result = _finish(writer)
    assert (result["rows"], result["writes"]) == (50, 1)
    assert time.monotonic() - started >= 1.5
    with DuckDBStore(path, read_only=True) as reader:
        assert reader.count("liquidations") == 50


def test_read_only_open_of_a_missing_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "perpscope.duckdb"
    with pytest.raises(StoreError, match=str(missing)):
        DuckDBStore(missing, read_only=True)
    assert not missing.parent.exists()  # nothing was created on the way
