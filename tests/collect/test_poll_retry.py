"""A poll that fails after having worked is tried again within RETRY_FAILED_POLL_S, not a whole interval later
(an hourly reference poll would otherwise leave its data stale for an hour)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from perpscope.collect import collector as collector_module
from perpscope.collect.collector import Collector, CollectorSettings
from perpscope.collect.connector import ConnectorSettings, Intervals, VenueUrls
from perpscope.collect.http import HttpSettings
from perpscope.fakevenue import FaultPlan, HttpFault
from perpscope.fakevenue.bybit import FUNDING_PATH, BybitDialect
from perpscope.fakevenue.server import FakeVenue
from perpscope.store import DuckDBStore
from perpscope.venues.bybit.connector import BybitConnector


def test_a_failed_poll_is_retried_soon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector_module, "RETRY_FAILED_POLL_S", 0.2)

    async def run() -> tuple[int, int]:
        faults = FaultPlan(http=(HttpFault(FUNDING_PATH, (2,), 503),))  # the second funding poll fails
        async with FakeVenue(BybitDialect(), faults) as venue:
            urls = VenueUrls(venue.rest_url, venue.websocket_url)
            intervals = Intervals(funding_s=1.5, history_s=0.0)
            http = HttpSettings(timeout_s=2.0, max_attempts=1, budget_share=20.0)
            collector = Collector([BybitConnector(ConnectorSettings(("BTC",), intervals, urls), http)],
                                  DuckDBStore(tmp_path / "retry.duckdb"), CollectorSettings())  # fmt: skip
            running = asyncio.create_task(collector.run())
            await asyncio.sleep(2.3)  # polls at about 0 s (works), 1.5 s (fails) and 1.7 s (the retry)
            collector.stop()
            await running
            return venue.ledger.requests.get(FUNDING_PATH, 0), collector.status.poll_failures

    requests, failures = asyncio.run(run())
    # Three polls, and the settled-funding backfill of the failed poll's span once the retry worked; without the
    # retry: two polls in 2.3 s and no backfill yet.
    assert (requests, failures) == (4, 1)
