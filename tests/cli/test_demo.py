"""``perpscope demo`` runs offline end to end and leaves a database the views can read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from perpscope import models
from perpscope.store import DuckDBStore

PERPSCOPE = [sys.executable, "-m", "perpscope.cli"]


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PERPSCOPE, *arguments], capture_output=True, text=True, timeout=120, check=False)


def test_demo_imports_a_labelled_synthetic_market_and_shows_the_views(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = run("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("SYNTHETIC DATA") == 2  # said at the start and at the end
    for step in ("perpscope import", "perpscope funding", "perpscope oi", "perpscope liquidations"):
        assert step in result.stdout
    assert "Traceback" not in result.stdout + result.stderr

    funding = json.loads(run("--db", str(out / "perpscope.duckdb"), "funding", "--json").stdout)
    intervals = {venue["venue"]: venue["interval_h"] for venue in funding["venues"]}
    assert intervals == {"binance": 8, "bybit": 8, "okx": 8, "hyperliquid": 1}
    assert sorted(funding["aggregate"]["venues_included"]) == ["binance", "bybit", "hyperliquid", "okx"]

    liquidations = json.loads(
        run("--db", str(out / "perpscope.duckdb"), "liquidations", "--window", "48h", "--json").stdout
    )
    total = liquidations["total"]
    assert total["long_usd"] > 50 * total["short_usd"]  # the sell-off burst liquidated longs
    assert total["lower_bound"] is True  # OKX's feed is throttled


def test_a_second_demo_run_starts_from_a_fresh_database(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert run("demo", "--out", str(out)).returncode == 0
    marker = models.FundingRate(
        venue="marker",
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=1_700_000_000_000,
        ts_recv=1_700_000_000_000,
        rate=0.0001,
        interval_h=8,
        funding_time=1_700_000_000_000,
    )
    with DuckDBStore(out / "perpscope.duckdb") as store:
        store.write_records([marker])
    assert run("demo", "--out", str(out)).returncode == 0
    with DuckDBStore(out / "perpscope.duckdb", read_only=True) as store:
        assert store.query("SELECT count(*) AS n FROM funding WHERE venue = 'marker'")["n"][0] == 0
