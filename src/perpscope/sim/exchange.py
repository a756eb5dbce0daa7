"""One venue's engine: trades through the book, mark price, funding, open interest, and the liquidation engine.

Prices relative to the index: the perpetual's last price is ``index x (1 + basis + offset(pressure))``, where
``offset(pressure)`` is the book's transient impact of net taker flow (book.py) and ``basis`` is the premium makers
charge for the inventory they carry against the agents, ``inventory_premium x (L - S) / (L + S)`` (crowded longs
pay a premium; crowded shorts a discount). The mark is Binance's median (METHOD.md §2):

    mark = median(index x (1 + F x t / interval), index x (1 + EMA(last / index - 1)), last)

Liquidation engine: when the mark reaches a position's liquidation price (long: mark <= LP, short: mark >= LP), the
position is closed by a market order against the book. Each order moves the last price, a share of that move
passes to the index (``pass_through x share``: price discovery happens on the perpetuals), so the mark moves and
may cross the next positions: the market (market.py) repeats rounds until none fire. Nothing is scripted.

Open interest counts one side: agents' longs are matched by shorts of other agents or of makers, so the venue's
open interest is ``max(L, S)`` with ``L``, ``S`` the agents' long and short totals (makers hold the difference).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np

from perpscope.analytics.liquidation import MarginTable, liquidation_prices
from perpscope.analytics.liquidation.okx import DEFAULT_TAKER_FEE
from perpscope.sim.agents import AgentParams, OpeningFlow, long_probability
from perpscope.sim.book import BookParams, OrderBook
from perpscope.sim.funding import FundingAccumulator, FundingRules
from perpscope.sim.positions import FloatArray, IdCounter, Positions, Removed, pending_bounds


@dataclass(frozen=True)
class VenueSpec:
    name: str  # also the liquidation-price rules used (analytics/liquidation)
    native_symbol: str
    table: MarginTable
    funding: FundingRules
    share: float  # of the agents, and of price discovery
    tiers_by_size: bool = False  # OKX tiers by size in base units; the others by USD notional
    impact_notional_usd: float = 25_000.0  # the premium index's impact order (Binance: 200 USDT x 125)


@dataclass(frozen=True)
class MarketParams:
    book: BookParams = field(default_factory=BookParams)
    inventory_premium: float = 0.004  # basis when every agent position is on one side
    pass_through: float = 0.6  # share of a perpetual's price move the index follows
    basis_half_life_s: float = 60.0  # the mark's moving average of the basis


@dataclass
class LiquidationRow:
    """One liquidation, with its position and what fired it (ground truth)."""

    venue: str
    position_id: int
    side: int
    quantity: float
    entry: float
    leverage: float
    liquidation_price: float
    open_ts: int
    ts: int
    step: int
    round: int  # 0: fired by the step's own price move; n > 0: by the orders of round n - 1
    trigger_mark: float  # the mark that crossed the liquidation price
    fill_price: float  # average price of its market order
    mark_after: float = math.nan  # the mark once this round's orders were executed


class Venue:
    def __init__(
        self,
        spec: VenueSpec,
        market: MarketParams,
        agents: AgentParams,
        index: float,
        dt: float,
        rng: np.random.Generator,
        ids: IdCounter,
    ):
        self.spec = spec
        self.market = market
        self.agents = agents
        self.dt = dt
        self._ids = ids
        expected_oi_base = agents.positions * spec.share * agents.mean_notional_usd / index / 2
        # Depth scales with the venue's open interest, so a run's dynamics do not depend on the number of agents.
        book = market.book
        self.book = OrderBook(
            BookParams(
                book.tick,
                book.depth * expected_oi_base,
                book.growth,
                book.levels,
                book.half_spread,
                book.resilience_half_life_s,
            )
        )
        self.positions = Positions(self._price_positions)
        self._floors: list[float] = spec.table.floors.tolist()
        self._rates: list[float] = spec.table.rates.tolist()
        rate = agents.positions * spec.share / (agents.mean_hold_h * 3600.0) * dt
        self.flow = OpeningFlow(agents, rate, rng, None if spec.tiers_by_size else self._allowed_leverages)
        self.funding = FundingAccumulator(spec.funding)
        self.schedule: dict[int, list[int]] = {}
        self.basis_ema = 0.0
        self.last = index
        self.mark = index
        self.predicted = spec.funding.interest
        self.buy_volume = 0.0  # taker buys since the last period print, base units
        self.sell_volume = 0.0
        self._basis_decay = math.exp(-math.log(2) * dt / market.basis_half_life_s)

    # -- prices ------------------------------------------------------------------------------------------------

    def basis(self) -> float:
        total = self.positions.long_quantity + self.positions.short_quantity
        if total <= 0:
            return 0.0
        return self.market.inventory_premium * (self.positions.long_quantity - self.positions.short_quantity) / total

    def relative_last(self) -> float:
        return self.basis() + self.book.offset(self.book.pressure)

    def update_mark(self, index: float, until_funding_s: float) -> float:
        self.last = index * (1.0 + self.relative_last())
        interval_s = self.spec.funding.interval_h * 3600.0
        funding_term = index * (1.0 + self.predicted * until_funding_s / interval_s)
        self.mark = sorted((funding_term, index * (1.0 + self.basis_ema), self.last))[1]
        return self.mark

    def open_interest(self) -> float:
        return max(self.positions.long_quantity, self.positions.short_quantity)

    def premium_sample(self) -> float:
        quantity = self.spec.impact_notional_usd / self.last
        return self.basis() + self.book.impact_premium(self.book.pressure, quantity)

    def end_step(self) -> None:
        self.basis_ema = self._basis_decay * self.basis_ema + (1 - self._basis_decay) * self.relative_last()
        self.book.relax(self.dt)

    # -- agents' trades ----------------------------------------------------------------------------------------

    def trade(self, step: int, ts: int, index: float, momentum: float) -> float:
        """Closes due and new openings, netted into one market order; returns the change of the relative price."""
        before = self.relative_last()
        buys = sells = 0.0
        due = self.schedule.pop(step, None)
        if due:
            removed = self.positions.remove(self.positions.slots_of(np.array(due, dtype=np.int64)))
            long_closed = float(removed.quantities[removed.sides > 0].sum())
            sells += long_closed
            buys += float(removed.quantities.sum()) - long_closed
        count = self.flow.count()
        if count:
            opened = self._open(step, ts, index, momentum, count, before)
            buys += opened[0]
            sells += opened[1]
        net = buys - sells
        if net:
            self.book.pressure += net
        self.buy_volume += buys
        self.sell_volume += sells
        return self.relative_last() - before

    def _open(
        self, step: int, ts: int, index: float, momentum: float, count: int, relative: float
    ) -> tuple[float, float]:
        openings = self.flow.take(count)
        probability = long_probability(self.agents, momentum, self.predicted * 8.0 / self.spec.funding.interval_h)
        sides = np.where(openings.uniforms < probability, 1, -1).astype(np.int8)
        price = index * (1.0 + relative)
        quantities = openings.notionals / price
        leverages = openings.leverages
        if self.spec.tiers_by_size:  # the tier depends on the size, so on the price: checked at opening
            leverages = np.minimum(leverages, self._allowed_leverages(quantities))
        ids = self._ids.take(count)
        largest = float(openings.notionals.max())
        bounds = pending_bounds(price, float(leverages.max()), self._rate_bound(largest, largest / price))
        self.positions.add(ids, sides, quantities, np.full(count, price), leverages, ts, bounds)
        for hold_s, position_id in zip(openings.holds_s.tolist(), ids.tolist(), strict=True):
            self.schedule.setdefault(step + max(math.ceil(hold_s / self.dt), 1), []).append(position_id)
        long_quantity = float(quantities @ (sides > 0))
        return long_quantity, float(quantities.sum()) - long_quantity

    def seed(
        self,
        ids: np.ndarray,
        sides: np.ndarray,
        quantities: FloatArray,
        entries: FloatArray,
        leverages: FloatArray,
        holds_steps: np.ndarray,
        ts: int,
    ) -> None:
        """The population that existed before the run (scenario set-up)."""
        self.positions.add(ids, sides, quantities, entries, leverages, ts, (np.inf, -np.inf))
        self.positions.price_pending()  # priced at once (the bounds above would force it anyway)
        for hold_steps, position_id in zip(holds_steps.tolist(), ids.tolist(), strict=True):
            self.schedule.setdefault(hold_steps, []).append(position_id)

    # -- liquidation engine ------------------------------------------------------------------------------------

    def liquidate(self, ts: int, step: int, round_number: int, index: float) -> tuple[list[LiquidationRow], float]:
        """Close every position the mark has crossed, nearest first, by market orders walking the book.

        Returns the liquidations and the change of the relative last price they caused."""
        if not self.positions.may_cross(self.mark):
            return [], 0.0
        slots = self.positions.crossed(self.mark)
        if slots.size == 0:
            return [], 0.0
        before = self.relative_last()
        basis = self.basis()
        removed = self.positions.remove(slots)
        rows = self._fills(removed, ts, step, round_number, index, basis)
        return rows, self.relative_last() - before

    def _fills(
        self, removed: Removed, ts: int, step: int, round_number: int, index: float, basis: float
    ) -> list[LiquidationRow]:
        rows: list[LiquidationRow] = []
        book = self.book
        for position in range(removed.ids.size):
            side = int(removed.sides[position])
            quantity = float(removed.quantities[position])
            order = -side * quantity  # a long is closed by a sell
            fill = index * (1.0 + basis + book.average_offset(book.pressure, order))
            book.pressure += order
            if side > 0:
                self.sell_volume += quantity
            else:
                self.buy_volume += quantity
            rows.append(
                LiquidationRow(
                    self.spec.name,
                    int(removed.ids[position]),
                    side,
                    quantity,
                    float(removed.entries[position]),
                    float(removed.leverages[position]),
                    float(removed.liquidation_prices[position]),
                    int(removed.open_ts[position]),
                    ts,
                    step,
                    round_number,
                    self.mark,
                    fill,
                )
            )
        return rows

    # -- set-up ------------------------------------------------------------------------------------------------

    def _price_positions(
        self, sides: np.ndarray, entries: FloatArray, leverages: FloatArray, quantities: FloatArray
    ) -> FloatArray:
        return liquidation_prices(self.spec.name, sides, entries, leverages, quantities, self.spec.table)

    def _allowed_leverages(self, tier_values: FloatArray) -> FloatArray:
        table = self.spec.table
        allowed: FloatArray = table.max_leverages[table.indices(tier_values)]
        return allowed

    def _rate_bound(self, notional: float, quantity: float) -> float:
        """Maintenance rate (plus OKX's closing fee) of the highest tier a position of this size can reach while
        open: valued at up to three times its entry notional (a short's notional at its liquidation price stays
        far below that); OKX tiers by size, which does not move."""
        value = quantity if self.spec.tiers_by_size else 3.0 * notional
        tier = bisect.bisect_right(self._floors, value) - 1
        fee = DEFAULT_TAKER_FEE if self.spec.name == "okx" else 0.0
        return max(self._rates[: tier + 1]) + fee
