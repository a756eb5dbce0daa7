"""Dashboard latency: p50/p95 of each API endpoint over a year of data for 4 venues, and push latency.

    .venv/bin/python benchmarks/api.py [--days 365] [--repeat 100] [--db out/bench-api.duckdb]

The data are synthetic (a seeded random walk): per venue 1-minute candles, open interest every 5 minutes, settled
funding (8-hourly; hourly for hyperliquid) and 500 liquidations a day. Endpoints are timed in process through
the ASGI app with the per-request read-only opener ``perpscope serve`` uses, so each request pays for opening the
database (attaching the file to the process's DuckDB, store/attached.py) and reads it with an empty buffer pool:
nothing read by one request is kept for the next. No response is cached except the heatmap's, map's and signals'
computed results: the heatmap's first request runs the model (the "cold" column); later ones reuse the cached
run and re-bin it. "SQL" is the number of statements one request runs (the schema check on open not counted).
Push latency: ``perpscope serve`` runs in its own process, a client follows /api/live, and this process stores
liquidations; the time from the write's commit to the event's arrival is measured (goal < 1 s).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa

from perpscope.config import load_settings
from perpscope.store import open_store
from perpscope.web.app import create_app, per_request

VENUES = ("binance", "bybit", "okx", "hyperliquid")
MINUTE = 60_000
START = 1_735_689_600_000  # 2025-01-01 UTC
ENDPOINTS = [
    "/api/symbols",
    "/api/funding?symbol=BTC",
    "/api/funding/aggregate?symbol=BTC",
    "/api/funding/history?symbol=BTC&window=1y",
    "/api/open-interest?symbol=BTC&window=24h",
    "/api/open-interest/history?symbol=BTC&window=1y",
    "/api/liquidations?symbol=BTC&window=24h",
    "/api/liquidations/feed?symbol=BTC&limit=200",
    "/api/liquidations/waves?symbol=BTC&window=7d",
    "/api/signals?symbol=BTC&window=24h",
    "/api/heatmap?symbol=BTC&range=24h",
    "/api/heatmap?symbol=BTC&range=30d",
    "/api/heatmap?symbol=BTC&range=1y",
    "/api/heatmap/map?symbol=BTC",
]


def base_columns(venue: str, times: np.ndarray, source: str) -> dict[str, object]:
    symbol = "BTC-USD-PERP" if venue == "hyperliquid" else "BTC-USDT-PERP"
    count = times.size
    return {
        "venue": [venue] * count,
        "symbol": [symbol] * count,
        "native_symbol": ["BTC"] * count,
        "ts_event": times,
        "ts_recv": times,
        "source": [source] * count,
    }


def venue_tables(venue: str, days: int, rng: np.random.Generator) -> dict[str, pa.Table]:
    minutes = np.arange(days * 1440, dtype=np.int64) * MINUTE + START
    close = 95_000 * np.exp(np.cumsum(rng.normal(0, 0.0008, minutes.size)))
    opens = np.concatenate([[close[0]], close[:-1]])
    spread = np.abs(rng.normal(0, 0.0006, minutes.size)) * close
    candles = {
        **base_columns(venue, minutes, "bench"),
        "interval": ["1m"] * minutes.size,
        "kind": ["last"] * minutes.size,
        "open": opens,
        "high": np.maximum(opens, close) + spread,
        "low": np.minimum(opens, close) - spread,
        "close": close,
        "volume": rng.uniform(5, 50, minutes.size),
    }
    every5 = minutes[::5]
    oi_base = 80_000 * np.exp(np.cumsum(rng.normal(0, 0.002, every5.size)))
    oi = {**base_columns(venue, every5, "bench"), "oi_base": oi_base, "reported": ["base"] * every5.size}
    oi["conversion_price"] = close[::5]
    interval_h = 1.0 if venue == "hyperliquid" else 8.0
    settle = minutes[:: int(interval_h * 60)]
    funding = {
        **base_columns(venue, settle, "bench"),
        "rate": rng.normal(0.0001, 0.0001, settle.size) * interval_h / 8,
        "interval_h": [interval_h] * settle.size,
        "kind": ["settled"] * settle.size,
        "funding_time": settle,
    }
    events = np.sort(rng.integers(START, minutes[-1], days * 500))
    price = np.interp(events, minutes, close)
    quantity = rng.exponential(0.2, events.size)
    liquidations = {
        **base_columns(venue, events, "bench"),
        "side": np.where(rng.random(events.size) < 0.5, "long", "short").tolist(),
        "price": price,
        "quantity": quantity,
        "notional_usd": price * quantity,
        "complete": [True] * events.size,
    }
    tables = {"candles": candles, "open_interest": oi, "funding": funding, "liquidations": liquidations}
    return {name: pa.table(columns) for name, columns in tables.items()}  # type: ignore[arg-type]


def build(path: Path, days: int) -> None:
    if path.exists():
        return
    rng = np.random.default_rng(7)
    with open_store(path, hold=True) as store:
        for venue in VENUES:
            store.write(venue_tables(venue, days, rng))
            print(f"  wrote {venue}: {days} days", flush=True)


def time_endpoints(path: Path, repeat: int) -> None:
    from fastapi.testclient import TestClient

    settings = load_settings(environ={})
    statements = _count_statements()
    with TestClient(create_app(per_request(str(path), settings), push=False)) as client:
        print(f"{'endpoint':52} {'cold ms':>9} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>4}")
        for url in ENDPOINTS:
            started = time.perf_counter()
            first = client.get(url)
            cold = (time.perf_counter() - started) * 1000
            if first.status_code != 200:
                print(f"{url:52} HTTP {first.status_code}: {first.text[:120]}")
                continue
            samples = []
            for _ in range(repeat):
                statements.clear()
                started = time.perf_counter()
                client.get(url)
                samples.append((time.perf_counter() - started) * 1000)
            p95 = statistics.quantiles(samples, n=20)[-1]
            line = f"{url:52} {cold:9.0f} {statistics.median(samples):8.1f} {p95:8.1f} {len(statements):4}"
            print(line, flush=True)


def _count_statements() -> list[str]:
    """Every statement the store runs is appended to the returned list (a Python call's cost, ~1 µs)."""
    from perpscope.store.duckdb import DuckDBStore

    seen: list[str] = []
    query = DuckDBStore.query

    def counted(self: DuckDBStore, sql: str, params: Sequence[Any] = ()) -> Any:
        seen.append(sql)
        return query(self, sql, params)

    DuckDBStore.query = counted  # type: ignore[method-assign]
    return seen


SERVE = (
    "import sys; from perpscope.cli.serving import serve; from perpscope.cli.common import App; "
    "from perpscope.config import load_settings; "
    "serve.main(sys.argv[2:], obj=App(load_settings(overrides={'db': sys.argv[1]})), standalone_mode=True)"
)


def push_latency(path: Path, count: int = 20, port: int = 8077) -> None:
    from perpscope.models import Liquidation, Side

    server = subprocess.Popen([sys.executable, "-c", SERVE, str(path), "--port", str(port)], stdout=subprocess.DEVNULL)
    arrivals: dict[float, float] = {}
    try:
        _wait(f"http://127.0.0.1:{port}/api/symbols")
        listener = threading.Thread(target=_listen, args=(f"http://127.0.0.1:{port}/api/live", arrivals), daemon=True)
        listener.start()
        time.sleep(1.0)  # the server's poller has had its first look
        committed: dict[float, float] = {}
        for step in range(count):
            now = int(time.time() * 1000)
            price = 200_000.0 + step
            record = Liquidation(
                venue="binance", symbol="BTC-USDT-PERP", native_symbol="BTCUSDT", ts_event=now, ts_recv=now,
                source="bench", side=Side.LONG, price=price, quantity=0.01, notional_usd=price * 0.01, complete=True,
            )  # fmt: skip
            with open_store(path) as store:
                store.write_records([record])
            committed[price] = time.monotonic()
            time.sleep(0.3)
        time.sleep(1.5)
        latencies = sorted((arrivals[price] - committed[price]) * 1000 for price in committed if price in arrivals)
        print(f"push store -> client: {len(latencies)}/{count} received; ", end="")
        if latencies:
            print(f"p50 {statistics.median(latencies):.0f} ms, max {latencies[-1]:.0f} ms")
    finally:
        server.terminate()
        server.wait(timeout=15)


def _listen(url: str, arrivals: dict[float, float]) -> None:
    import json

    try:
        with httpx.stream("GET", url, timeout=None) as response:
            for line in response.iter_lines():
                if line.startswith("data: "):
                    row = json.loads(line[6:])
                    if row.get("source") == "bench" and "price" in row:
                        arrivals[row["price"]] = time.monotonic()
    except httpx.HTTPError:
        pass  # the server stopped at the end of the run


def _wait(url: str) -> None:
    for _ in range(200):
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=100, help="requests per endpoint (p95 of 20 is the 2nd slowest)")
    parser.add_argument("--db", type=Path, default=Path("out/bench-api.duckdb"))
    arguments = parser.parse_args()
    print(f"building {arguments.db} ({arguments.days} days x {len(VENUES)} venues) unless it exists")
    build(arguments.db, arguments.days)
    time_endpoints(arguments.db, arguments.repeat)
    push_latency(arguments.db)


if __name__ == "__main__":
    main()
