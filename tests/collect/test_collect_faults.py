"""Every fault the fake venue can inject, at once, through the real websocket and HTTP code path on loopback:
whatever the venue delivered is stored exactly once, what it could not deliver lies inside a recorded gap, and the
status counters say what happened."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

import pytest
from collect_helpers import now_ms, stored_keys

from perpscope.collect.collector import Collector, CollectorSettings
from perpscope.collect.connector import ConnectorSettings, Intervals, VenueUrls
from perpscope.collect.http import HttpSettings
from perpscope.collect.session import SessionSettings
from perpscope.collect.writer import WriterSettings
from perpscope.fakevenue import FakeVenue, FaultPlan, HttpFault
from perpscope.fakevenue.binance import FUNDING_PATH, OPEN_INTEREST_HIST_PATH, OPEN_INTEREST_PATH, BinanceDialect
from perpscope.fakevenue.market import LiquidationEvent, MarkEvent, scripted
from perpscope.models import Liquidation
from perpscope.store import DuckDBStore
from perpscope.venues.binance.connector import BinanceConnector

FAULTS = FaultPlan(
    disconnect_after=(80,),  # abrupt TCP abort
    stall_after=(260,),  # half-open: open but silent
    malformed_before=(20, 21),  # one frame that is not JSON, one with a non-number
    duplicate=(30, 31, 150),
    swap=(40, 160),  # held back and sent after the next frame
    http=(
        HttpFault(OPEN_INTEREST_PATH, (3,), 429, retry_after_s=1),
        HttpFault(OPEN_INTEREST_PATH, (4, 5, 6), 503, query="symbol=ETHUSDT"),  # one ETH poll fails for good
        HttpFault(OPEN_INTEREST_HIST_PATH, (1,), 502),  # ...and its backfill is retried once
        HttpFault(FUNDING_PATH, (2, 5), delay_s=0.3),  # slow but in time
        HttpFault(FUNDING_PATH, (7,), 500),
    ),
)
TABLES = ("liquidations", "prices", "funding", "open_interest")
STEPS = 420  # 10 ms apart: about 4.2 s of market, two symbols


@dataclass
class Outcome:
    venue: FakeVenue
    collector: Collector
    store: DuckDBStore
    started: int  # ms: when the played market began


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    store = DuckDBStore(tmp_path_factory.mktemp("faults") / "faults.duckdb")

    async def scenario() -> Outcome:
        async with FakeVenue(BinanceDialect(), FAULTS) as venue:
            for event in scripted(("BTC", "ETH"), 10, now_ms() - 60_000, step_ms=1_000):
                await venue.publish(event)  # the market before the collector starts: REST history only
            settings = ConnectorSettings(
                ("BTC", "ETH"),
                Intervals(open_interest_s=0.2, funding_s=0.3),
                VenueUrls(venue.rest_url, venue.websocket_url),
            )
            http = HttpSettings(timeout_s=2.0, max_attempts=3, backoff_initial_s=0.05)
            session = SessionSettings(stale_after_s=1.0, backoff_initial_s=0.05, jitter=0.2)
            collector = Collector(
                [BinanceConnector(settings, http)],
                store,
                CollectorSettings(session=session, writer=WriterSettings(flush_interval_s=0.5)),
            )
            running = asyncio.create_task(collector.run())
            while venue.connections == 0:
                await asyncio.sleep(0.01)
            started = now_ms() + 200
            await venue.play(scripted(("BTC", "ETH"), STEPS, started, step_ms=10))
            await asyncio.sleep(0.6)  # the last polls and flush; less than the stale threshold
            while collector.backfilling:
                await asyncio.sleep(0.05)
            collector.stop()
            await running
            return Outcome(venue, collector, store, started)

    return asyncio.run(scenario())


def test_the_collector_survived_every_fault(outcome: Outcome) -> None:
    ledger = outcome.venue.ledger
    assert outcome.collector.errors == {}
    assert (ledger.disconnects, ledger.stalls, ledger.malformed_sent) == (1, 1, 2)
    assert ledger.requests[OPEN_INTEREST_HIST_PATH] >= 2  # the failed page was asked again


@pytest.mark.parametrize("table", TABLES)
def test_every_delivered_record_is_stored_exactly_once(outcome: Outcome, table: str) -> None:
    stored = stored_keys(outcome.store, table)
    repeats = [key for key, times in Counter(stored).items() if times > 1]
    assert repeats == []
    delivered = outcome.venue.ledger.delivered_keys(table)
    assert len(delivered) > 20
    assert set(stored) == delivered


def test_liquidations_are_stored_field_by_field_as_sent(outcome: Outcome) -> None:
    sent = {
        (r.symbol, r.ts_event, str(r.side), r.price, r.quantity): r
        for r in outcome.venue.ledger.delivered_records("liquidations")
        if isinstance(r, Liquidation)
    }
    rows = outcome.store.query(
        "SELECT symbol, ts_event, side, price, quantity, native_symbol, notional_usd, complete, source "
        "FROM liquidations"
    ).rows()
    assert len(rows) == len(sent)
    for row in rows:
        record = sent[row[:5]]
        assert row[5:] == (record.native_symbol, pytest.approx(record.notional_usd), False, "binance ws forceOrder")


def test_what_was_never_delivered_lies_inside_a_recorded_gap(outcome: Outcome) -> None:
    gaps = outcome.store.query("SELECT symbol, channel, ts_event, ts_end FROM gaps WHERE NOT backfilled").rows()
    delivered = {(key[1], key[2]) for key in outcome.venue.ledger.delivered_keys("liquidations")}
    missed_liquidations = [
        event
        for event in outcome.venue.ledger.published
        if isinstance(event, LiquidationEvent)
        and event.ts >= outcome.started
        and (f"{event.base}-USDT-PERP", event.ts) not in delivered
    ]
    assert len(missed_liquidations) >= 5  # the stall and the reconnects cost some
    for event in missed_liquidations:
        symbol = f"{event.base}-USDT-PERP"
        assert any(s == symbol and c == "liquidations" and start <= event.ts <= end for s, c, start, end in gaps), event
    delivered_marks = {(key[1], key[3]) for key in outcome.venue.ledger.delivered_keys("prices")}
    for event in outcome.venue.ledger.published:
        if (
            isinstance(event, MarkEvent)
            and event.ts >= outcome.started
            and ((f"{event.base}-USDT-PERP", event.ts) not in delivered_marks)
        ):
            symbol = f"{event.base}-USDT-PERP"
            assert any(s == symbol and c == "mark" and start <= event.ts <= end for s, c, start, end in gaps)


def test_gaps_name_their_cause_and_only_streamed_channels(outcome: Outcome) -> None:
    rows = outcome.store.query(
        "SELECT DISTINCT channel, reason FROM gaps WHERE NOT backfilled ORDER BY channel, reason"
    ).rows()
    channels = {channel for channel, _ in rows}
    assert channels == {"funding_predicted", "index", "liquidations", "mark"}
    reasons = {reason for _, reason in rows}
    assert reasons == {"ConnectionClosedError: no close frame received or sent", "stale: no data for 1 s"}
    per_stream = outcome.store.query(
        "SELECT symbol, count(*) AS n FROM gaps WHERE channel = 'liquidations' GROUP BY symbol ORDER BY symbol"
    ).rows()
    assert per_stream == [("BTC-USDT-PERP", 2), ("ETH-USDT-PERP", 2)]  # one per reconnect, per symbol


def test_a_failed_poll_is_backfilled_from_history_and_marked(outcome: Outcome) -> None:
    filled = outcome.store.query(
        "SELECT symbol, channel, reason, ts_end - ts_event AS span FROM gaps WHERE backfilled"
    ).rows()
    assert [(symbol, channel, reason) for symbol, channel, reason, _ in filled] == [
        ("ETH-USDT-PERP", "open_interest", "poll failed")
    ]
    assert filled[0][3] >= 2_000  # at least the two 1-s edges around the failed poll
    from_history = outcome.store.query(
        "SELECT count(*) FROM open_interest WHERE symbol = 'ETH-USDT-PERP' AND source LIKE '%openInterestHist'"
    ).rows()[0][0]
    assert from_history >= 1


def test_status_counts_what_happened(outcome: Outcome) -> None:
    status = outcome.collector.status
    ws = status.streams["binance ws0"]
    ledger = outcome.venue.ledger
    assert (ws.reconnects, ws.malformed) == (2, 2)
    assert status.reconnects == 2 and status.malformed == 2
    # Every market frame that reached the socket, plus 3 duplicates and 2 malformed frames, counted as a message.
    delivered = ledger.delivered
    frames = sum(1 for (table, key) in delivered if table == "liquidations" or (table == "prices" and key[2] == "mark"))
    assert ws.messages == frames + 3 + 2
    assert status.gaps == 16  # 2 reconnects x 2 symbols x 4 streamed channels
    assert status.stored == sum(outcome.store.count(table) for table in (*TABLES, "gaps"))
    assert status.poll_failures == 1
    line = status.line(now_ms())
    assert "reconnects 2  gaps 16  malformed 2" in line
    assert f"stored {status.stored:,} records" in line
