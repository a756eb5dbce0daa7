"""``perpscope fetch-sentiment`` against a loopback server serving the saved answer, and with nothing listening."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from perpscope.cli.common import App
from perpscope.cli.sentiment import COMMANDS
from perpscope.config import load_settings
from perpscope.store import DuckDBStore

from .conftest import Loopback

COMMAND = {command.name: command for command in COMMANDS}
RECEIVED_AFTER = 1_760_140_800_000  # ts_recv is the fetch's clock: at least the newest value's day


def run(db: Path, *arguments: str) -> Result:
    app = App(load_settings(None, {"db": str(db)}))
    try:
        return CliRunner().invoke(COMMAND["fetch-sentiment"], list(arguments), obj=app)
    finally:
        app.close()


def test_fetch_stores_and_a_second_fetch_adds_nothing(tmp_path: Path, fng_server: Loopback) -> None:
    db = tmp_path / "fng.duckdb"
    first = run(db, "--days", "3", "--url", fng_server.url)
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        "alternative.me Fear & Greed Index (BTC market, daily): 3 daily values 2025-10-09 .. 2025-10-11, 3 new, "
        "0 already stored",
        "latest stored: 2025-10-11: 24 (Extreme Fear), index 0-100",
    ]
    second = run(db, "--days", "3", "--url", fng_server.url, "--json")
    assert second.exit_code == 0, second.output
    answer = json.loads(second.output)
    assert (answer["received"], answer["added"]) == (3, 0)
    assert answer["latest"] == {
        "ts_event": 1_760_140_800_000,
        "value": 24.0,
        "classification": "Extreme Fear",
        "source": "alternative.me /fng/",
    }
    assert answer["units"]["value"].startswith("index 0 (extreme fear) .. 100 (extreme greed)")
    assert fng_server.requests == ["/fng/?limit=3&format=json"] * 2
    with DuckDBStore(db, read_only=True) as store:
        rows = store.query(
            "SELECT venue, symbol, native_symbol, series, ts_event, value, classification, ts_recv "
            "FROM sentiment ORDER BY ts_event"
        ).rows()
    assert [row[:7] for row in rows] == [
        ("alternative.me", "BTC", "fng", "fear_greed", 1_759_968_000_000, 70.0, "Greed"),
        ("alternative.me", "BTC", "fng", "fear_greed", 1_760_054_400_000, 64.0, "Greed"),
        ("alternative.me", "BTC", "fng", "fear_greed", 1_760_140_800_000, 24.0, "Extreme Fear"),
    ]
    assert all(row[7] > RECEIVED_AFTER for row in rows)


def test_no_days_asks_for_the_default_thirty(tmp_path: Path, fng_server: Loopback) -> None:
    assert run(tmp_path / "fng.duckdb", "--url", fng_server.url).exit_code == 0
    assert fng_server.requests == ["/fng/?limit=30&format=json"]
    refused = run(tmp_path / "fng.duckdb", "--days", "-1", "--url", fng_server.url)
    assert refused.exit_code == 2 and "-1 is not in the range x>=0" in refused.output


# The real entry point in a child process (as a user runs it): the command is registered here in case the
# perpscope group does not list it yet.
ENTRY = (
    "import sys; from perpscope.cli import cli, main; from perpscope.cli.sentiment import COMMANDS\n"
    "[cli.add_command(c) for c in COMMANDS if c.name not in cli.commands]; main()"
)


def test_without_network_one_clear_error_and_exit_1(tmp_path: Path, closed_port_url: str) -> None:
    db = tmp_path / "fng.duckdb"
    arguments = ["--db", str(db), "fetch-sentiment", "--days", "3", "--url", closed_port_url]
    done = subprocess.run([sys.executable, "-c", ENTRY, *arguments], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: cannot connect to {closed_port_url}/fng/")
