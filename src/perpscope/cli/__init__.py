"""The ``perpscope`` command: a thin shell over :mod:`perpscope.api`. Each command family lives in its own module."""

from __future__ import annotations

import sys

import click

from perpscope.cli import (
    analysis,
    ccxt_history,
    collecting,
    demo,
    heatmaps,
    importing,
    reporting,
    sentiment,
    serving,
    simulating,
    views,
)
from perpscope.cli.common import App, fail
from perpscope.config import load_settings
from perpscope.errors import PerpscopeError
from perpscope.logs import configure


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar=None, help="Database: a DuckDB file path or postgresql://... [default: per-user data dir]")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="TOML settings file.")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.version_option(package_name="perpscope")
@click.pass_context
def cli(context: click.Context, db: str | None, config_file: str | None, log_level: str | None) -> None:
    """perpscope: funding, open interest, liquidations and heatmaps from your own data."""
    settings = load_settings(config_file, {"db": db, "log_level": log_level})
    configure(settings.log_level)
    context.obj = App(settings)
    context.call_on_close(context.obj.close)


for module in (
    importing,
    views,
    analysis,
    heatmaps,
    sentiment,
    collecting,
    ccxt_history,
    reporting,
    simulating,
    serving,
    demo,
):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    """Ctrl-C at any moment ends with one line and code 130 (the shell's for SIGINT), never a traceback: click
    turns one inside a command into Abort, one outside it (setting up, closing) arrives as KeyboardInterrupt."""
    try:
        cli.main(standalone_mode=False)
    except KeyboardInterrupt:
        fail("interrupted", code=130)
    except click.exceptions.Abort as abort:
        fail("interrupted" if isinstance(abort.__cause__, KeyboardInterrupt) else "aborted", code=130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except PerpscopeError as error:
        fail(str(error))
