"""The simulator's Bybit-style venue served on loopback and collected into DuckDB: the heatmap's margin table for
Bybit is then the stored instrument's brackets, equal to the risk limits the simulator liquidates with
(BYBIT_BTCUSDT, USD notional), not the shipped fallback."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from perpscope.analytics.liquidation import BYBIT_BTCUSDT
from perpscope.collect import registry
from perpscope.collect.collector import Collector, CollectorSettings
from perpscope.collect.connector import ConnectorSettings, VenueUrls
from perpscope.collect.http import HttpSettings
from perpscope.collect.profiles import SIM_INTERVALS
from perpscope.collect.writer import WriterSettings
from perpscope.fakevenue.bybit import INSTRUMENTS_PATH, RISK_LIMIT_PATH
from perpscope.service.heatmap import margin_table
from perpscope.sim import RunConfig, scenario
from perpscope.sim.serve import SimServer
from perpscope.store import DuckDBStore


async def _collect_bybit(server: SimServer, store: DuckDBStore) -> None:
    rest, websocket = server.urls()["bybit"]
    http = HttpSettings(timeout_s=2.0, max_attempts=2, budget_share=20.0)
    connector = registry.make("bybit", ConnectorSettings(("BTC",), SIM_INTERVALS, VenueUrls(rest, websocket)), http)
    collector = Collector([connector], store, CollectorSettings(writer=WriterSettings(flush_interval_s=0.2)))
    running = asyncio.create_task(collector.run())
    requests = server.venues["bybit"].venue.ledger.requests
    deadline = time.monotonic() + 10
    while not (requests.get(RISK_LIMIT_PATH) and requests.get(INSTRUMENTS_PATH)) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # the answers parsed and flushed
    collector.stop()
    await running
    assert collector.errors == {}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> DuckDBStore:
    collected = DuckDBStore(Path(tmp_path_factory.mktemp("tiers")) / "bybit.duckdb")
    with SimServer(RunConfig(scenario("quiet", positions=50), seed=1)) as server:
        server.warm_up(60.0)
        asyncio.run(_collect_bybit(server, collected))
    return collected


def test_the_heatmap_uses_the_collected_bybit_risk_limits(store: DuckDBStore) -> None:
    table = margin_table(store, "bybit", "BTC-USDT-PERP")
    assert table is not None
    assert table.source == "bybit BTC-USDT-PERP brackets (stored instrument)"
    assert table.unit == "USD notional"
    assert table.brackets == BYBIT_BTCUSDT.brackets  # 20 tiers, 100x to $2M ... 14x to $80M
    first, last = table.brackets[0], table.brackets[-1]
    assert (first.floor, first.cap, first.max_leverage, first.mmr) == (0.0, 2_000_000.0, 100.0, 0.005)
    assert (last.floor, last.cap, last.max_leverage, last.mmr) == (75_000_000.0, 80_000_000.0, 14.0, 0.045)


def test_the_stored_instrument_says_where_it_comes_from(store: DuckDBStore) -> None:
    sql = "SELECT native_symbol, tick_size, funding_interval_h, source FROM instruments WHERE venue = 'bybit'"
    assert store.query(sql).rows() == [("BTCUSDT", 0.1, 8.0, "bybit rest /v5/market/instruments-info")]
