"""A run into a real store with ground truth in Parquet, and the ``perpscope sim run`` command."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from click.testing import CliRunner
from sim_runs import short_cascade_config

from perpscope.cli.simulating import sim
from perpscope.sim.run import run_to_store
from perpscope.sim.truth import LIQUIDATIONS_FILE, POSITIONS_FILE
from perpscope.store import DuckDBStore


def test_run_writes_records_and_truth(duckdb_store: DuckDBStore, tmp_path: Path) -> None:
    market, summary = run_to_store(short_cascade_config(), 1.5 / 24, duckdb_store, tmp_path)
    stored = duckdb_store.query("SELECT count(*) AS n, min(source) AS s, max(source) AS t FROM liquidations")
    assert stored.row(0) == (len(market.liquidation_log), "sim", "sim") and summary.liquidations > 0
    truth = pq.read_table(tmp_path / LIQUIDATIONS_FILE)
    assert truth.num_rows == len(market.liquidation_log)
    assert truth["position_id"].to_pylist() == [row.position_id for row in market.liquidation_log]
    positions = pq.read_table(tmp_path / POSITIONS_FILE)
    assert positions.num_rows == sum(len(venue.positions) for venue in market.venues)
    assert set(positions["position_id"].to_pylist()).isdisjoint(truth["position_id"].to_pylist())
    # Open interest printed last equals the open positions then (max of longs and shorts, per venue).
    last_oi = duckdb_store.query(
        "SELECT venue, oi_base FROM open_interest WHERE ts_event = (SELECT max(ts_event) FROM open_interest)"
    )
    assert last_oi.height == 3 and (last_oi["oi_base"] > 0).all()
    assert duckdb_store.count("funding") > 0 and duckdb_store.count("candles") > 0


def test_sim_run_command_says_simulated(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        sim,
        ["run", "--scenario", "quiet", "--days", "0.05", "--out", str(tmp_path), "--positions", "500", "--step", "10"],
    )
    assert result.exit_code == 0, result.output
    assert "SIMULATED DATA" in result.output and "source 'sim'" in result.output
    assert (tmp_path / "sim.duckdb").exists() and (tmp_path / POSITIONS_FILE).exists()
