"""Write throughput: N liquidation-like rows into DuckDB and PostgreSQL through ``Store.write``.

    python benchmarks/store_write.py --rows 5000000 --backend both

PostgreSQL runs on a private throw-away cluster (tests/pgcluster.py, needs initdb/pg_ctl) with default,
durable settings. Figures are rows per second of wall time for the whole write, including the
idempotence work (in-batch de-duplication, and the check against stored rows: the primary key on
PostgreSQL, the single writer's look-up within the batch's time range on DuckDB).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the private-cluster helpers
import pgcluster
from perpscope.store import Store, schema
from perpscope.store.duckdb import DuckDBStore
from perpscope.store.postgres import PostgresStore

T0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC, ms
DAYS = 30
VENUES = ["binance", "bybit", "okx", "hyperliquid", "deribit"]
BASES = ["BTC", "ETH", "SOL", "XRP", "DOGE", "BNB", "ADA", "AVAX", "LINK", "DOT"]


def liquidation_table(rows: int, seed: int = 7) -> pa.Table:
    """``rows`` distinct liquidations spread over 30 days, 5 venues and 10 symbols, sorted by time."""
    generator = np.random.default_rng(seed)
    symbols = [f"{base}-USDT-PERP" for base in BASES]
    natives = [f"{base}USDT" for base in BASES]
    venue = generator.integers(0, len(VENUES), rows, dtype=np.int32)
    symbol = generator.integers(0, len(BASES), rows, dtype=np.int32)
    ts_event = np.sort(generator.integers(T0, T0 + DAYS * 86_400_000, rows, dtype=np.int64))
    side = generator.integers(0, 2, rows, dtype=np.int32)
    price = np.round(np.exp(generator.normal(8.0, 2.0, rows)), 2)
    quantity = np.round(generator.exponential(2_000.0, rows) / price, 4) + 0.0001
    columns = {
        "venue": _strings(venue, VENUES),
        "symbol": _strings(symbol, symbols),
        "native_symbol": _strings(symbol, natives),
        "ts_event": pa.array(ts_event),
        "ts_recv": pa.array(ts_event + generator.integers(20, 400, rows)),
        "source": _strings(venue, [f"{name} ws" for name in VENUES]),
        "side": _strings(side, ["long", "short"]),
        "price": pa.array(price),
        "quantity": pa.array(quantity),
        "notional_usd": pa.array(price * quantity),
        "complete": pa.array(generator.random(rows) < 0.9),
    }
    return pa.table(columns, schema=schema.table("liquidations").arrow_schema)


def _strings(indices: np.ndarray, values: list[str]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(indices), pa.array(values)).cast(pa.string())


@contextlib.contextmanager
def open_backend(backend: str) -> Iterator[Store]:
    """A new, empty store: a DuckDB file in a temporary directory, or a database on a private cluster."""
    if backend == "duckdb":
        with tempfile.TemporaryDirectory(prefix="perpscope-bench-") as directory:
            store = DuckDBStore(Path(directory) / "bench.duckdb")
            try:
                yield store
            finally:
                store.close()
        return
    reason = pgcluster.missing_reason()
    if reason:
        raise SystemExit(f"postgres: {reason}")
    cluster = pgcluster.start(durable=True)
    try:
        with PostgresStore(cluster.url) as store:
            yield store
    finally:
        pgcluster.stop(cluster)


def versions(backend: str, store: Store) -> str:
    if backend == "duckdb":
        import duckdb

        return f"DuckDB {duckdb.__version__}"
    return str(store.query("SELECT version() AS v")["v"][0]).split(" on ")[0]


def bench_write(store: Store, table: pa.Table, batches: int) -> tuple[float, float]:
    """Seconds to write ``table`` as ``batches`` writes, then to write it all again (every row already stored)."""
    size = -(-table.num_rows // batches)
    started = time.perf_counter()
    added = sum(
        store.write({"liquidations": table.slice(i, size)})["liquidations"].added
        for i in range(0, table.num_rows, size)
    )
    first = time.perf_counter() - started
    if added != table.num_rows:
        raise SystemExit(f"expected {table.num_rows} rows added, got {added}")
    started = time.perf_counter()
    again = store.write({"liquidations": table})["liquidations"]
    second = time.perf_counter() - started
    if again.added != 0:
        raise SystemExit(f"rewrite added {again.added} rows; expected 0")
    return first, second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--backend", choices=["duckdb", "postgres", "both"], default="both")
    parser.add_argument("--batches", type=int, default=1, help="split the rows into this many writes")
    arguments = parser.parse_args()
    started = time.perf_counter()
    table = liquidation_table(arguments.rows)
    print(f"generated {arguments.rows:,} liquidation rows in {time.perf_counter() - started:.1f} s")
    backends = ["duckdb", "postgres"] if arguments.backend == "both" else [arguments.backend]
    for backend in backends:
        with open_backend(backend) as store:
            first, second = bench_write(store, table, arguments.batches)
            print(
                f"{backend:8} {versions(backend, store)}: {arguments.rows:,} rows in {arguments.batches} write(s): "
                f"{first:.2f} s = {arguments.rows / first:,.0f} rows/s; "
                f"rewriting all (0 added): {second:.2f} s = {arguments.rows / second:,.0f} rows/s"
            )


if __name__ == "__main__":
    main()
