"""``perpscope sim``: the simulated market (perpscope.sim), offline, with its ground truth.

``sim run`` writes the venue records into a database of its own (never the user's) and the ground truth (open
positions at the end, every liquidation) to Parquet. Everything it writes is labelled: records have
``source="sim"``, and the output says the data is simulated.
"""

from __future__ import annotations

from pathlib import Path

import click

from perpscope.cli.common import console
from perpscope.sim import SCENARIOS, Market, RunConfig, scenario
from perpscope.sim.run import run_to_store
from perpscope.store import open_store

BANNER = "[bold yellow]SIMULATED DATA[/] — a market made by perpscope's simulator (seeded), not real market data."


@click.group("sim")
def sim() -> None:
    """The market simulator: a market whose every position is known (ground truth for perpscope's models)."""


@sim.command("run")
@click.option("--scenario", "name", type=click.Choice(sorted(SCENARIOS)), default="long-cascade", show_default=True)
@click.option("--days", type=click.FloatRange(min=0, min_open=True), default=None, help="[default: the scenario's]")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out/sim"),
    show_default=True,
    help="Folder for the simulated database (sim.duckdb) and the ground-truth Parquet files.",
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--step", "step_s", type=float, default=1.0, show_default=True, help="Step in seconds (divides 60).")
@click.option("--positions", type=click.IntRange(min=1), default=None, help="Open positions on average.")
def run(name: str, days: float | None, out: Path, seed: int, step_s: float, positions: int | None) -> None:
    """Simulate a scenario as fast as possible into OUT/sim.duckdb, with ground truth in OUT/*.parquet."""
    console.print(BANNER)
    chosen = scenario(name, positions=positions)
    length = days if days is not None else chosen.days
    out.mkdir(parents=True, exist_ok=True)
    database = out / "sim.duckdb"
    for stale in (database, database.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    config = RunConfig(chosen, seed=seed, step_s=step_s)
    with open_store(database) as store:
        _, summary = run_to_store(config, length, store, out, progress=_progress)
    console.print(
        f"scenario [bold]{name}[/] ({chosen.description}), seed {seed}: {length:g} simulated days in "
        f"{summary.wall_s:.1f} s wall time; {summary.records:,} records (source 'sim'), "
        f"{summary.liquidations:,} liquidations"
    )
    console.print(f"database: {database}")
    console.print(f"ground truth: {summary.positions_file} (open positions at the end), {summary.liquidations_file}")


def _progress(market: Market) -> None:
    hours = market.elapsed_s / 3600
    if hours % 6 == 0:
        open_interest = sum(venue.open_interest() for venue in market.venues)
        console.print(
            f"  {hours:5.0f} h  index {market.index.price:,.1f} USD  open interest {open_interest:,.1f} BTC  "
            f"liquidations so far {len(market.liquidation_log):,}",
            highlight=False,
        )


COMMANDS = [sim]
