"""Named market presets, as data: the index process, the exogenous shocks, the traders and the venues' book.

Only the *news* is scripted (a :class:`Shock`: a drift over a window of hours); crowding, funding, open interest and
liquidation cascades come out of the positions. ``long-cascade`` is shaped after 2025-10-10 (METHOD.md §6): a
crowded, leveraged long market, a sharp fall, liquidations in bursts and an open-interest collapse.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from perpscope.sim.agents import AgentParams
from perpscope.sim.exchange import MarketParams
from perpscope.sim.process import ProcessParams, Shock


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    days: float = 2.0
    start_price: float = 100_000.0
    process: ProcessParams = field(default_factory=ProcessParams)
    shocks: tuple[Shock, ...] = ()
    agents: AgentParams = field(default_factory=AgentParams)
    market: MarketParams = field(default_factory=MarketParams)


QUIET = Scenario(
    name="quiet",
    description="range-bound market, balanced traders, funding at the 0.01% anchor",
)

SHORT_SQUEEZE = Scenario(
    name="short-squeeze",
    description="shorts pile into a balanced market for two days while price holds and funding turns negative, "
    "then a rally through the short clusters (hour 48)",
    days=3.0,
    # A setup builds over days: the start is balanced and every new trader leans short (about 3 in 4, fewer as
    # funding deepens), holding for a day on average, so open interest climbs through the first day and stays
    # crowded through the second. Mostly 5-10x: the crowd survives the noise and the news liquidates it.
    agents=AgentParams(
        long_bias=-1.2,
        funding_weight=-0.1,
        initial_long_bias=0.0,
        mean_hold_h=24.0,
        leverage_weights=(0.15, 0.30, 0.30, 0.15, 0.07, 0.03),
    ),
    shocks=(Shock(start_h=48.0, duration_h=1.5, log_return=0.045, volatility_multiplier=2.5),),
)

LONG_CASCADE = Scenario(
    name="long-cascade",
    description="crowded leveraged longs, then a sharp fall (hour 20) that liquidates them in cascades and "
    "collapses open interest, after 2025-10-10",
    agents=AgentParams(
        long_bias=1.0,
        initial_long_bias=1.4,
        momentum_weight=0.4,
        funding_weight=-0.1,
        initial_entry_mean=0.005,
        leverage_weights=(0.05, 0.15, 0.25, 0.25, 0.20, 0.10),
        initial_leverage_weights=(0.02, 0.08, 0.20, 0.30, 0.25, 0.15),
    ),
    shocks=(Shock(start_h=20.0, duration_h=0.5, log_return=-0.06, volatility_multiplier=3.0),),
)

OVERHEATED = Scenario(
    name="overheated",
    description="a steady rally with longs piling in, funding climbing to 0.07% and more, then a correction (hour 40)",
    agents=AgentParams(long_bias=1.2, initial_long_bias=0.8, momentum_weight=0.5, funding_weight=-0.08),
    shocks=(
        Shock(start_h=4.0, duration_h=34.0, log_return=0.06),
        Shock(start_h=40.0, duration_h=2.0, log_return=-0.06, volatility_multiplier=2.5),
    ),
)

SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario for scenario in (QUIET, SHORT_SQUEEZE, LONG_CASCADE, OVERHEATED)
}


def scenario(name: str, *, positions: int | None = None) -> Scenario:
    """The preset ``name``; ``positions`` overrides how many positions are open on average."""
    try:
        chosen = SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r} (known: {', '.join(SCENARIOS)})") from None
    if positions is not None:
        chosen = replace(chosen, agents=replace(chosen.agents, positions=positions))
    return chosen
