"""SIGKILL a collector mid-stream, restart it: the store opens, nothing stored is corrupt, the loss stays within
the last flush, and with the raw recorder replayed at restart nothing the process had received is lost."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from collect_helpers import COMPOSE_CLI, now_ms, stored_keys

from perpscope.collect.connector import ConnectorSettings
from perpscope.collect.recorder import read_frames, recordings
from perpscope.fakevenue.background import BackgroundVenue
from perpscope.fakevenue.binance import BinanceDialect
from perpscope.fakevenue.ledger import record_key
from perpscope.fakevenue.market import scripted
from perpscope.store import DuckDBStore
from perpscope.venues.binance.connector import BinanceConnector

FLUSH_MS = 1_000  # the writer flushes every second
SLACK_MS = 750  # plus the duration of one write, long on a loaded machine
STREAMED = ("liquidations", "prices")


def _start(db: Path, record: Path, url: str) -> subprocess.Popen[str]:
    arguments = [
        *("--db", str(db), "collect", "--venues", "binance", "--symbols", "BTC,ETH", "--record", str(record)),
        *("--venue-url", f"binance={url}", "--oi-interval", "0.2", "--funding-interval", "0.5"),
        *("--status-every", "0"),
    ]
    return subprocess.Popen(
        [sys.executable, "-c", COMPOSE_CLI, *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for_connection(background: BackgroundVenue, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while background.venue.connections == 0:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the collector never connected"
        time.sleep(0.05)


def _received(record: Path) -> dict[str, dict[tuple[object, ...], int]]:
    """What the killed process had received, from its recording: table -> record key -> receipt time (ms)."""
    connector = BinanceConnector(ConnectorSettings(()))
    received: dict[str, dict[tuple[object, ...], int]] = {table: {} for table in STREAMED}
    for path in recordings(record):
        for frame in read_frames(path):
            for parsed in connector.parse(frame.k, frame.p, frame.t):
                table, key = record_key(parsed)
                if table in received:
                    received[table].setdefault(key, frame.t)
    return received


def test_sigkill_loses_at_most_the_last_flush_and_nothing_after_replay(tmp_path: Path) -> None:
    db, record = tmp_path / "db.duckdb", tmp_path / "rec"
    with BackgroundVenue(BinanceDialect()) as background:
        background.publish_all(scripted(("BTC", "ETH"), 5, now_ms() - 10_000, step_ms=1_000))
        playing = background.play(scripted(("BTC", "ETH"), 100_000, now_ms() + 500, step_ms=10))
        first = _start(db, record, background.venue.rest_url)
        _wait_for_connection(background, first)
        time.sleep(2.5)
        first.send_signal(signal.SIGKILL)
        killed_at = now_ms()
        first.wait(timeout=10)
        playing.cancel()
        received = _received(record)
        delivered = {table: background.venue.ledger.delivered_keys(table) for table in STREAMED}

        # The store opens after the kill, every table reads whole, and only the last flush can be missing.
        store = DuckDBStore(db)
        for table in ("liquidations", "prices", "funding", "open_interest", "gaps"):
            assert store.query(f"SELECT * FROM {table}").height == store.count(table)
        for table in STREAMED:
            assert len(received[table]) > 50
            assert set(received[table]) <= delivered[table]  # the recording holds only what the venue sent
            stored = stored_keys(store, table)
            assert len(stored) == len(set(stored))
            missing = set(received[table]) - set(stored)
            late = [received[table][key] for key in missing]
            assert all(ts >= killed_at - FLUSH_MS - SLACK_MS for ts in late), (table, killed_at, sorted(late))
        store.close()

        # Restart: the recording is replayed first, then collection resumes; SIGTERM stops it cleanly.
        second = _start(db, record, background.venue.rest_url)
        _wait_for_connection(background, second)
        time.sleep(0.5)
        second.send_signal(signal.SIGTERM)
        _, stderr = second.communicate(timeout=20)
    assert second.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "recorded frames:" in stderr and "stored " in stderr
    store = DuckDBStore(db, read_only=True)
    for table in STREAMED:
        stored = stored_keys(store, table)
        assert len(stored) == len(set(stored))
        lost = set(received[table]) - set(stored)
        assert not lost, f"{table}: {len(lost)} received records missing after replay"
    restart_gaps = store.query(
        "SELECT ts_event, ts_end FROM gaps WHERE channel = 'liquidations' AND reason = 'restart'"
    ).rows()
    assert len(restart_gaps) == 2  # BTC and ETH
    assert all(start <= killed_at <= end for start, end in restart_gaps)
