"""A second process for the concurrency tests: ``python store_writer.py DB SECONDS BATCH [STOP_FILE]``.

Writes batches of ``BATCH`` new liquidations to the DuckDB file ``DB`` for ``SECONDS`` (or, given ``STOP_FILE``, until
that file appears, ``SECONDS`` being the limit), each write opening and closing the file as the collector does, then
prints one JSON line: rows written, writes, seconds spent.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from store_samples import liquidations

from perpscope.store import DuckDBStore


def main(path: str, seconds: float, batch: int, stop_file: Path | None) -> None:
    store = DuckDBStore(path, lock_timeout_s=30.0)
    started = time.monotonic()
    written = writes = 0
    while writes == 0 or (time.monotonic() - started < seconds and not (stop_file and stop_file.exists())):
        counts = store.write({"liquidations": liquidations(batch, start=written)})
        written += counts["liquidations"].added
        writes += 1
    store.close()
    print(json.dumps({"rows": written, "writes": writes, "seconds": time.monotonic() - started}))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]) if len(sys.argv) > 4 else None)
