"""A simulated perpetual-futures market that knows every position: ground truth for perpscope's models.

``Market(RunConfig(scenario("long-cascade"), seed=1))`` steps an index, three venues (Binance-, Bybit-, OKX-style),
their traders and liquidation engines; :mod:`perpscope.sim.truth` exports every open position and every liquidation.
docs/simulator.md describes the model and its parameters.
"""

from perpscope.sim.market import Market, RunConfig, StepResult
from perpscope.sim.scenarios import SCENARIOS, Scenario, scenario

__all__ = ["SCENARIOS", "Market", "RunConfig", "Scenario", "StepResult", "scenario"]
