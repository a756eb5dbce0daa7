"""Speed of the market simulator: trader-steps per second and simulated days per wall minute.

    python benchmarks/sim.py --positions 100000 --hours 6 --step 1 --scenario quiet

A trader-step is one open position carried through one step (the step's liquidation check covers it). The run
starts with ``--positions`` open (three venues) and keeps about that many open (arrivals balance closes); records
are made as in a real run but not stored. Goal (issue 4): a simulated day with 100k positions at 1-second steps in
under 60 s of wall time, i.e. at least 1 simulated day per wall minute.
"""

from __future__ import annotations

import argparse
import time

from perpscope.sim import Market, RunConfig, scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--positions", type=int, default=100_000)
    parser.add_argument("--hours", type=float, default=6.0, help="simulated hours to time")
    parser.add_argument("--step", type=float, default=1.0, help="step in seconds")
    parser.add_argument("--scenario", default="quiet")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()

    started = time.perf_counter()
    market = Market(
        RunConfig(scenario(arguments.scenario, positions=arguments.positions), arguments.seed, arguments.step)
    )
    setup_s = time.perf_counter() - started
    steps = market.steps_for(arguments.hours / 24)
    trader_steps = 0
    liquidations = 0
    started = time.perf_counter()
    for _ in range(steps):
        result = market.step()
        trader_steps += sum(len(venue.positions) for venue in market.venues)
        liquidations += len(result.liquidations)
    wall_s = time.perf_counter() - started
    simulated_days = steps * arguments.step / 86_400
    print(
        f"scenario {arguments.scenario}, seed {arguments.seed}, step {arguments.step:g} s, "
        f"{arguments.hours:g} simulated hours ({steps:,} steps), set-up {setup_s:.2f} s"
    )
    print(
        f"open positions: {arguments.positions:,} target, {trader_steps / steps:,.0f} on average; "
        f"{liquidations:,} liquidations"
    )
    print(f"wall time: {wall_s:.2f} s")
    print(f"trader-steps per second: {trader_steps / wall_s:,.0f}")
    print(
        f"simulated days per wall minute: {simulated_days / (wall_s / 60):.2f} "
        f"(a simulated day takes {wall_s / simulated_days:.1f} s)"
    )


if __name__ == "__main__":
    main()
