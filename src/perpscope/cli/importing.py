"""``perpscope import``: files into the database, each whole or not at all, with a summary per file and table."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from perpscope.cli.common import App, console, pass_app
from perpscope.importers import FileImport, format_names
from perpscope.times import timezone


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "format_name", type=click.Choice(format_names()), help="Skip detection: read as this format.")
@click.option("--tz", default="UTC", show_default=True, help="Time zone of naive local times (web-page exports).")
@click.option("--venue", help="Venue for files that do not name one (e.g. daily liquidation totals).")
@click.option("--symbol", help="Symbol for single-symbol files that do not name one (e.g. BTCUSDT).")
@pass_app
def import_command(
    app: App, paths: tuple[Path, ...], format_name: str | None, tz: str, venue: str | None, symbol: str | None
) -> None:
    """Import PATH... (files or directories; .gz and .zip are opened transparently).

    Formats: tidy CSV/parquet, Binance data-archive CSVs, freqtrade data, exchange web-page funding exports.
    A bad file is reported with its file, line and field, and nothing of it is stored.
    """
    try:
        zone = timezone(tz)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--tz") from None
    api = app.api(read_only=False)
    done: list[FileImport] = []
    try:
        api.import_files(
            list(paths),
            format=format_name,
            tz=zone,
            venue=venue,
            symbol=symbol,
            progress=sys.stderr.isatty(),
            on_done=done.append,
        )
    finally:
        report(done)


def report(results: list[FileImport]) -> None:
    imported = [result for result in results if result.skipped is None]
    if imported:
        console.print(summary(imported))
    for result in results:
        if result.skipped is not None:
            console.print(f"skipped {result.name}: {result.skipped}", highlight=False, soft_wrap=True)


def summary(results: list[FileImport]) -> Table:
    """One row per file and table: rows received, rows added, rows already present."""
    table = Table(title="Imported rows per file and table (source: the file)", title_justify="left")
    for heading in ("file", "format", "table"):
        table.add_column(heading, overflow="fold")
    for heading in ("received", "added", "already present"):
        table.add_column(f"{heading} (rows)", justify="right")
    for result in results:
        for name, count in sorted(result.counts.items()):
            numbers = (f"{count.received:,}", f"{count.added:,}", f"{count.present:,}")
            table.add_row(result.name, result.format, name, *numbers)
    return table


COMMANDS: list[click.Command] = [import_command]
