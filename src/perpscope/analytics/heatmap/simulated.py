"""Validation against the simulator's ground truth (perpscope.sim): every position and its liquidation price known.

A scenario is run once; its venue records go to a store (the model reads them through the service, as it would
read a real venue's) and, at the end of every heatmap column, the open positions are binned by liquidation price
(USD at that price, the model's unit). The estimate's grid and the truth's are then compared column by column on
the bins near the price (:mod:`perpscope.analytics.heatmap.validation`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pyarrow.compute as pc

from perpscope.analytics.heatmap.bars import FloatArray
from perpscope.analytics.heatmap.config import HeatmapConfig
from perpscope.analytics.heatmap.model import run_model
from perpscope.analytics.heatmap.outputs import heatmap_grid
from perpscope.analytics.heatmap.validation import GridScore, price_window, score_grids, truth_grid
from perpscope.models import Record
from perpscope.sim import Market, RunConfig, scenario
from perpscope.sim.truth import open_positions
from perpscope.sim.venues import SYMBOL
from perpscope.store import Store

_BATCH = 50_000  # records per store write


@dataclasses.dataclass(frozen=True)
class Truth:
    """Per venue: column row id (``column start // column_ms``), side (+1/-1), liquidation price, USD at it."""

    start_ms: int
    end_ms: int
    column_ms: int
    positions: dict[str, tuple[FloatArray, FloatArray, FloatArray, FloatArray]]


@dataclasses.dataclass(frozen=True)
class SimulatedScore:
    scenario: str
    seed: int
    venue: str
    config: str
    long: GridScore
    short: GridScore


def simulate(
    name: str, seed: int, store: Store, *, column_ms: int = 3_600_000, step_s: float = 5.0, days: float | None = None
) -> Truth:
    """Run scenario ``name`` into ``store``; snapshot every venue's open positions at each column end."""
    chosen = scenario(name)
    market = Market(RunConfig(chosen, seed=seed, step_s=step_s))
    start = market.ts
    pending: list[Record] = []
    parts: dict[str, list[tuple[FloatArray, ...]]] = {}
    for _ in range(market.steps_for(days if days is not None else chosen.days)):
        result = market.step()
        pending.extend(result.records)
        if len(pending) >= _BATCH:
            store.write_records(pending)
            pending.clear()
        if result.ts % column_ms == 0:
            _snapshot(market, result.ts // column_ms - 1, parts)
    if pending:
        store.write_records(pending)
    positions = {
        venue: tuple(np.concatenate(column) for column in zip(*rows, strict=True)) for venue, rows in parts.items()
    }
    return Truth(start, market.ts, column_ms, positions)  # type: ignore[arg-type]


def _snapshot(market: Market, row_id: int, parts: dict[str, list[tuple[FloatArray, ...]]]) -> None:
    table = open_positions(market)
    for venue in set(table.column("venue").to_pylist()):
        mine = table.filter(pc.equal(table.column("venue"), venue))
        prices = mine.column("liquidation_price").to_numpy()
        quantity = mine.column("quantity").to_numpy()
        sides = np.where(np.asarray(mine.column("side").to_pylist()) == "long", 1.0, -1.0)
        rows = np.full(prices.size, float(row_id))
        parts.setdefault(venue, []).append((rows, sides, prices, quantity * prices))


def score(
    store: Store,
    truth: Truth,
    venue: str,
    configs: Mapping[str, HeatmapConfig],
    *,
    skip_hours: float = 6.0,
    window: float = 0.15,
    k: int = 5,
    name: str = "",
    seed: int = 0,
) -> list[SimulatedScore]:
    """Each config's heatmap against the truth, columns after ``skip_hours`` (the seeded book predates the data)."""
    from perpscope.service.heatmap import load_venue  # the service reads the store the simulator wrote

    rows, sides, prices, notionals = truth.positions[venue]
    scores = []
    for label, config in configs.items():
        prepared = load_venue(store, venue, SYMBOL, "1m", truth.start_ms, truth.end_ms, config)
        run = run_model(prepared.bars, config, venue, symbol=SYMBOL, table=prepared.table)
        heatmap = heatmap_grid(run)
        row_of = np.searchsorted(heatmap.times // config.column_ms, rows.astype(np.int64))
        matched = (row_of < heatmap.times.size) & (
            heatmap.times[np.minimum(row_of, heatmap.times.size - 1)] // config.column_ms == rows
        )
        window_mask = price_window(heatmap, window)
        window_mask[heatmap.times < truth.start_ms + skip_hours * 3_600_000] = False
        side_scores = {}
        for sign, estimate in ((1, heatmap.long), (-1, heatmap.short)):
            chosen = matched & (sides == sign)
            grid = truth_grid(prices[chosen], notionals[chosen], row_of[chosen].astype(np.float64), heatmap)
            side_scores[sign] = score_grids(estimate, grid, window_mask, k)
        scores.append(SimulatedScore(name, seed, venue, label, side_scores[1], side_scores[-1]))
    return scores
