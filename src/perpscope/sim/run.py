"""Running a simulated market: as fast as possible into a store, or paced against the wall clock.

``speed`` is simulated seconds per wall second (1 = real time; 1440 = a simulated day per wall minute).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from perpscope.models import Record
from perpscope.sim.market import Market, RunConfig, StepResult
from perpscope.sim.truth import export
from perpscope.store import Store

BATCH_RECORDS = 50_000  # records per store write: one transaction each


@dataclass(frozen=True)
class RunSummary:
    steps: int
    records: int
    liquidations: int
    wall_s: float
    positions_file: Path | None
    liquidations_file: Path | None


def run_to_store(
    config: RunConfig,
    days: float,
    store: Store | None,
    truth_folder: Path | None = None,
    progress: Callable[[Market], None] | None = None,
) -> tuple[Market, RunSummary]:
    """Simulate ``days``; write every record to ``store`` (in batches) and the ground truth to ``truth_folder``."""
    market = Market(config)
    started = time.perf_counter()
    pending: list[Record] = []
    records = liquidations = 0
    steps = market.steps_for(days)
    steps_per_hour = max(round(3600 / config.step_s), 1)
    for _ in range(steps):
        result = market.step()
        pending.extend(result.records)
        liquidations += len(result.liquidations)
        if len(pending) >= BATCH_RECORDS:
            records += _flush(store, pending)
        if progress is not None and market.step_number % steps_per_hour == 0:
            progress(market)
    records += _flush(store, pending)
    files = export(market, truth_folder) if truth_folder is not None else (None, None)
    return market, RunSummary(steps, records, liquidations, time.perf_counter() - started, *files)


def _flush(store: Store | None, pending: list[Record]) -> int:
    count = len(pending)
    if store is not None and pending:
        store.write_records(pending)
    pending.clear()
    return count


def paced(market: Market, speed: float, steps: int | None = None) -> Iterator[StepResult]:
    """Steps released on the wall clock: step ``n`` is yielded ``n x step_s / speed`` seconds after the start."""
    if speed <= 0:
        raise ValueError(f"speed must be positive (simulated seconds per wall second), got {speed}")
    started = time.monotonic()
    count = 0
    while steps is None or count < steps:
        result = market.step()
        count += 1
        delay = started + count * market.config.step_s / speed - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield result
