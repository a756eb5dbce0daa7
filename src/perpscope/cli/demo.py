"""``perpscope demo``: the foundation end to end on synthetic data, offline, in its own database.

Until the market simulator lands, the demo writes a small synthetic market as files, imports them with the real
importer, and runs the real views. It never touches the user's own database.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import click

from perpscope.cli import views
from perpscope.cli.common import App, console
from perpscope.cli.importing import import_command
from perpscope.demo_data import write_synthetic_market

BANNER = (
    "[bold yellow]SYNTHETIC DATA[/] — every number below is invented by perpscope's demo generator "
    "(seeded, plausible), not market data."
)


@click.command("demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out/demo"),
    show_default=True,
    help="Folder for the demo's files and its own database (replaced on every run).",
)
@click.pass_context
def demo(context: click.Context, out: Path) -> None:
    """Run the pipeline offline on a synthetic market: write files, import them, show the views."""
    console.print(BANNER)
    database = out / "perpscope.duckdb"
    for stale in (database, database.with_suffix(".duckdb.wal"), out / "files"):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    console.rule("1. a synthetic week of BTC on four venues, written as CSV files")
    files = write_synthetic_market(out / "files")
    for path in files:
        console.print(f"  {path}", highlight=False)
    app = context.find_object(App)
    assert app is not None  # the group always sets it
    context.obj = App(dataclasses.replace(app.settings, db=str(database)))
    context.call_on_close(context.obj.close)
    console.rule(f"2. perpscope import → {database}")
    context.invoke(import_command, paths=tuple(files), format_name=None, tz="UTC", venue=None, symbol=None)
    console.rule("3. perpscope funding --symbol BTC")
    context.invoke(views.funding, symbol="BTC", at=None, as_json=False)
    console.rule("4. perpscope oi --symbol BTC")
    context.invoke(views.open_interest, symbol="BTC", at=None, window="24h", as_json=False)
    console.rule("5. perpscope liquidations --symbol BTC --window 48h")
    context.invoke(views.liquidations, symbol="BTC", at=None, window="48h", as_json=False)
    console.rule("next")
    console.print(
        f"Explore it yourself: [bold].venv/bin/perpscope --db {database} funding --json[/]\n"
        "or in Python: perpscope.open(path, read_only=True).funding_history(symbol='BTC')\n"
        f"{BANNER}",
        highlight=False,
    )


COMMANDS: list[click.Command] = [demo]
