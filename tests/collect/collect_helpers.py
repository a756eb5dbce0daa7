"""Shared by the collector tests: a port nobody listens on, the CLI with the collect commands, store keys, waiting
for a scenario's faults to play out."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import click

from perpscope.collect.collector import Collector
from perpscope.store import schema
from perpscope.store.base import Store

COMPOSE_CLI = (
    "from perpscope.cli import cli, main; from perpscope.cli.collecting import COMMANDS; "
    "[cli.add_command(c) for c in COMMANDS if c.name not in cli.commands]; main()"
)


def closed_port() -> int:
    """A loopback port that was free a moment ago and has no listener."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def cli_with_collect() -> click.Group:
    """The ``perpscope`` group with the collect commands, whether or not cli/__init__ registers them yet."""
    from perpscope.cli import cli
    from perpscope.cli.collecting import COMMANDS

    for command in COMMANDS:
        if command.name not in cli.commands:
            cli.add_command(command)
    return cli


def stored_keys(store: Store, table: str) -> list[tuple[Any, ...]]:
    """Natural keys of every row in ``table``, repeats kept (a repeat would be a duplicate)."""
    spec = schema.table(table)
    return [tuple(row) for row in store.query(f"SELECT {', '.join(spec.key)} FROM {spec.name}").iter_rows()]


async def settled(collector: Collector, reconnects: int, limit_s: float) -> None:
    """Until the collector has reconnected ``reconnects`` times and runs no backfill, or ``limit_s`` has passed
    (the test then says what is missing): a scenario's faults have all played out before it is stopped."""
    deadline = time.monotonic() + limit_s
    while (collector.status.reconnects < reconnects or collector.backfilling) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def now_ms() -> int:
    return time.time_ns() // 1_000_000
