"""Raw recordings (hourly files, readable after a kill, torn tails), replay into the store, the batch writer."""

from __future__ import annotations

import asyncio
import gzip
import logging
from pathlib import Path

import pytest

from perpscope.collect.connector import ConnectorSettings
from perpscope.collect.recorder import RawFrame, Recorder, read_frames, recordings
from perpscope.collect.replay import replay
from perpscope.collect.writer import BatchWriter
from perpscope.fakevenue.binance import BinanceDialect
from perpscope.fakevenue.market import LiquidationEvent, MarkEvent
from perpscope.models import Liquidation, Side
from perpscope.store import DuckDBStore
from perpscope.venues.binance.connector import BinanceConnector

H08 = 1_795_248_000_000  # 2026-11-21T08:00:00Z
SECOND = 1_000


def _frames(recorder: Recorder, venue: str, times: list[int]) -> list[RawFrame]:
    written = []
    for number, ts in enumerate(times):
        frame = RawFrame(ts, venue, f"{venue} ws0", f'{{"n":{number}}}')
        recorder.add(frame.v, frame.k, frame.t, frame.p)
        written.append(frame)
    return written


def test_files_rotate_by_venue_and_utc_hour(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path)
    binance = _frames(recorder, "binance", [H08 + 3599 * SECOND, H08 + 3600 * SECOND + 100])
    okx = _frames(recorder, "okx", [H08 + 1800 * SECOND])
    recorder.close()
    names = [path.relative_to(tmp_path).as_posix() for path in recordings(tmp_path)]
    assert names == ["binance/2026-11-21T08.jsonl.gz", "binance/2026-11-21T09.jsonl.gz", "okx/2026-11-21T08.jsonl.gz"]
    # Closed files are ordinary gzip files, each holding its hour's lines.
    with gzip.open(tmp_path / "binance/2026-11-21T08.jsonl.gz", "rt") as handle:
        assert handle.read() == '{"t":1795251599000,"v":"binance","k":"binance ws0","p":"{\\"n\\":0}"}\n'
    assert list(read_frames(tmp_path / "binance/2026-11-21T09.jsonl.gz")) == [binance[1]]
    assert list(read_frames(tmp_path / "okx/2026-11-21T08.jsonl.gz")) == okx


def test_a_restart_in_the_same_hour_starts_a_new_file(tmp_path: Path) -> None:
    first = Recorder(tmp_path)
    _frames(first, "binance", [H08])
    first.close()
    second = Recorder(tmp_path)
    later = _frames(second, "binance", [H08 + 10 * SECOND])
    second.close()
    assert [path.name for path in recordings(tmp_path)] == ["2026-11-21T08.1.jsonl.gz", "2026-11-21T08.jsonl.gz"]
    assert list(read_frames(tmp_path / "binance/2026-11-21T08.1.jsonl.gz")) == later


def test_every_frame_is_readable_without_close_as_after_a_kill(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path)
    written = _frames(recorder, "binance", [H08 + n for n in range(50)])
    (path,) = recorder.paths  # never closed: no gzip trailer, as when the process is killed
    assert list(read_frames(path)) == written
    with pytest.raises(EOFError), gzip.open(path, "rt") as handle:
        handle.read()  # the standard reader refuses; ours reads to the last whole line


def test_a_torn_last_frame_is_skipped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder(tmp_path)
    written = _frames(recorder, "binance", [H08 + n for n in range(9)])
    (path,) = recorder.paths
    before_last = path.stat().st_size
    last = RawFrame(H08 + 9, "binance", "binance ws0", '{"n":9,"padding":"' + "x" * 400 + '"}')
    recorder.add(last.v, last.k, last.t, last.p)
    after_last = path.stat().st_size
    with path.open("r+b") as handle:  # a crash in the middle of writing the last frame
        handle.truncate(before_last + (after_last - before_last) // 2)
    with caplog.at_level(logging.WARNING):
        assert list(read_frames(path)) == written
    assert f"{path}: last line cut off by a crash, skipped" in caplog.text


def _record_binance_market(folder: Path) -> tuple[list[Liquidation], int]:
    """Three liquidations and two mark updates in Binance's wire format, plus one malformed frame."""
    dialect = BinanceDialect()
    recorder = Recorder(folder)
    events = [
        LiquidationEvent("BTC", H08 + 1, Side.LONG, 60_000.5, 0.25),
        LiquidationEvent("BTC", H08 + 2, Side.SHORT, 60_010.0, 1.5),
        MarkEvent("BTC", H08 + 3, 60_001.0, 60_000.0, 0.0001, H08 + 3_600_000),
        LiquidationEvent("ETH", H08 + 4, Side.LONG, 3_000.0, 2.0),
        MarkEvent("ETH", H08 + 5, 3_001.0, 3_000.5, -0.0002, H08 + 3_600_000),
    ]
    expected: list[Liquidation] = []
    for event in events:
        for rendered in dialect.render(event):
            recorder.add("binance", "binance ws0", event.ts + 7, dialect.wrap(rendered.stream, rendered.payload, True))
            expected += [record for record in rendered.records if isinstance(record, Liquidation)]
    recorder.add("binance", "binance ws0", H08 + 9, '{"stream":"btcusdt@forceOrder","data":{')
    recorder.close()
    return expected, len(events) + 1


def test_replay_stores_recorded_frames_once(tmp_path: Path, duckdb_store: DuckDBStore) -> None:
    expected, frames = _record_binance_market(tmp_path / "rec")
    connectors = {"binance": BinanceConnector(ConnectorSettings(()))}
    first = replay(tmp_path / "rec", connectors, duckdb_store)
    # 3 liquidations + 2 marks x (mark, index, predicted funding) = 9 records; one frame malformed.
    assert (first.files, first.frames, first.malformed, first.records, first.added) == (1, frames, 1, 9, 9)
    again = replay(tmp_path / "rec", connectors, duckdb_store)
    assert (again.records, again.added) == (9, 0)
    rows = duckdb_store.query(
        "SELECT symbol, ts_event, ts_recv, side, price, quantity, notional_usd, complete "
        "FROM liquidations ORDER BY ts_event"
    ).rows()
    assert rows == [
        ("BTC-USDT-PERP", H08 + 1, H08 + 8, "long", 60_000.5, 0.25, 15_000.125, False),
        ("BTC-USDT-PERP", H08 + 2, H08 + 9, "short", 60_010.0, 1.5, 90_015.0, False),
        ("ETH-USDT-PERP", H08 + 4, H08 + 11, "long", 3_000.0, 2.0, 6_000.0, False),
    ]
    assert [(r.symbol, r.ts_event, r.side, r.price, r.quantity) for r in expected] == [
        row[:2] + row[3:6] for row in rows
    ]
    funding = duckdb_store.query(
        "SELECT symbol, rate, funding_time FROM funding WHERE kind = 'predicted' ORDER BY symbol"
    )
    assert funding.rows() == [("BTC-USDT-PERP", 0.0001, H08 + 3_600_000), ("ETH-USDT-PERP", -0.0002, H08 + 3_600_000)]


def test_replay_since_skips_older_frames(tmp_path: Path, duckdb_store: DuckDBStore) -> None:
    _record_binance_market(tmp_path / "rec")
    connectors = {"binance": BinanceConnector(ConnectorSettings(()))}
    count = replay(tmp_path / "rec", connectors, duckdb_store, since_ms=H08 + 11)  # received from H08 + 11 ms on
    assert (count.frames, count.records) == (2, 4)  # the ETH liquidation, and the ETH mark, index and funding


def test_a_failed_write_keeps_the_batch_for_the_next_flush(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    DuckDBStore(path).close()  # created and migrated
    record = Liquidation(
        venue="binance", symbol="BTC-USDT-PERP", native_symbol="BTCUSDT", ts_event=H08, ts_recv=H08 + 5,
        side=Side.LONG, price=60_000.0, quantity=0.1, notional_usd=6_000.0, complete=False,
    )  # fmt: skip
    writer = BatchWriter(DuckDBStore(path, read_only=True))
    writer.add([record])
    assert asyncio.run(writer.flush()) == 0
    assert (writer.failures, writer.pending, writer.added) == (1, 1, 0)
    writer.store = DuckDBStore(path)  # the database is writable again
    writer.add([record])  # the same record arriving again: stored once
    assert asyncio.run(writer.flush()) == 1
    assert (writer.pending, writer.received, writer.added, writer.flushes) == (0, 2, 1, 1)
    assert writer.store.count("liquidations") == 1
