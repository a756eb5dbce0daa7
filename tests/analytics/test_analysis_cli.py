"""The analysis commands (perpscope.cli.analysis) over a small store: JSON shape, units and values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from perpscope.cli.analysis import COMMANDS
from perpscope.cli.common import App
from perpscope.config import load_settings
from perpscope.models import Liquidation, Side
from perpscope.store import DuckDBStore

T = 1_772_696_700_000  # 2026-03-05 07:45 UTC
COMMAND = {command.name: command for command in COMMANDS}


def run(db: Path, *arguments: str) -> Any:
    app = App(load_settings(None, {"db": str(db)}))
    try:
        result = CliRunner().invoke(COMMAND[arguments[0]], [*arguments[1:], "--json"], obj=app)
    finally:
        app.close()
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_waves_and_clusters_as_json(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    with DuckDBStore(db) as store:
        store.write_records(
            Liquidation(
                venue="okx",
                symbol="BTC-USDT-PERP",
                native_symbol="BTC-USDT-SWAP",
                ts_event=T + i * 60_000,
                ts_recv=T,
                side=Side.LONG,
                price=72_000.0 - 10 * i,
                quantity=5.0,
                notional_usd=360_000.0,
                complete=False,
                source="test",
            )
            for i in range(5)
        )
    window = ("--since", "2026-03-05T07:00Z", "--until", "2026-03-05T09:00Z")
    waves = run(db, "waves", *window)
    assert waves["units"] == {
        "notional_usd": "USD (lower bound where lower_bound)",
        "price": "USD",
        "times": "ISO 8601 UTC",
    }
    [wave] = waves["waves"]
    assert (wave["side"], wave["start"], wave["end"]) == ("long", "2026-03-05T07:45:00Z", "2026-03-05T07:49:00Z")
    assert (wave["notional_usd"], wave["events"], wave["lower_bound"]) == (1_800_000.0, 5, True)
    clusters = run(db, "clusters", *window, "--bucket", "100")
    assert [(c["price_low"], c["notional_usd"]) for c in clusters["clusters"]] == [
        (71_900.0, 1_440_000.0),
        (72_000.0, 360_000.0),
    ]
    signals = run(db, "signals", *window)
    assert signals["signals"] == []
