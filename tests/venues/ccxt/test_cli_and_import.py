"""``perpscope ccxt-backfill`` end to end against the fake venue, and ccxt staying out of ``import perpscope``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from perpscope.fakevenue.background import BackgroundVenue
from perpscope.fakevenue.market import FundingSettlement
from perpscope.store import DuckDBStore

from .fake_markets import BinanceWithMarkets

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
FOUR_HOURS = 14_400_000
pytest.importorskip("ccxt", reason="ccxt is an optional extra: pip install 'perpscope[ccxt]'")


def cli_with_ccxt() -> click.Group:
    """The ``perpscope`` group with ccxt-backfill, whether or not cli/__init__ registers it yet."""
    from perpscope.cli import cli
    from perpscope.cli.ccxt_history import COMMANDS

    for command in COMMANDS:
        if command.name not in cli.commands:
            cli.add_command(command)
    return cli


def test_ccxt_backfill_command_stores_funding(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    settlements = [FundingSettlement("ETH", T0 + n * FOUR_HOURS, round(0.00002 * (n + 1), 8)) for n in range(12)]
    with BackgroundVenue(BinanceWithMarkets()) as background:
        background.publish_all(settlements)
        arguments = [
            *("--db", str(db), "ccxt-backfill", "--exchange", "binanceusdm", "--symbol", "ETH"),
            *("--channel", "funding", "--since", "2026-01-01", "--until", "2026-01-03"),
            *("--api-base", background.venue.rest_url),
        ]
        first = CliRunner().invoke(cli_with_ccxt(), arguments)
        second = CliRunner().invoke(cli_with_ccxt(), arguments)
    assert first.exit_code == 0, first.output
    assert first.output.startswith(
        "binanceusdm funding ETH: 12 records fetched (source: ccxt binanceusdm), 12 new to the store"
    )
    assert "12 records fetched (source: ccxt binanceusdm), 0 new to the store" in second.output
    rows = (
        DuckDBStore(db, read_only=True)
        .query("SELECT venue, symbol, native_symbol, ts_event, rate, interval_h FROM funding ORDER BY ts_event")
        .rows()
    )
    assert len(rows) == 12
    assert rows[0] == ("binanceusdm", "ETH-USDT-PERP", "ETHUSDT", T0, 0.00002, 4.0)
    assert rows[11] == ("binanceusdm", "ETH-USDT-PERP", "ETHUSDT", T0 + 11 * FOUR_HOURS, 0.00024, 4.0)


def test_importing_perpscope_does_not_import_ccxt() -> None:
    probe = (
        "import sys, perpscope, perpscope.api, perpscope.cli, perpscope.cli.ccxt_history, "
        "perpscope.venues.ccxt.connector, perpscope.venues.ccxt.parse, perpscope.venues.ccxt.capabilities; "
        "print(sorted(name for name in sys.modules if name == 'ccxt' or name.startswith('ccxt.')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
