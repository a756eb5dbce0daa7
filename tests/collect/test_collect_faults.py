"""Every fault the fake venue can inject, at once, through the real websocket and HTTP code path on loopback, for
each venue with a connector: whatever the venue delivered is stored exactly once, what it could not deliver lies
inside a recorded gap, and the status counters say what happened."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from collect_helpers import now_ms, settled, stored_keys

from perpscope.collect.collector import Collector, CollectorSettings
from perpscope.collect.connector import Connector, ConnectorSettings, Intervals, VenueUrls
from perpscope.collect.http import HttpSettings
from perpscope.collect.session import SessionSettings
from perpscope.collect.writer import WriterSettings
from perpscope.fakevenue import FakeVenue, FaultPlan, HttpFault
from perpscope.fakevenue import binance as fake_binance
from perpscope.fakevenue import bybit as fake_bybit
from perpscope.fakevenue import okx as fake_okx
from perpscope.fakevenue.dialect import Dialect
from perpscope.fakevenue.market import LiquidationEvent, MarkEvent, scripted
from perpscope.models import Liquidation
from perpscope.store import DuckDBStore
from perpscope.venues.binance.connector import BinanceConnector
from perpscope.venues.bybit.connector import BybitConnector
from perpscope.venues.okx.connector import OkxConnector

STREAM_FAULTS = FaultPlan(
    disconnect_after=(80,),  # abrupt TCP abort
    stall_after=(260,),  # half-open: open but silent
    malformed_before=(20, 21),  # one frame that is not JSON, one with a non-number
    duplicate=(30, 31, 150),
    swap=(40, 160),  # held back and sent after the next frame
)
TABLES = ("liquidations", "prices", "funding", "open_interest")
UNFILLABLE = {"funding_predicted", "index", "liquidations", "mark"}  # streamed, and no REST history
STEPS = 420  # 10 ms apart: about 4.2 s of market, two symbols
# No frame for this long is a dead connection: the half-open fault (a stall that never ends) trips it, and it is
# well above any pause a loaded machine causes (at 1 s, a slow test run recorded an extra stale gap).
STALE_S = 3.0
RECONNECTS = 2  # the abort and the stall


def _http_faults(polled: str, history: str, eth: str = "symbol=ETHUSDT", btc: str = "symbol=BTCUSDT") -> FaultPlan:
    return replace(
        STREAM_FAULTS,
        http=(
            HttpFault(polled, (3,), 429, retry_after_s=1),
            HttpFault(polled, (4, 5, 6), 503, query=eth),  # one ETH poll fails for good...
            HttpFault(history, (1,), 502),  # ...and the first history page of any backfill is asked twice
            HttpFault(polled, (2, 5), delay_s=0.3, query=btc),  # slow but in time
        ),
    )


@dataclass(frozen=True)
class VenueCase:
    venue: str
    dialect: Callable[[], Dialect]
    connector: Callable[[ConnectorSettings, HttpSettings], Connector]
    faults: FaultPlan
    history_path: str
    polled_channel: str  # the channel whose failed ETH poll is backfilled
    refilled_on_reconnect: frozenset[str]  # streamed channels that REST history refills after a reconnect
    instruments: tuple[tuple[str, float], ...] = ()  # (symbol, contract size) the venue's reference data gives


BINANCE_HISTORY = fake_binance.OPEN_INTEREST_HIST_PATH
OKX_HISTORY = fake_okx.OPEN_INTEREST_HIST_PATH
CASES = (
    VenueCase(
        "binance",
        fake_binance.BinanceDialect,
        BinanceConnector,
        _http_faults(fake_binance.OPEN_INTEREST_PATH, BINANCE_HISTORY),
        BINANCE_HISTORY,
        "open_interest",
        frozenset({"candles"}),  # the kline stream; /fapi/v1/klines refills it
    ),
    VenueCase(
        "bybit",
        fake_bybit.BybitDialect,
        BybitConnector,
        _http_faults(fake_bybit.FUNDING_PATH, fake_bybit.OPEN_INTEREST_PATH),
        fake_bybit.OPEN_INTEREST_PATH,
        "funding_settled",
        frozenset({"open_interest"}),
        (("BTC-USDT-PERP", 1.0), ("ETH-USDT-PERP", 1.0)),  # instruments-info + risk-limit, per symbol
    ),
    VenueCase(
        "okx",
        fake_okx.OkxDialect,
        OkxConnector,
        _http_faults(fake_okx.FUNDING_PATH, OKX_HISTORY, "instId=ETH-USDT-SWAP", "instId=BTC-USDT-SWAP"),
        OKX_HISTORY,
        "funding_settled",
        frozenset({"open_interest"}),
        (("BTC-USDT-PERP", 0.01), ("ETH-USDT-PERP", 0.1)),
    ),
)


@dataclass
class Outcome:
    case: VenueCase
    venue: FakeVenue
    collector: Collector
    store: DuckDBStore
    started: int  # ms: when the played market began


@pytest.fixture(scope="module", params=CASES, ids=[case.venue for case in CASES])
def outcome(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    case: VenueCase = request.param
    store = DuckDBStore(tmp_path_factory.mktemp(case.venue) / "faults.duckdb")
    return asyncio.run(_collect_through_faults(case, store))


async def _collect_through_faults(case: VenueCase, store: DuckDBStore) -> Outcome:
    async with FakeVenue(case.dialect(), case.faults) as venue:
        for event in scripted(("BTC", "ETH"), 10, now_ms() - 60_000, step_ms=1_000):
            await venue.publish(event)  # the market before the collector starts: REST history only
        urls = VenueUrls(venue.rest_url, venue.websocket_url)
        settings = ConnectorSettings(("BTC", "ETH"), Intervals(open_interest_s=0.2, funding_s=0.2), urls)
        # The fake venue has no request budget: polls every 0.2 s may exceed a real venue's.
        http = HttpSettings(timeout_s=2.0, max_attempts=3, backoff_initial_s=0.05, budget_share=20.0)
        session = SessionSettings(stale_after_s=STALE_S, backoff_initial_s=0.05, jitter=0.2)
        collector = Collector(
            [case.connector(settings, http)],
            store,
            CollectorSettings(session=session, writer=WriterSettings(flush_interval_s=0.5)),
        )
        running = asyncio.create_task(collector.run())
        while venue.connections == 0:
            await asyncio.sleep(0.01)
        started = now_ms() + 200
        await venue.play(scripted(("BTC", "ETH"), STEPS, started, step_ms=10))
        await asyncio.sleep(0.6)  # the last polls and flush
        await settled(collector, RECONNECTS, 2 * STALE_S)
        collector.stop()
        await running
        return Outcome(case, venue, collector, store, started)


def test_the_collector_survived_every_fault(outcome: Outcome) -> None:
    ledger = outcome.venue.ledger
    assert outcome.collector.errors == {}
    assert (ledger.disconnects, ledger.stalls, ledger.malformed_sent) == (1, 1, 2)
    assert ledger.requests[outcome.case.history_path] >= 2  # the failed page was asked again


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
        assert row[5:] == (record.native_symbol, pytest.approx(record.notional_usd), record.complete, record.source)


def test_what_was_never_delivered_lies_inside_a_recorded_gap(outcome: Outcome) -> None:
    gaps = outcome.store.query("SELECT symbol, channel, ts_event, ts_end FROM gaps WHERE NOT backfilled").rows()

    def covered(symbol: str, channel: str, ts: int) -> bool:
        return any(s == symbol and c == channel and start <= ts <= end for s, c, start, end in gaps)

    ledger = outcome.venue.ledger
    liquidations = {(key[1], key[2]) for key in ledger.delivered_keys("liquidations")}
    marks = {(key[1], key[3]) for key in ledger.delivered_keys("prices") if key[2] == "mark"}
    played = [event for event in ledger.published if event.ts >= outcome.started]
    missed_liquidations = [
        event
        for event in played
        if isinstance(event, LiquidationEvent) and (f"{event.base}-USDT-PERP", event.ts) not in liquidations
    ]
    assert len(missed_liquidations) >= 5  # the stall and the reconnects cost some
    assert all(covered(f"{e.base}-USDT-PERP", "liquidations", e.ts) for e in missed_liquidations)
    missed_marks = [
        event for event in played if isinstance(event, MarkEvent) and (f"{event.base}-USDT-PERP", event.ts) not in marks
    ]
    assert missed_marks and all(covered(f"{e.base}-USDT-PERP", "mark", e.ts) for e in missed_marks)


def test_gaps_name_their_cause_and_only_channels_without_history(outcome: Outcome) -> None:
    rows = outcome.store.query("SELECT DISTINCT channel, reason FROM gaps WHERE NOT backfilled").rows()
    assert {channel for channel, _ in rows} == UNFILLABLE
    assert {reason for _, reason in rows} == {
        "ConnectionClosedError: no close frame received or sent",
        f"stale: no data for {STALE_S:g} s",
    }
    per_symbol = outcome.store.query(
        "SELECT symbol, count(*) AS n FROM gaps WHERE channel = 'liquidations' GROUP BY symbol ORDER BY symbol"
    ).rows()
    assert per_symbol == [("BTC-USDT-PERP", 2), ("ETH-USDT-PERP", 2)]  # one per reconnect, per symbol


def test_refilled_spans_are_recorded_as_backfilled(outcome: Outcome) -> None:
    case = outcome.case
    rows = outcome.store.query("SELECT symbol, channel, reason, ts_end - ts_event FROM gaps WHERE backfilled").rows()
    expected = [("ETH-USDT-PERP", case.polled_channel, "poll failed")]
    for channel in sorted(case.refilled_on_reconnect):
        for symbol in ("BTC-USDT-PERP", "ETH-USDT-PERP"):
            expected += [(symbol, channel, "ConnectionClosedError: no close frame received or sent")]
            expected += [(symbol, channel, f"stale: no data for {STALE_S:g} s")]
    assert sorted(row[:3] for row in rows) == sorted(expected)
    assert all(span >= 2_000 for *_, span in rows)  # at least the two 1-s edges around each outage


def test_status_counts_what_happened(outcome: Outcome) -> None:
    status = outcome.collector.status
    ws = status.streams[f"{outcome.case.venue} ws0"]
    ledger = outcome.venue.ledger
    assert (ws.reconnects, ws.malformed) == (2, 2)
    assert status.reconnects == 2 and status.malformed == 2
    assert ws.messages == ledger.texts_written  # every message the venue wrote reached the collector and was counted
    assert status.gaps == 16  # 2 reconnects x 2 symbols x 4 channels without history
    assert status.stored == sum(outcome.store.count(table) for table in (*TABLES, "gaps", "instruments", "candles"))
    assert status.poll_failures == 1
    line = status.line(now_ms())
    assert "reconnects 2  gaps 16  malformed 2" in line
    assert f"stored {status.stored:,} records" in line


def test_reference_data_is_loaded_before_streams_and_stored(outcome: Outcome) -> None:
    rows = outcome.store.query("SELECT symbol, contract_size FROM instruments ORDER BY symbol").rows()
    assert rows == list(outcome.case.instruments)
