"""The simulated market's clock: one index, several venues, fixed steps, one seed.

Each :meth:`Market.step` moves the index, lets each venue's agents trade, runs the liquidation engine in rounds
until no position is crossed (a cascade is a run of rounds), samples premiums, settles funding, and returns the
venue records that became due: marks and indexes, predicted funding and 1-minute candles every minute, open
interest, long/short account ratio and taker volume every 5 minutes, settled funding at each settlement, and every
liquidation. Times are simulated: ``start_ms`` plus steps; pacing against the wall clock is the caller's (run.py).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from perpscope.models import Record
from perpscope.sim.exchange import LiquidationRow, Venue, VenueSpec
from perpscope.sim.positions import IdCounter
from perpscope.sim.process import IndexProcess
from perpscope.sim.records import RecordMaker
from perpscope.sim.scenarios import Scenario
from perpscope.sim.seeding import seed_population
from perpscope.sim.venues import DEFAULT_VENUES

START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
MAX_ROUNDS = 10_000  # a cascade ends when no position is crossed; this only guards against a bug


@dataclass(frozen=True)
class RunConfig:
    scenario: Scenario
    seed: int = 1
    step_s: float = 1.0
    start_ms: int = START_MS
    venues: tuple[VenueSpec, ...] = DEFAULT_VENUES
    minute_s: int = 60  # marks, predicted funding, candles
    period_s: int = 300  # open interest, ratios, taker volume


@dataclass
class StepResult:
    step: int
    ts: int
    records: list[Record]
    liquidations: list[LiquidationRow] = field(default_factory=list)


class Market:
    def __init__(self, config: RunConfig):
        step_ms = round(config.step_s * 1000)
        if step_ms <= 0 or 60_000 % step_ms:
            raise ValueError(f"step_s must divide a minute (got {config.step_s})")
        self.config = config
        scenario = config.scenario
        self.rng = np.random.default_rng(config.seed)
        self.step_number = 0
        self.ts = config.start_ms
        self.index = IndexProcess(scenario.process, scenario.start_price, config.step_s, self.rng, scenario.shocks)
        self._ids = IdCounter()
        self.venues = [
            Venue(spec, scenario.market, scenario.agents, scenario.start_price, config.step_s, self.rng, self._ids)
            for spec in config.venues
        ]
        seed_population(self.venues, scenario, config.step_s, self.rng, self._ids, config.start_ms)
        for venue in self.venues:
            venue.update_mark(self.index.price, self._until_funding_s(venue))
        self.records = RecordMaker(self)
        self.liquidation_log: list[LiquidationRow] = []
        self._minute_prices: deque[float] = deque([scenario.start_price], maxlen=61)
        self.momentum = 0.0

    @property
    def elapsed_s(self) -> float:
        return self.step_number * self.config.step_s

    def _until_funding_s(self, venue: Venue) -> float:
        interval_ms = int(venue.spec.funding.interval_h * 3_600_000)
        return ((self.ts // interval_ms + 1) * interval_ms - self.ts) / 1000.0

    def step(self) -> StepResult:
        self.step_number += 1
        previous_ts = self.ts
        self.ts = self.config.start_ms + round(self.step_number * self.config.step_s * 1000)
        self.index.step(self.elapsed_s)
        pass_through = self.config.scenario.market.pass_through
        for venue in self.venues:
            moved = venue.trade(self.step_number, self.ts, self.index.price, self.momentum)
            self.index.move(pass_through * venue.spec.share * moved)
        liquidations = self._cascade(pass_through)
        self.liquidation_log.extend(liquidations)
        settlements = []
        for venue in self.venues:
            venue.end_step()
            settled = self._funding(venue, previous_ts)
            if settled is not None:
                settlements.append((venue, settled))
        records = self.records.due(previous_ts, self.ts, liquidations, settlements)
        if self.ts // 60_000 != previous_ts // 60_000:
            self._update_momentum()
        return StepResult(self.step_number, self.ts, records, liquidations)

    def _cascade(self, pass_through: float) -> list[LiquidationRow]:
        """Liquidation rounds until no venue's mark crosses a position: each round's market orders move prices
        (and the index), which may cross the next positions."""
        fired: list[LiquidationRow] = []
        for round_number in range(MAX_ROUNDS):
            this_round: list[LiquidationRow] = []
            for venue in self.venues:
                venue.update_mark(self.index.price, self._until_funding_s(venue))
                rows, moved = venue.liquidate(self.ts, self.step_number, round_number, self.index.price)
                if rows:
                    self.index.move(pass_through * venue.spec.share * moved)
                    this_round.extend(rows)
            if not this_round:
                return fired
            for row in this_round:
                venue = self._venue(row.venue)
                row.mark_after = venue.update_mark(self.index.price, self._until_funding_s(venue))
            fired.extend(this_round)
        raise RuntimeError(f"liquidation cascade did not end after {MAX_ROUNDS} rounds")

    def _funding(self, venue: Venue, previous_ts: int) -> tuple[int, float] | None:
        """Sample the premium index when a sampling time passed; settle when a funding time passed."""
        rules = venue.spec.funding
        sample_ms = round(rules.sample_s * 1000)
        if self.ts // sample_ms != previous_ts // sample_ms:
            venue.funding.add(venue.premium_sample())
            venue.predicted = venue.funding.rate()
        interval_ms = round(rules.interval_h * 3_600_000)
        if self.ts // interval_ms == previous_ts // interval_ms:
            return None
        rate = venue.funding.settle()
        venue.predicted = rules.interest
        return (self.ts // interval_ms) * interval_ms, rate

    def _venue(self, name: str) -> Venue:
        return next(venue for venue in self.venues if venue.spec.name == name)

    def _update_momentum(self) -> None:
        self._minute_prices.append(self.index.price)
        hourly = self.config.scenario.process.hourly_volatility
        self.momentum = math.log(self._minute_prices[-1] / self._minute_prices[0]) / hourly

    def run(self, steps: int) -> list[StepResult]:
        return [self.step() for _ in range(steps)]

    def steps_for(self, days: float) -> int:
        return round(days * 86_400 / self.config.step_s)
