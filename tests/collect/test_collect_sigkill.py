"""SIGKILL a collector mid-stream, restart it: the store opens, nothing stored is corrupt, the loss stays within
one flush (about a second), and with the raw recorder replayed at restart nothing the process received is lost."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from collect_helpers import COMPOSE_CLI, now_ms, stored_keys

from perpscope.fakevenue.background import BackgroundVenue
from perpscope.fakevenue.binance import BinanceDialect
from perpscope.fakevenue.market import scripted
from perpscope.store import DuckDBStore

FLUSH_BOUND_MS = 1_000  # the writer flushes every second
SLACK_MS = 500  # one write's duration and the scheduler's
IN_FLIGHT_MS = 250  # frames on the wire or in the socket buffer when the process died


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


def _ws_keys(background: BackgroundVenue, before_ms: int) -> dict[str, set[tuple[object, ...]]]:
    """Keys of liquidations and prices the venue wrote to a socket, for events before ``before_ms``."""
    ledger = background.venue.ledger
    return {
        "liquidations": {key for key in ledger.delivered_keys("liquidations") if key[2] < before_ms},
        "prices": {key for key in ledger.delivered_keys("prices") if key[3] < before_ms},
    }


def test_sigkill_loses_at_most_one_flush_and_nothing_after_replay(tmp_path: Path) -> None:
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
        delivered_before_kill = _ws_keys(background, killed_at - IN_FLIGHT_MS)

        # The store opens after the kill, every table reads whole, and only the last flush can be missing.
        store = DuckDBStore(db)
        for table in ("liquidations", "prices", "funding", "open_interest", "gaps"):
            assert store.query(f"SELECT * FROM {table}").height == store.count(table)
        for table, delivered in delivered_before_kill.items():
            stored = stored_keys(store, table)
            assert len(stored) == len(set(stored))
            missing = delivered - set(stored)
            time_of = 2 if table == "liquidations" else 3
            assert all(key[time_of] >= killed_at - FLUSH_BOUND_MS - SLACK_MS for key in missing), table
            assert len(delivered) > 50
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
    for table, delivered in delivered_before_kill.items():
        stored = stored_keys(store, table)
        assert len(stored) == len(set(stored))
        assert delivered <= set(stored), f"{table}: {len(delivered - set(stored))} delivered records missing"
    restart_gaps = store.query(
        "SELECT ts_event, ts_end FROM gaps WHERE channel = 'liquidations' AND reason = 'restart'"
    ).rows()
    assert len(restart_gaps) == 2  # BTC and ETH
    assert all(start <= killed_at <= end for start, end in restart_gaps)
