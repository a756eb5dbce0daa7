"""The positions open when a run starts: the crowd a scenario begins with.

Each venue gets ``positions x share`` positions drawn like new ones (agents.py), with the scenario's starting side
bias and leverage mix, entries spread around the start price (``initial_entry_mean`` +- ``initial_entry_spread``,
in log terms) and remaining holding times drawn from the same exponential (it has no memory). A position whose
liquidation price the start price has already crossed would not exist (the path to the start liquidated it): it
is dropped, so the start holds no crossed position.
"""

from __future__ import annotations

import math

import numpy as np

from perpscope.analytics.liquidation import liquidation_prices
from perpscope.sim.agents import draw_openings
from perpscope.sim.exchange import Venue
from perpscope.sim.positions import IdCounter
from perpscope.sim.scenarios import Scenario


def seed_population(
    venues: list[Venue],
    scenario: Scenario,
    step_s: float,
    rng: np.random.Generator,
    ids: IdCounter,
    ts: int,
) -> None:
    agents, price = scenario.agents, scenario.start_price
    probability = 1.0 / (1.0 + math.exp(-agents.initial_long_bias))
    for venue in venues:
        count = round(agents.positions * venue.spec.share)
        openings = draw_openings(agents, rng, count, initial=True)
        sides = np.where(openings.uniforms < probability, 1, -1).astype(np.int8)
        entries = price * np.exp(agents.initial_entry_mean + agents.initial_entry_spread * rng.standard_normal(count))
        quantities = openings.notionals / entries
        tier_values = quantities if venue.spec.tiers_by_size else openings.notionals
        table = venue.spec.table
        leverages = np.minimum(openings.leverages, table.max_leverages[table.indices(tier_values)])
        prices = liquidation_prices(venue.spec.name, sides, entries, leverages, quantities, table)
        # Keep a small margin from the start mark: a position at its price at the start would fire at step 1.
        alive = np.where(sides > 0, prices < price * 0.999, prices > price * 1.001)
        kept = int(alive.sum())
        new_ids = ids.take(kept)
        hold_steps = np.maximum(np.ceil(openings.holds_s[alive] / step_s), 1).astype(np.int64)
        venue.seed(new_ids, sides[alive], quantities[alive], entries[alive], leverages[alive], hold_steps, ts)
