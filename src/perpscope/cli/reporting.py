"""``perpscope report``: the market report as Markdown and self-contained HTML (docs/report.md)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from perpscope.cli.common import App, console, errors, pass_app
from perpscope.cli.views import DurationParam, TimeParam, symbol_option


@click.command("report")
@symbol_option
@click.option("--window", type=DurationParam(), default="7d", show_default=True, help="Span the report covers.")
@click.option(
    "--at",
    type=TimeParam(),
    help="End of the window: ISO 8601 (UTC unless an offset is given), epoch, or 7d (ago). "
    "[default: the newest stored print of the symbol]",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for report.md, report.html and the chart PNGs (created; files replaced).",
)
@pass_app
def report(app: App, symbol: str, window: str, at: int | None, out: Path) -> None:
    """Write a market report: headline numbers, funding by venue, open interest, liquidations, signals, charts."""
    api = app.api(read_only=True)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=errors, transient=True
    ) as progress:
        task = progress.add_task("report: starting", total=None)
        files = api.report(
            out, symbol, window, at, on_step=lambda name: progress.update(task, description=f"report: {name}")
        )
    from perpscope.report import narrative  # matplotlib and friends load only for this command

    console.print(narrative.headline(files.data), highlight=False, soft_wrap=True)
    console.print(f"wrote {files.markdown}", highlight=False)
    console.print(f"wrote {files.html} (self-contained)", highlight=False)
    for path in files.charts.values():
        console.print(f"wrote {path}", highlight=False)


COMMANDS: list[click.Command] = [report]
