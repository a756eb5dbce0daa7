"""Hyperliquid through the fake venue: asset contexts over the websocket through disconnects, a half-open socket and
malformed frames, and settled funding followed through the POST /info history query despite 429 and 5xx.

Contexts carry no venue time (a collector stamps them on receipt), so values are compared, not keys; and a frame
the venue repeats cannot be told from a new one: no duplicate frames are injected here (docs/collecting.md)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest
from collect_helpers import now_ms, settled

from perpscope.collect.collector import Collector, CollectorSettings
from perpscope.collect.connector import ConnectorSettings, Intervals, VenueUrls
from perpscope.collect.http import HttpSettings
from perpscope.collect.session import SessionSettings
from perpscope.collect.writer import WriterSettings
from perpscope.fakevenue import FakeVenue, FaultPlan, HttpFault
from perpscope.fakevenue.hyperliquid import INFO_PATH, HyperliquidDialect
from perpscope.fakevenue.market import FundingSettlement, MarkEvent, scripted
from perpscope.models import Price, PriceKind
from perpscope.store import DuckDBStore
from perpscope.venues.hyperliquid.connector import HyperliquidConnector

FAULTS = FaultPlan(
    disconnect_after=(60,),
    stall_after=(200,),
    malformed_before=(20, 21),
    http=(HttpFault(INFO_PATH, (2,), 429, retry_after_s=1), HttpFault(INFO_PATH, (3,), 503, query='"coin":"ETH"')),
)


STALE_S = 3.0  # well above any pause a loaded machine causes; the stall (never resumed) trips it
RECONNECTS = 2  # the abort and the stall


@dataclass
class Outcome:
    venue: FakeVenue
    collector: Collector
    store: DuckDBStore
    started: int


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    store = DuckDBStore(tmp_path_factory.mktemp("hyperliquid") / "hl.duckdb")

    async def scenario() -> Outcome:
        async with FakeVenue(HyperliquidDialect(), FAULTS) as venue:
            for event in scripted(("BTC", "ETH"), 10, now_ms() - 60_000, step_ms=1_000):
                await venue.publish(event)
            settings = ConnectorSettings(
                ("BTC", "ETH"), Intervals(funding_s=0.3), VenueUrls(venue.rest_url, venue.websocket_url)
            )
            http = HttpSettings(timeout_s=2.0, max_attempts=3, backoff_initial_s=0.05, budget_share=20.0)
            session = SessionSettings(stale_after_s=STALE_S, backoff_initial_s=0.05, jitter=0.2)
            collector = Collector(
                [HyperliquidConnector(settings, http)],
                store,
                CollectorSettings(session=session, writer=WriterSettings(flush_interval_s=0.5)),
            )
            running = asyncio.create_task(collector.run())
            while venue.connections == 0:
                await asyncio.sleep(0.01)
            started = now_ms() + 200
            await venue.play(scripted(("BTC", "ETH"), 300, started, step_ms=10))
            await asyncio.sleep(0.7)  # one more round of the funding follow-up, then the last flush
            await settled(collector, RECONNECTS, 2 * STALE_S)
            collector.stop()
            await running
            return Outcome(venue, collector, store, started)

    return asyncio.run(scenario())


def test_the_collector_survived(outcome: Outcome) -> None:
    status = outcome.collector.status
    assert outcome.collector.errors == {}
    assert (status.reconnects, status.malformed) == (RECONNECTS, 2)
    assert outcome.venue.ledger.requests[INFO_PATH] >= 4


def test_every_delivered_context_value_is_stored(outcome: Outcome) -> None:
    for kind in (PriceKind.MARK, PriceKind.INDEX):
        delivered = {
            (record.symbol, record.price)
            for record in outcome.venue.ledger.delivered_records("prices")
            if isinstance(record, Price) and record.kind is kind
        }
        stored = set(outcome.store.query("SELECT symbol, price FROM prices WHERE kind = ?", [kind.value]).rows())
        assert len(delivered) > 100
        assert stored == delivered


def test_settled_funding_is_followed_through_429_and_5xx(outcome: Outcome) -> None:
    published = {
        (f"{event.base}-USD-PERP", event.ts, event.rate)
        for event in outcome.venue.ledger.published
        if isinstance(event, FundingSettlement)
    }
    stored = outcome.store.query(
        "SELECT symbol, ts_event, rate, interval_h, source FROM funding WHERE kind = 'settled'"
    ).rows()
    assert {row[:3] for row in stored} == published
    assert len(stored) == len(published)
    assert {row[3:] for row in stored} == {(1.0, "hyperliquid rest /info fundingHistory")}


def test_contexts_missed_while_down_lie_in_gaps_of_every_streamed_channel(outcome: Outcome) -> None:
    gaps = outcome.store.query("SELECT symbol, channel, ts_event, ts_end FROM gaps WHERE NOT backfilled").rows()
    assert {channel for _, channel, _, _ in gaps} == {"funding_predicted", "open_interest", "mark", "index"}
    assert len(gaps) == 16  # 2 reconnects x 2 coins x 4 channels
    marks = {(record.symbol, record.price) for record in outcome.venue.ledger.delivered_records("prices")}
    for event in outcome.venue.ledger.published:
        if isinstance(event, MarkEvent) and event.ts >= outcome.started:
            symbol = f"{event.base}-USD-PERP"
            if (symbol, event.mark) not in marks:
                assert any(s == symbol and c == "mark" and a <= event.ts <= b for s, c, a, b in gaps), event


def test_contexts_of_one_coin_read_in_one_millisecond_each_keep_their_own_time(tmp_path: Path) -> None:
    """Receipt times may repeat (several frames in a millisecond); each coin's ts_event steps past its last one,
    every record of a frame sharing the frame's stamp, and receipt times stay as received."""
    connector = HyperliquidConnector(ConnectorSettings(("BTC", "ETH")))
    dialect = HyperliquidDialect()
    t = 1_700_000_000_000
    read = [("BTC", 100.0, t), ("BTC", 101.0, t), ("ETH", 50.0, t), ("BTC", 102.0, t), ("BTC", 103.0, t + 1)]
    read += [("BTC", 104.0, t + 10), ("ETH", 51.0, t + 10)]
    records = []
    for base, mark, received in read:
        payload = dialect.render(MarkEvent(base, 0, mark, mark - 5.0, 0.0001, 0))[0].payload
        frame = connector.parse("hyperliquid ws0", payload, received)
        assert len(frame) == 4 and len({record.ts_event for record in frame}) == 1
        records += frame
    marks = [
        (r.symbol, r.price, r.ts_event, r.ts_recv) for r in records if isinstance(r, Price) and r.kind is PriceKind.MARK
    ]
    assert marks == [
        ("BTC-USD-PERP", 100.0, t, t),
        ("BTC-USD-PERP", 101.0, t + 1, t),
        ("ETH-USD-PERP", 50.0, t, t),  # another coin: its own sequence
        ("BTC-USD-PERP", 102.0, t + 2, t),
        ("BTC-USD-PERP", 103.0, t + 3, t + 1),  # the clock moved on by less than the stamps: they go on
        ("BTC-USD-PERP", 104.0, t + 10, t + 10),  # caught up: receipt time again
        ("ETH-USD-PERP", 51.0, t + 10, t + 10),
    ]
    with DuckDBStore(tmp_path / "burst.duckdb") as store:
        store.write_records(records)
        stored = store.query("SELECT symbol, price, ts_event FROM prices WHERE kind = 'mark' ORDER BY symbol, ts_event")
        assert stored.rows() == [(symbol, price, ts_event) for symbol, price, ts_event, _ in sorted(marks)]
        assert store.count("open_interest") == store.count("funding") == 7  # every frame stored once
