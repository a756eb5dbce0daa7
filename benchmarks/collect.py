"""Records/s from the loopback fake venues into DuckDB, end to end, and the collector's peak memory.

The four fake venues (``perpscope.fakevenue``: real wire formats) play a scripted market of ``--symbols`` symbols
on 127.0.0.1, one market step every ``--step-ms`` ms per venue. The real collector (``collect.Collector`` with the
venues' own connectors, default intervals) runs in a child process into a DuckDB file in a temporary directory for
``--seconds``, then stops as on Ctrl-C (last batch written). Printed: records stored (new rows), messages received,
both per second of collection; what the venues sent; and the collector's peak resident memory (``VmHWM`` of the
child, read by itself at the end; the parent's own samples of ``VmRSS`` every 0.2 s as a cross-check).

    .venv/bin/python benchmarks/collect.py                    # 4 venues x 20 symbols, 30 s, a step every 50 ms
    .venv/bin/python benchmarks/collect.py --seconds 60 --step-ms 20

Loopback only, bounded in time: the venues stop with the parent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from perpscope.fakevenue import okx as fake_okx
from perpscope.fakevenue.background import BackgroundVenue
from perpscope.fakevenue.binance import BinanceDialect
from perpscope.fakevenue.bybit import BybitDialect
from perpscope.fakevenue.hyperliquid import HyperliquidDialect
from perpscope.fakevenue.market import scripted
from perpscope.fakevenue.okx import OkxDialect

VENUES = ("binance", "okx", "bybit", "hyperliquid")
DIALECTS: dict[str, Any] = {
    "binance": BinanceDialect,
    "okx": OkxDialect,
    "bybit": BybitDialect,
    "hyperliquid": HyperliquidDialect,
}
BASES: tuple[str, ...] = ("BTC", "ETH", "SOL", "XRP", "DOGE", "BNB", "ADA", "AVAX", "LINK", "DOT")
BASES += ("LTC", "TRX", "NEAR", "APT", "ARB", "OP", "SUI", "TON", "BCH", "UNI")
HISTORY_STEPS = 20  # published before the collector connects: current values and some REST history
GOAL_MB = 300
STOP_GRACE_S = 60.0


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def status_kb(pid: int | str, field: str) -> int:
    """A ``kB`` line of ``/proc/<pid>/status`` (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


# ---------------------------------------------------------------- child: the collector


async def collect(config: dict[str, Any]) -> dict[str, Any]:
    from perpscope.collect import registry
    from perpscope.collect.collector import Collector
    from perpscope.collect.connector import ConnectorSettings, VenueUrls
    from perpscope.store import DuckDBStore, schema

    store = DuckDBStore(Path(config["database"]))
    connectors = [
        registry.make(venue, ConnectorSettings(tuple(config["bases"]), urls=VenueUrls(*config["urls"][venue])))
        for venue in config["venues"]
    ]
    collector = Collector(connectors, store)
    started = time.monotonic()
    running = asyncio.create_task(collector.run())
    await asyncio.sleep(config["seconds"])
    collector.stop()
    await running
    elapsed = time.monotonic() - started
    peak_kb = status_kb("self", "VmHWM")  # before the counting queries below
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = usage.ru_utime + usage.ru_stime
    tables = sorted({spec.name for spec in schema.TABLE_OF_RECORD.values()})
    counts = {table: int(store.query(f"SELECT count(*) AS n FROM {table}").item()) for table in tables}
    return {
        "seconds": elapsed,
        "messages": collector.status.messages,
        "malformed": collector.status.malformed,
        "reconnects": collector.status.reconnects,
        "received": collector.writer.received,
        "stored": collector.status.stored,
        "rows": {table: count for table, count in counts.items() if count},
        "errors": collector.errors,
        "peak_kb": peak_kb,
        "cpu_s": cpu_s,
    }


def child(config_text: str) -> None:
    print(json.dumps(asyncio.run(collect(json.loads(config_text)))), flush=True)


# ---------------------------------------------------------------- parent: the venues and the measurement


def start_venues(venues: tuple[str, ...], bases: tuple[str, ...], step_ms: int, seconds: float) -> list[Any]:
    # The fake OKX knows the contract values of BTC and ETH only; the other swaps get 1 coin per contract here.
    fake_okx.CONTRACT_VALUES.update({base: fake_okx.CONTRACT_VALUES.get(base, 1.0) for base in bases})
    started = []
    start = now_ms()
    steps = int((seconds + 30) * 1000 / step_ms)  # more than the run needs: the venues stop with the parent
    for venue in venues:
        background = BackgroundVenue(DIALECTS[venue]()).__enter__()
        history = HISTORY_STEPS * step_ms
        background.publish_all(scripted(bases, count=HISTORY_STEPS, start_ms=start - history, step_ms=step_ms))
        background.play(scripted(bases, count=steps, start_ms=start + 1_000, step_ms=step_ms))
        started.append(background)
    return started


def run_child(config: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The child's report and the largest VmRSS sampled from outside (kB)."""
    command = [sys.executable, __file__, "--child", json.dumps(config)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    sampled, deadline = 0, time.monotonic() + config["seconds"] + STOP_GRACE_S
    while process.poll() is None:
        sampled = max(sampled, status_kb(process.pid, "VmRSS"))
        if time.monotonic() > deadline:  # a collector that does not stop when told is a finding, not a hang
            process.kill()
            raise SystemExit(f"the collector did not stop within {STOP_GRACE_S:.0f} s of being told to: killed")
        time.sleep(0.2)
    output = process.stdout.read() if process.stdout else ""
    if process.returncode != 0:
        raise SystemExit(f"the collector process failed (exit {process.returncode})")
    return json.loads(output.strip().splitlines()[-1]), sampled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="collection time (default 30)")
    parser.add_argument("--symbols", type=int, default=20, help=f"symbols per venue, at most {len(BASES)}")
    parser.add_argument("--step-ms", type=int, default=50, help="ms between market steps (default 50)")
    parser.add_argument("--venues", default=",".join(VENUES))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child)
        return
    venues, bases = tuple(arguments.venues.split(",")), BASES[: arguments.symbols]
    with tempfile.TemporaryDirectory(prefix="perpscope-bench-") as directory:
        running = start_venues(venues, bases, arguments.step_ms, arguments.seconds)
        try:
            urls = {venue: (b.venue.rest_url, b.venue.websocket_url) for venue, b in zip(venues, running, strict=True)}
            config = {
                "venues": venues,
                "bases": bases,
                "urls": urls,
                "seconds": arguments.seconds,
                "database": str(Path(directory) / "bench.duckdb"),
            }
            sent_before = [b.venue.ledger.texts_written for b in running]
            report, sampled = run_child(config)
            sent = sum(b.venue.ledger.texts_written for b in running) - sum(sent_before)
        finally:
            for background in running:
                background.__exit__(None, None, None)
    print_report(report, sampled, sent, len(venues), len(bases), arguments.step_ms)


def print_report(report: dict[str, Any], sampled_kb: int, sent: int, venues: int, symbols: int, step_ms: int) -> None:
    seconds = report["seconds"]
    peak_mb = report["peak_kb"] / 1024
    print(f"{venues} venues x {symbols} symbols, a market step every {step_ms} ms, {seconds:.1f} s of collection")
    print(f"  venues sent      {sent:>10,} websocket messages ({sent / seconds:,.0f}/s)")
    print(
        f"  collector read   {report['messages']:>10,} messages + REST answers ({report['messages'] / seconds:,.0f}/s)"
    )
    print(f"  records parsed   {report['received']:>10,} ({report['received'] / seconds:,.0f}/s)")
    print(
        f"  records stored   {report['stored']:>10,} new rows ({report['stored'] / seconds:,.0f}/s)  {report['rows']}"
    )
    print(f"  collector CPU    {report['cpu_s']:>10.1f} s ({report['cpu_s'] / seconds:.0%} of one core, all threads)")
    print(
        f"  malformed {report['malformed']}, reconnects {report['reconnects']}, "
        f"venue errors {report['errors'] or 'none'}"
    )
    verdict = "met" if peak_mb < GOAL_MB else "MISSED"
    print(f"  collector peak RSS {peak_mb:,.0f} MB (VmHWM; sampled VmRSS max {sampled_kb / 1024:,.0f} MB)")
    print(f"  goal < {GOAL_MB} MB: {verdict}")


if __name__ == "__main__":
    main()
