"""Logging, configured in one place: the CLI calls :func:`configure` once; library code only logs."""

from __future__ import annotations

import logging

from rich.logging import RichHandler

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def configure(level: str = "WARNING") -> None:
    name = level.upper()
    if name not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, got {level!r}")
    logging.basicConfig(
        level=name,
        format="%(name)s: %(message)s",
        handlers=[RichHandler(show_path=False, rich_tracebacks=False)],
        force=True,
    )
