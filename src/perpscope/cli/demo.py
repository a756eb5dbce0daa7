"""``perpscope demo``: the whole pipeline, offline, on a simulated market, in a database of its own.

1. ``perpscope sim serve`` (a child process) serves the long-cascade scenario on loopback as Binance, Bybit and
   OKX, fast-forwarded so that DAYS of simulated market (the scenario's 2 by default), ending at the present,
   pass in MINUTES of wall time (1: 2,875x).
2. The real collector (``perpscope collect --venues sim``, in this process) collects it over websockets and REST
   into OUT/perpscope.duckdb, replaced on every run; it stops once the market has caught up with the present.
3. The views (funding, open interest, liquidations), the market report (OUT/report/) and the liquidation heatmap
   (OUT/heatmap.png) run on what was collected. With ``--serve`` the dashboard is served at the end.

Everything says SIMULATED: the banner, the collector's note, and the closing lines.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import click

from perpscope.cli import heatmaps, views
from perpscope.cli.collecting import collect_command
from perpscope.cli.common import App, console
from perpscope.cli.serving import serve_database
from perpscope.cli.simulating import CAUGHT_UP, SERVING, WARM_UP_S
from perpscope.errors import PerpscopeError
from perpscope.sim import SCENARIOS

ORIGIN = (
    "comes from perpscope's market simulator (seeded; venue names are the real ones, the market is not), served on "
    "loopback and collected by the real collector."
)
BANNER = f"[bold yellow]SIMULATED DATA[/] — every number below {ORIGIN}"
CLOSING_BANNER = f"[bold yellow]SIMULATED DATA[/] — every number above {ORIGIN}"
SCENARIO = "long-cascade"  # crowded longs, a sharp fall at hour 20, liquidation cascades
DRAIN_S = 3.0  # after the market catches up: a few rounds of the one-second history polls, then stop
START_TIMEOUT_S = 60.0


@click.command("demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out/demo"),
    show_default=True,
    help="Folder for the demo's own database, report and heatmap (replaced on every run).",
)
@click.option(
    "--days", type=click.FloatRange(min=0.5), default=None, help="Simulated days. [default: the scenario's, 2]"
)
@click.option(
    "--minutes", type=click.FloatRange(min=0.1), default=1.0, show_default=True, help="Wall minutes they take."
)
@click.option("--serve", "serve_after", is_flag=True, help="End by serving the dashboard (until Ctrl-C).")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(1, 65535), help="Dashboard port.")
@click.pass_context
def demo(context: click.Context, out: Path, days: float | None, minutes: float, serve_after: bool, port: int) -> None:
    """Run the pipeline offline on a simulated market: serve it, collect it, analyse it, report on it."""
    started = time.monotonic()
    days = days if days is not None else SCENARIOS[SCENARIO].days
    console.print(BANNER)
    database = clear_outputs(out)
    app = context.find_object(App)
    assert app is not None  # the group always sets it
    context.obj = App(dataclasses.replace(app.settings, db=str(database)))
    context.call_on_close(context.obj.close)
    speed = (days * 86_400 - WARM_UP_S) / (minutes * 60)
    console.rule(f"1. perpscope sim serve --scenario {SCENARIO} --days {days:g} --speed {speed:.0f}")
    server = _start_server(days, speed)
    try:
        urls = _server_urls(server)
        hours = round(days * 24)
        console.rule(f"2. perpscope --db {database} collect --venues sim  (about {minutes:g} min)")
        watcher = _Watcher(server, deadline_s=minutes * 60 + START_TIMEOUT_S)
        watcher.start()
        try:
            context.invoke(collect_command, venues="sim", venue_urls=urls, status_every=10.0)
        finally:
            watcher.collecting = False
    finally:
        _stop(server)
    _analyse(context, out, hours)
    context.obj.close()
    _closing(database, out, time.monotonic() - started)
    if serve_after:
        serve_database(context.obj.settings, "127.0.0.1", port, reports=out)


def clear_outputs(out: Path) -> Path:
    """The demo's own database, report and heatmap, removed from the last run."""
    out.mkdir(parents=True, exist_ok=True)
    database = out / "perpscope.duckdb"
    for stale in (database, database.with_suffix(".duckdb.wal"), out / "report", out / "heatmap.png"):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    return database


def _start_server(days: float, speed: float) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "perpscope.cli", "sim", "serve", "--scenario", SCENARIO]
    command += ["--days", f"{days:g}", "--speed", f"{speed:.3f}", "--port", "0"]
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment)


def _server_urls(server: subprocess.Popen[str]) -> tuple[str, ...]:
    """``--venue-url`` values from the server's ``serving VENUE rest=URL websocket=URL`` lines."""
    assert server.stdout is not None
    urls: list[str] = []
    while len(urls) < 3:
        line = server.stdout.readline()
        if not line:
            raise PerpscopeError(f"the simulator stopped before serving (exit code {server.wait()})")
        _echo(line)
        if line.startswith(SERVING + " "):
            _, venue, rest, _ = line.split()
            urls.append(f"{venue}={rest.removeprefix('rest=')}")
    return tuple(urls)


def _echo(line: str) -> None:
    console.print(f"  [dim]sim |[/] {line.rstrip()}", highlight=False, soft_wrap=True)


class _Watcher(threading.Thread):
    """Echoes the simulator's lines and stops the collector (SIGINT, as Ctrl-C would) a few seconds after the
    market has caught up with the present, or at the deadline."""

    def __init__(self, server: subprocess.Popen[str], deadline_s: float):
        super().__init__(name="demo-watcher", daemon=True)
        self.server = server
        self.deadline = time.monotonic() + deadline_s
        self.collecting = True
        self._stopped = threading.Event()
        threading.Thread(target=self._at_deadline, daemon=True).start()

    def run(self) -> None:
        stream: IO[str] | None = self.server.stdout
        assert stream is not None
        for line in stream:
            _echo(line)
            if line.startswith(CAUGHT_UP):
                time.sleep(DRAIN_S)
                self._stop_collector()

    def _at_deadline(self) -> None:
        while time.monotonic() < self.deadline and not self._stopped.is_set():
            time.sleep(0.5)
        self._stop_collector()

    def _stop_collector(self) -> None:
        if self.collecting and not self._stopped.is_set():
            self._stopped.set()
            os.kill(os.getpid(), signal.SIGINT)  # the collect command's own handler stops it and flushes


def _stop(server: subprocess.Popen[str]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _analyse(context: click.Context, out: Path, hours: int) -> None:
    window = f"{hours}h"
    console.rule("3. perpscope funding --symbol BTC")
    context.invoke(views.funding, symbol="BTC", at=None, as_json=False)
    console.rule("4. perpscope oi --symbol BTC")
    context.invoke(views.open_interest, symbol="BTC", at=None, window="24h", as_json=False)
    console.rule(f"5. perpscope liquidations --symbol BTC --window {window}")
    context.invoke(views.liquidations, symbol="BTC", at=None, window=window, as_json=False)
    console.rule(f"6. perpscope report --window {window} --out {out / 'report'}")
    app = context.find_object(App)
    assert app is not None
    files = app.api(read_only=True).report(out / "report", symbol="BTC", window=window)
    console.print(f"  {files.html}\n  {files.markdown}", highlight=False)
    console.rule(f"7. perpscope heatmap --range {window} --out {out / 'heatmap.png'}")
    context.invoke(
        heatmaps.heatmap,
        symbol="BTC",
        span=window,
        until=None,
        venues=None,
        column="1h",
        out=out / "heatmap.png",
        as_json=False,
    )


def _closing(database: Path, out: Path, elapsed_s: float) -> None:
    console.rule("next")
    console.print(
        f"demo finished in {elapsed_s:.0f} s. Files: {database}, {out / 'report' / 'report.html'}, "
        f"{out / 'heatmap.png'}\n"
        f"Browse it: [bold].venv/bin/perpscope --db {database} serve --reports {out}[/] (or perpscope demo --serve)\n"
        f"Explore it: [bold].venv/bin/perpscope --db {database} funding --json[/]\n"
        f"{CLOSING_BANNER}",
        highlight=False,
        soft_wrap=True,
    )


COMMANDS: list[click.Command] = [demo]
