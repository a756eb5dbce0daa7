"""Throughput of the vectorised liquidation-price path: levels priced per second.

    python benchmarks/liquidation_price.py --levels 10000000 --repeat 3

A level is one (side, entry price, leverage, quantity). Entries are uniform in 20k-120k USD, leverages drawn from
the heatmap's tiers (5, 10, 25, 50, 100x), quantities log-normal so that notionals spread over several brackets
(most under 600k USD, a tail into the millions): the tier re-check at the liquidation notional does real work.
Leverages a bracket refuses come back NaN and are counted. The figure is the best of ``--repeat`` runs of wall
time for the whole call, per venue, using the shipped fallback tables (Binance BTCUSDT, Bybit BTCUSDT, Hyperliquid
BTC).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from perpscope.analytics.liquidation import liquidation_prices

VENUES = ("binance", "bybit", "hyperliquid")
LEVERAGE_TIERS = np.array([5.0, 10.0, 25.0, 50.0, 100.0])


def random_levels(count: int, seed: int = 11) -> dict[str, np.ndarray]:
    generator = np.random.default_rng(seed)
    entries = generator.uniform(20_000, 120_000, count)
    notionals = generator.lognormal(mean=np.log(30_000), sigma=1.5, size=count)
    return {
        "sides": generator.choice(np.array([1, -1], dtype=np.int8), count),
        "entries": entries,
        "leverages": generator.choice(LEVERAGE_TIERS, count),
        "quantities": notionals / entries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    levels = random_levels(arguments.levels)
    print(f"{arguments.levels:,} random levels (numpy {np.__version__})")
    for venue in VENUES:
        timings = []
        for _ in range(arguments.repeat):
            started = time.perf_counter()
            prices = liquidation_prices(venue, **levels)
            timings.append(time.perf_counter() - started)
        best = min(timings)
        refused = int(np.isnan(prices).sum())
        print(
            f"{venue:12s} {arguments.levels / best / 1e6:7.2f} M levels/s  "
            f"(best of {arguments.repeat}: {best:.3f} s; {refused:,} refused by max leverage, NaN)"
        )


if __name__ == "__main__":
    main()
