"""The simulator's mechanics checked against METHOD.md's numbers: liquidation prices of its positions, funding on a
hand-computed premium series, and the order book's walk."""

from __future__ import annotations

import numpy as np
import pytest

from perpscope.sim import Market, RunConfig, scenario
from perpscope.sim.book import BookParams, Ladder, OrderBook
from perpscope.sim.funding import LINEAR, FundingAccumulator, FundingRules, funding_rate, premium_average
from perpscope.sim.positions import IdCounter


@pytest.fixture(scope="module")
def market() -> Market:
    return Market(RunConfig(scenario("quiet", positions=300), seed=3, step_s=10.0))


def add_positions(market: Market, venue_name: str, rows: list[tuple[int, float, float, float]]) -> np.ndarray:
    """Add (side, entry, leverage, quantity) rows to a venue and price them the simulator's way."""
    venue = next(v for v in market.venues if v.spec.name == venue_name)
    ids = IdCounter(10_000_000).take(len(rows))
    sides, entries, leverages, quantities = (np.array(column) for column in zip(*rows, strict=True))
    venue.positions.add(ids, sides.astype(np.int8), quantities, entries, leverages, 0, (np.inf, -np.inf))
    venue.positions.price_pending()
    slots = venue.positions.slots_of(ids)
    return venue.positions.column("liquidation_prices")[slots]


def test_binance_positions_carry_method_md_liquidation_prices(market: Market) -> None:
    prices = add_positions(
        market,
        "binance",
        [
            (1, 100_000.0, 10.0, 1.0),
            (-1, 100_000.0, 10.0, 1.0),
            (1, 100_000.0, 100.0, 1.0),
            (1, 100_000.0, 5.0, 1.0),
            (1, 100_000.0, 10.0, 20.0),
        ],
    )
    # METHOD.md §3 test vectors: 10x long, 10x short, 100x long, 5x long, and 20 BTC 10x long (bracket 3).
    assert np.round(prices, 1).tolist() == [90_402.0, 109_502.5, 99_447.2, 80_351.8, 90_541.0]


def test_bybit_positions_use_entry_value_maintenance(market: Market) -> None:
    (price,) = add_positions(market, "bybit", [(1, 100_000.0, 10.0, 1.0)])
    # EP - (IM - MM)/Q = 100,000 - (10,000 - 500) = 90,500 (tier 1: MMR 0.5%, no deduction).
    assert price == pytest.approx(90_500.0, abs=1e-6)


def test_okx_style_positions_include_the_closing_fee(market: Market) -> None:
    (price,) = add_positions(market, "okx", [(-1, 100_000.0, 20.0, 1.0)])
    # (EP + margin/Q) / (1 + MMR + fee) = 105,000 / 1.0045 (tier 1 of the simulator's table: 0.4%, fee 0.05%).
    assert price == pytest.approx(105_000.0 / 1.0045, rel=1e-12)


def test_funding_formula_on_a_hand_computed_premium_series() -> None:
    rules = FundingRules()  # 8 h, interest 0.01%, clamp 0.05%, cap 0.3%
    # Mean 0.05%: I - P = -0.04% is inside the clamp, so F = I exactly.
    assert funding_rate(premium_average([0.0002, 0.0004, 0.0009]), rules) == 0.0001
    # Mean 0.11%: I - P = -0.10% is clamped to -0.05%: F = 0.11% - 0.05% = 0.06%.
    assert funding_rate(premium_average([0.0010, 0.0012]), rules) == pytest.approx(0.0006, abs=1e-15)
    # Bybit weights 1..n: (1 x 0.1% + 2 x 0.2%) / 3 = 0.16667%; F = 0.16667% - 0.05% = 0.11667%.
    assert premium_average([0.001, 0.002], LINEAR) == pytest.approx(0.005 / 3, abs=1e-15)
    assert funding_rate(0.005 / 3, rules) == pytest.approx(0.005 / 3 - 0.0005, abs=1e-15)
    # Negative premium -0.10%: I - P = 0.11% clamped to +0.05%: F = -0.05%.
    assert funding_rate(-0.001, rules) == pytest.approx(-0.0005, abs=1e-15)
    # A premium of 1% would give 0.95%: the cap holds it at 0.3%.
    assert funding_rate(0.01, rules) == 0.003
    # A 4-hour interval scales the interest: 0.005%.
    assert funding_rate(0.0, FundingRules(interval_h=4.0)) == pytest.approx(0.00005, abs=1e-18)


def test_accumulator_is_the_running_twap() -> None:
    for weighting in ("equal", LINEAR):
        accumulator = FundingAccumulator(FundingRules(weighting=weighting))
        samples = [0.0011, 0.0013, 0.0009, 0.0016]
        for sample in samples:
            accumulator.add(sample)
        assert accumulator.mean() == pytest.approx(premium_average(samples, weighting), abs=1e-15)
        assert accumulator.settle() == pytest.approx(premium_average(samples, weighting) - 0.0005, abs=1e-15)
        assert accumulator.count == 0 and accumulator.rate() == 0.0001


def test_ladder_walk_hand_computed() -> None:
    # Levels of 1 and 2 base units (depth 1, growth 1), 1 bp apart.
    ladder = Ladder(BookParams(tick=0.0001, depth=1.0, growth=1.0, levels=2))
    assert ladder.cumulative == [0.0, 1.0, 3.0]
    assert ladder.offset(0.5) == pytest.approx(0.00005)
    assert ladder.offset(2.0) == pytest.approx(0.00015)  # half way through the second level
    # Integral to 3: level 1 averages 0.5 bp over 1 unit, level 2 averages 1.5 bp over 2 units: 3.5 bp x unit.
    assert ladder.integral(3.0) == pytest.approx(0.00035)
    assert ladder.offset(10.0) == pytest.approx(0.0002)  # beyond the book: its last level


def test_order_book_average_fill_and_impact_premium() -> None:
    book = OrderBook(BookParams(tick=0.0001, depth=1.0, growth=1.0, levels=2, half_spread=0.00005))
    # Buying 3 from rest averages 3.5 bp / 3 = 1.1667 bp, plus the half spread 0.5 bp.
    assert book.average_offset(0.0, 3.0) == pytest.approx(0.00035 / 3 + 0.00005)
    assert book.average_offset(0.0, -3.0) == pytest.approx(-(0.00035 / 3 + 0.00005))
    # At rest the impact bid is below and the impact ask above the index: premium 0 (the dead zone).
    assert book.impact_premium(0.0, 1.0) == 0.0
    # After 3 units of net buying, selling 1 fills at the average of offsets over [2, 3]: (1.5 + 2) / 2 bp, less
    # the half spread: the impact bid is 1.25 bp above the index.
    assert book.impact_premium(3.0, 1.0) == pytest.approx(0.000175 - 0.00005)
