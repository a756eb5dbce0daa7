"""What every command shares: the app context, output, and errors without tracebacks."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click
from rich.console import Console

from perpscope.api import Perpscope
from perpscope.api import open as open_api
from perpscope.config import Settings

# Piped output (files, CI logs) gets room for the wide tables instead of rich's 80-column fallback.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True)


class App:
    """Per-invocation state: the settings, and the database opened on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._api: Perpscope | None = None

    def api(self, *, read_only: bool) -> Perpscope:
        if self._api is None:
            self._api = open_api(read_only=read_only, settings=self.settings)
        return self._api

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None


pass_app = click.make_pass_decorator(App)


def fail(message: str, code: int = 1) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    sys.exit(code)


def print_json(payload: Any) -> None:
    """Machine-readable output: plain JSON on stdout, nothing else."""
    click.echo(json.dumps(payload, indent=2, default=str, allow_nan=False))
