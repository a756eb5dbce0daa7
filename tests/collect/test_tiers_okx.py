"""The simulator's OKX-style venue served on loopback and collected into DuckDB: the heatmap's margin table for OKX
is then the stored instrument's brackets, equal to the tiers the simulator liquidates with (OKX_STYLE_TIERS, base
units), not a fallback."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from perpscope.collect import registry
from perpscope.collect.collector import Collector, CollectorSettings
from perpscope.collect.connector import ConnectorSettings, VenueUrls
from perpscope.collect.http import HttpSettings
from perpscope.collect.profiles import SIM_INTERVALS
from perpscope.collect.writer import WriterSettings
from perpscope.fakevenue.okx_data import POSITION_TIERS_PATH
from perpscope.service.heatmap import margin_table
from perpscope.sim import RunConfig, scenario
from perpscope.sim.serve import SimServer
from perpscope.sim.venues import OKX_STYLE_TIERS
from perpscope.store import DuckDBStore


async def _collect_okx(server: SimServer, store: DuckDBStore) -> None:
    rest, websocket = server.urls()["okx"]
    http = HttpSettings(timeout_s=2.0, max_attempts=2, budget_share=20.0)
    connector = registry.make("okx", ConnectorSettings(("BTC",), SIM_INTERVALS, VenueUrls(rest, websocket)), http)
    collector = Collector([connector], store, CollectorSettings(writer=WriterSettings(flush_interval_s=0.2)))
    running = asyncio.create_task(collector.run())
    requests = server.venues["okx"].venue.ledger.requests
    deadline = time.monotonic() + 10
    while not requests.get(POSITION_TIERS_PATH) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # the answer parsed and flushed
    collector.stop()
    await running
    assert collector.errors == {}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> DuckDBStore:
    collected = DuckDBStore(Path(tmp_path_factory.mktemp("tiers")) / "okx.duckdb")
    with SimServer(RunConfig(scenario("quiet", positions=50), seed=1)) as server:
        server.warm_up(60.0)
        asyncio.run(_collect_okx(server, collected))
    return collected


def test_the_heatmap_uses_the_collected_okx_tiers(store: DuckDBStore) -> None:
    table = margin_table(store, "okx", "BTC-USDT-PERP")
    assert table is not None
    assert table.source == "okx BTC-USDT-PERP brackets (stored instrument)"
    assert table.unit == "base units"
    assert table.brackets == OKX_STYLE_TIERS.brackets  # 0-5, 5-25, 25-100, 100-300, 300-1,000, 1,000-100,000 BTC


def test_the_stored_instrument_says_where_its_brackets_come_from(store: DuckDBStore) -> None:
    row = store.query(
        "SELECT contract_size, source FROM instruments WHERE venue = 'okx' AND symbol = ?", ["BTC-USDT-PERP"]
    )
    assert row.rows() == [(0.01, "okx rest /api/v5/public/instruments, /api/v5/public/position-tiers")]
