"""Query latency: time-bucketed liquidation aggregates over N rows, on DuckDB and PostgreSQL.

    python benchmarks/query.py --rows 5000000 --backend both

Loads the rows benchmarks/store_write.py generates (not timed), then runs each query ``--repeat`` times and
prints the median and the fastest, in milliseconds. DuckDB is queried the way a CLI command does it: each run
opens the file read-only, queries, and closes (the open is included). PostgreSQL keeps one connection.
"""

from __future__ import annotations

import argparse
import statistics
import time

from perpscope.store import Store
from perpscope.store.duckdb import DuckDBStore
from store_write import DAYS, T0, liquidation_table, open_backend, versions

DAY = 86_400_000
QUERIES = {
    "hourly USD by side, all venues and symbols, 30 days": (
        "SELECT ts_event - ts_event % 3600000 AS bucket, side, count(*) AS n, sum(notional_usd) AS usd "
        "FROM liquidations WHERE ts_event >= ? AND ts_event < ? GROUP BY 1, 2 ORDER BY 1, 2",
        [T0, T0 + DAYS * DAY],
    ),
    "5-minute USD by side, one venue and symbol, 1 day": (
        "SELECT ts_event - ts_event % 300000 AS bucket, side, count(*) AS n, sum(notional_usd) AS usd "
        "FROM liquidations WHERE venue = ? AND symbol = ? AND ts_event >= ? AND ts_event < ? "
        "GROUP BY 1, 2 ORDER BY 1, 2",
        ["binance", "BTC-USDT-PERP", T0 + 10 * DAY, T0 + 11 * DAY],
    ),
}


def run(store: Store, sql: str, params: list[object]) -> tuple[float, int]:
    """Milliseconds for one query, and the rows it counted."""
    started = time.perf_counter()
    if isinstance(store, DuckDBStore):
        with DuckDBStore(store.path, read_only=True) as reader:
            frame = reader.query(sql, params)
    else:
        frame = store.query(sql, params)
    return (time.perf_counter() - started) * 1000, int(frame["n"].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--backend", choices=["duckdb", "postgres", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=10)
    arguments = parser.parse_args()
    table = liquidation_table(arguments.rows)
    backends = ["duckdb", "postgres"] if arguments.backend == "both" else [arguments.backend]
    for backend in backends:
        with open_backend(backend) as store:
            store.write({"liquidations": table})
            if backend == "postgres":
                store_vacuum(store)
            print(f"{backend} {versions(backend, store)}, {arguments.rows:,} rows")
            for label, (sql, params) in QUERIES.items():
                timings, counted = zip(*(run(store, sql, params) for _ in range(arguments.repeat)), strict=True)
                print(
                    f"  {label}: median {statistics.median(timings):.0f} ms, fastest {min(timings):.0f} ms "
                    f"({arguments.repeat} runs, {counted[0]:,} rows aggregated)"
                )


def store_vacuum(store: Store) -> None:
    """Fresh rows need their visibility hints set once; a server's autovacuum does it soon after a load."""
    import psycopg

    with psycopg.connect(store.url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE liquidations")


if __name__ == "__main__":
    main()
