"""``perpscope demo`` end to end, shortened: one simulated day of long-cascade in 18 s of wall time, served by the
simulator, collected by the real collector, analysed, reported on; everything labelled simulated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from perpscope.cli.demo import clear_outputs
from perpscope.store import DuckDBStore

PERPSCOPE = [sys.executable, "-m", "perpscope.cli"]
HOUR_MS = 3_600_000


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("demo") / "demo"
    command = [*PERPSCOPE, "demo", "--out", str(out), "--days", "1", "--minutes", "0.3"]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False), out


def test_the_demo_runs_and_says_the_data_are_simulated(
    demo_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, _ = demo_run
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("SIMULATED DATA — every number below comes from perpscope's market simulator")
    assert lines[-1].startswith("SIMULATED DATA — every number above")
    assert "SIMULATED DATA: collecting the market of 'perpscope sim serve'" in result.stderr
    for step in ("sim serve --scenario long-cascade", "collect --venues sim", "perpscope liquidations", "report"):
        assert step in result.stdout
    assert "0 reconnects; 0 gaps recorded; 0 malformed messages skipped" in result.stderr


def test_the_collector_stored_the_cascade(demo_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = demo_run
    with DuckDBStore(out / "perpscope.duckdb", read_only=True) as store:
        venues = store.query("SELECT DISTINCT venue FROM liquidations ORDER BY venue")["venue"].to_list()
        assert venues == ["binance", "bybit", "okx"]
        candles = store.query(
            "SELECT venue, count(*) AS n, count(DISTINCT ts_event) AS bars FROM candles WHERE kind = 'last' "
            "GROUP BY venue ORDER BY venue"
        )
        marks = store.query(
            "SELECT count(*) AS n, count(DISTINCT ts_event) AS bars FROM candles "
            "WHERE venue = 'binance' AND kind = 'mark'"
        )
        brackets = store.query(
            "SELECT venue, margin_brackets FROM instruments WHERE symbol = 'BTC-USDT-PERP' ORDER BY venue"
        )
        sources = set(store.query("SELECT DISTINCT source FROM liquidations")["source"].to_list())
        assert sources == {"sim binance ws forceOrder", "sim bybit ws allLiquidation", "sim okx ws liquidation-orders"}
        # The market starts 5 minutes before the first open-interest print (the server's warm-up).
        start = store.query("SELECT min(ts_event) AS t FROM open_interest WHERE venue = 'binance'")["t"][0] - 300_000
        hourly = store.query(
            "SELECT (ts_event - ?) // ? AS hour, sum(notional_usd) FILTER (WHERE side = 'long') AS longs, "
            "sum(notional_usd) FILTER (WHERE side = 'short') AS shorts FROM liquidations GROUP BY 1 ORDER BY 2 DESC",
            [start, HOUR_MS],
        )
    # The server waits for the collector: every 1-minute bar Binance streams after the 5-minute warm-up is collected;
    # Bybit's and OKX's come from REST history, followed page by page. No bar is stored twice.
    assert candles["venue"].to_list() == ["binance", "bybit", "okx"]
    assert candles["n"].to_list() == candles["bars"].to_list()
    assert candles["n"][0] >= 24 * 60 - 5 - 1
    assert 0 < marks["n"][0] == marks["bars"][0]  # Binance's mark-price klines, followed as REST history
    # Bybit's risk limits and OKX's position tiers are the tables the simulator liquidates with.
    assert brackets["venue"].to_list() == ["bybit", "okx"]
    assert all(text.startswith("[{") for text in brackets["margin_brackets"].to_list())
    # The scenario's sell-off starts at hour 20: the cascade is the hour with the most long liquidations...
    assert hourly["hour"][0] in (20, 21)
    # ...and long liquidations dwarf short ones over the day.
    assert hourly["longs"].sum() > 5 * hourly["shorts"].sum()


def test_the_report_and_the_heatmap_are_written(demo_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = demo_run
    markdown = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert "SIMULATED DATA: every figure in this report comes from perpscope's market simulator" in markdown
    assert (out / "report" / "report.html").stat().st_size > 10_000
    assert (out / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_second_run_starts_from_a_fresh_database(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    (out / "report").mkdir(parents=True)
    for stale in (out / "perpscope.duckdb", out / "perpscope.duckdb.wal", out / "heatmap.png", out / "report" / "a.md"):
        stale.write_text("from the last run", encoding="utf-8")
    (out / "notes.txt").write_text("the user's", encoding="utf-8")
    assert clear_outputs(out) == out / "perpscope.duckdb"
    assert sorted(path.name for path in out.iterdir()) == ["notes.txt"]  # only the demo's own files go
