"""``perpscope sim``: the simulated market (perpscope.sim), offline, with its ground truth.

``sim run`` writes the venue records into a database of its own (never the user's) and the ground truth (open
positions at the end, every liquidation) to Parquet. ``sim serve`` serves the market on loopback in the venues'
wire formats for ``perpscope collect --venues sim``. Everything is labelled: records have ``source="sim"`` (or,
collected, the venue's wire source on a database the user chose for it), and the output says the data is
simulated.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import click

from perpscope.cli.common import console
from perpscope.sim import SCENARIOS, Market, RunConfig, scenario
from perpscope.sim.run import run_to_store
from perpscope.sim.serve import DEFAULT_PORT, SimServer, start_for
from perpscope.store import open_store
from perpscope.times import format_ms

WARM_UP_S = 300.0  # the first open-interest print: venues have current values before clients ask
SERVING = "serving"  # the line prefix a supervising process (the demo) reads the URLs from
CAUGHT_UP = "caught up"
WAITED = "clients connected"

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


@sim.command("serve")
@click.option("--scenario", "name", type=click.Choice(sorted(SCENARIOS)), default="long-cascade", show_default=True)
@click.option(
    "--speed",
    type=click.FloatRange(min=1),
    default=1_440.0,
    show_default=True,
    help="Simulated seconds per wall second while fast-forwarding (1440: a simulated day per wall minute).",
)
@click.option(
    "--days",
    type=click.FloatRange(min=0.01),
    default=None,
    help="Simulated days to fast-forward; they end at the present. [default: the scenario's]",
)
@click.option(
    "--port",
    type=click.IntRange(min=0),
    default=DEFAULT_PORT,
    show_default=True,
    help="Binance's port; bybit and okx take the next two (the 'sim' collect profile's). 0: any free ports (pass "
    "the printed URLs to collect).",
)
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Start the fast-forward only once a collector is connected (what is streamed before is lost to it).",
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--step", "step_s", type=float, default=1.0, show_default=True, help="Step in seconds (divides 60).")
@click.option("--positions", type=click.IntRange(min=1), default=None, help="Open positions on average.")
def serve(
    name: str, speed: float, days: float | None, port: int, wait: bool, seed: int, step_s: float, positions: int | None
) -> None:
    """Serve a simulated market on loopback as Binance, Bybit and OKX until stopped (Ctrl-C or SIGTERM).

    The market starts DAYS before the present and is fast-forwarded at SPEED so that it reaches the present; it
    then goes on in real time. It waits for a collector first (--no-wait: not); the wait only delays the market,
    which then stays that much behind the present. Collect it with: perpscope --db sim.duckdb collect --venues sim
    """
    chosen = scenario(name, positions=positions)
    length = days if days is not None else chosen.days
    if length * 86_400 <= WARM_UP_S:
        raise click.BadParameter(f"must be longer than the {WARM_UP_S:g} s warm-up", param_hint="--days")
    start = start_for(time.time_ns() // 1_000_000, length, speed, WARM_UP_S)
    config = RunConfig(chosen, seed=seed, step_s=step_s, start_ms=start)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, _stopper(stop))
    try:
        with SimServer(config, port=port) as server:
            server.warm_up(WARM_UP_S)
            _announce(server, name, length, speed, start)
            if wait:
                _say("waiting for a collector to connect ...")
                _say(f"{WAITED}: {', '.join(server.wait_for_clients(stop)) or 'none'} (the market stays in the past)")
            steps = round((length * 86_400 - WARM_UP_S) / step_s)
            server.serve(speed, steps, stop, hourly=_hourly)
            if not stop.is_set():
                _say(f"{CAUGHT_UP} with the present at {format_ms(server.market.ts)}: going on in real time")
                server.serve(1.0, None, stop)
            _say(f"stopped: {server.served.events:,} events served, {server.served.liquidations:,} liquidations")
    except KeyboardInterrupt:
        _say("stopped")
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stopper(stop: threading.Event) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return handler


def _announce(server: SimServer, name: str, days: float, speed: float, start: int) -> None:
    console.print(BANNER)
    _say(f"scenario {name}: {days:g} simulated days from {format_ms(start)} at {speed:g}x, then real time")
    for venue, (rest, websocket) in server.urls().items():
        _say(f"{SERVING} {venue} rest={rest} websocket={websocket}")
    _say("collect it with: perpscope --db sim.duckdb collect --venues sim  (or --venue-url VENUE=URL for each)")


def _say(line: str) -> None:
    """Plain lines, flushed at once: a supervising process reads them from a pipe."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _hourly(market: Market) -> None:
    hours = market.elapsed_s / 3600
    if hours % 6 == 0:
        _progress(market)


COMMANDS = [sim]
