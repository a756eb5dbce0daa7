"""A seeded run checked at every step: conservation of open interest, liquidations that remove their positions,
no position surviving the mark past its liquidation price, a cascade chain, and determinism."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from sim_runs import short_cascade_config

from perpscope.models import Liquidation, Side
from perpscope.sim import Market, RunConfig, StepResult
from perpscope.sim.exchange import LiquidationRow

STEPS = 1_440  # 2 hours of 5-second steps; the fall starts at 40 minutes


@dataclass
class Observed:
    market: Market
    results: list[StepResult]
    violations: list[str]


def check_step(market: Market, result: StepResult) -> list[str]:
    problems = []
    for venue in market.venues:
        positions = venue.positions
        alive = positions.column("alive")
        sides, quantities = positions.column("sides")[alive], positions.column("quantities")[alive]
        longs, shorts = float(quantities[sides > 0].sum()), float(quantities[sides < 0].sum())
        if not (
            np.isclose(positions.long_quantity, longs, rtol=1e-9, atol=1e-9)
            and np.isclose(positions.short_quantity, shorts, rtol=1e-9, atol=1e-9)
            and np.isclose(venue.open_interest(), max(longs, shorts), rtol=1e-9, atol=1e-9)
        ):
            problems.append(f"step {result.step} {venue.spec.name}: OI {venue.open_interest()} vs {max(longs, shorts)}")
        ids = positions.column("ids")[alive]
        gone = [row.position_id for row in result.liquidations if row.venue == venue.spec.name]
        if np.isin(gone, ids).any():
            problems.append(f"step {result.step} {venue.spec.name}: a liquidated position is still open")
        # Pricing every pending position here is what the engine itself would do at the bounds; it only forces
        # prices earlier, so the run is unchanged.
        positions.price_pending()
        prices = positions.column("liquidation_prices")[alive]
        survivors = ((sides > 0) & (prices >= venue.mark)) | ((sides < 0) & (prices <= venue.mark))
        if survivors.any():
            problems.append(f"step {result.step} {venue.spec.name}: {int(survivors.sum())} crossed positions open")
    return problems


@pytest.fixture(scope="module")
def observed() -> Observed:
    market = Market(short_cascade_config())
    results, violations = [], []
    for _ in range(STEPS):
        result = market.step()
        results.append(result)
        violations.extend(check_step(market, result))
    return Observed(market, results, violations)


def test_open_interest_conserved_and_no_survivor_at_every_step(observed: Observed) -> None:
    assert observed.violations == []
    assert sum(len(result.liquidations) for result in observed.results) > 100  # the check had work to do


def test_fall_collapses_open_interest_and_liquidates_longs(observed: Observed) -> None:
    per_step_oi = []
    for result in observed.results:
        oi = [r for r in result.records if type(r).__name__ == "OpenInterest"]
        if oi:
            per_step_oi.append((result.ts, sum(r.oi_base for r in oi if r.oi_base is not None)))
    start = observed.market.config.start_ms
    before = max(total for ts, total in per_step_oi if ts <= start + 40 * 60_000)
    after = min(total for ts, total in per_step_oi if ts >= start + 75 * 60_000)
    assert after < 0.85 * before  # at least 15% of open interest gone
    rows = [row for result in observed.results for row in result.liquidations]
    fall = [row for row in rows if start + 40 * 60_000 <= row.ts <= start + 70 * 60_000]
    assert sum(row.quantity for row in fall if row.side > 0) > 5 * sum(row.quantity for row in fall if row.side < 0)


def test_cascade_chain(observed: Observed) -> None:
    """Liquidation A's market order moved the mark past position B's price, and B was liquidated next round."""
    rows = [row for result in observed.results for row in result.liquidations]
    chains = []
    for row in rows:
        if row.round == 0 or row.side < 0:
            continue
        causes = [a for a in rows if a.step == row.step and a.round == row.round - 1 and a.venue == row.venue]
        for cause in causes:
            # Before A's round the mark was above B's price (B was safe); after it, at or below (B crossed).
            if cause.trigger_mark > row.liquidation_price >= cause.mark_after:
                chains.append((cause, row))
                break
    assert chains, "no liquidation was fired by another's market order"
    cause, caused = chains[0]
    assert caused.trigger_mark <= caused.liquidation_price
    assert caused.trigger_mark == pytest.approx(cause.mark_after)
    assert cause.fill_price < cause.trigger_mark  # the forced sell walked the bids down
    assert max(row.round for row in rows) >= 2  # chains of more than one link happen


def test_liquidation_records_carry_the_fill(observed: Observed) -> None:
    for result in observed.results:
        records = [r for r in result.records if isinstance(r, Liquidation)]
        assert len(records) == len(result.liquidations)
        for record, row in zip(records, result.liquidations, strict=True):
            assert (record.venue, record.source, record.complete) == (row.venue, "sim", True)
            assert record.side == (Side.LONG if row.side > 0 else Side.SHORT)
            assert (record.price, record.quantity) == (row.fill_price, row.quantity)
            assert record.notional_usd == pytest.approx(row.fill_price * row.quantity)
            assert record.symbol == "BTC-USDT-PERP" and record.ts_event == result.ts


def _signature(rows: list[LiquidationRow]) -> list[tuple[object, ...]]:
    return [(r.venue, r.position_id, r.ts, r.round, r.fill_price) for r in rows]


def test_same_seed_same_market() -> None:
    first, second, other = (Market(short_cascade_config(seed)) for seed in (7, 7, 8))
    for market in (first, second, other):
        market.run(900)
    assert first.index.price == second.index.price
    assert _signature(first.liquidation_log) == _signature(second.liquidation_log)
    assert [len(v.positions) for v in first.venues] == [len(v.positions) for v in second.venues]
    assert first.index.price != other.index.price


def test_step_must_divide_a_minute() -> None:
    with pytest.raises(ValueError, match="divide a minute"):
        Market(RunConfig(short_cascade_config().scenario, step_s=7.0))
