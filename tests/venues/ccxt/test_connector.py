"""The real ccxt code path (``binanceusdm``: load_markets, fetchFundingRateHistory, fetchOpenInterestHistory)
against perpscope's loopback fake Binance venue, into a DuckDB store; and ccxt's errors as perpscope's."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from perpscope.errors import InputError, NetworkError, RateLimitError
from perpscope.fakevenue import FaultPlan, HttpFault
from perpscope.fakevenue.background import BackgroundVenue
from perpscope.fakevenue.binance import FUNDING_PATH, OPEN_INTEREST_HIST_PATH
from perpscope.fakevenue.market import FundingSettlement, OpenInterestEvent
from perpscope.models import Record
from perpscope.store import DuckDBStore
from perpscope.venues.ccxt.connector import CcxtHistory, rebase

from .fake_markets import EXCHANGE_INFO_PATH, BinanceWithMarkets

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
EIGHT_HOURS = 28_800_000
FIVE_MINUTES = 300_000
UNTIL = T0 + 400 * EIGHT_HOURS
ccxt = pytest.importorskip("ccxt", reason="ccxt is an optional extra: pip install 'perpscope[ccxt]'")

SETTLEMENTS = [FundingSettlement("BTC", T0 + n * EIGHT_HOURS, round(0.0001 + n * 1e-6, 8)) for n in range(250)]
INTEREST = [OpenInterestEvent("BTC", T0 + n * FIVE_MINUTES, 80_000.0 + n, 90_000.0 + 10 * n) for n in range(120)]


def history(url: str, retries: int = 3) -> CcxtHistory:
    # venue "binance": the fake's ledger names the venue as perpscope's own Binance connector does.
    return CcxtHistory("binanceusdm", venue="binance", api_base=url, backoff_s=0.01, retries=retries)


async def store_all(pages: AsyncIterator[list[Record]], store: DuckDBStore) -> tuple[int, int]:
    fetched = added = 0
    async for page in pages:
        counts = store.write_records(page)
        fetched += len(page)
        added += sum(count.added for count in counts.values())
    return fetched, added


async def backfill_funding(url: str, store: DuckDBStore, since: int) -> tuple[int, int]:
    async with history(url) as client:
        return await store_all(client.funding_history("BTC", since, UNTIL), store)


async def backfill_open_interest(url: str, store: DuckDBStore, since: int) -> tuple[int, int]:
    async with history(url) as client:
        return await store_all(client.open_interest_history("BTC-USDT-PERP", since, UNTIL, "5m"), store)


def test_funding_history_pages_into_the_store_exactly_once(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb")
    with BackgroundVenue(BinanceWithMarkets(page_cap=100)) as background:
        background.publish_all(SETTLEMENTS)
        url = background.venue.rest_url
        first = asyncio.run(backfill_funding(url, store, T0))
        second = asyncio.run(backfill_funding(url, store, T0 + 100 * EIGHT_HOURS))  # overlaps the first run
        ledger = background.venue.ledger
    assert first == (250, 250)
    assert second == (150, 0)
    # Pages of 100, 100, 50 and an empty one, then 100, 50 and an empty one; one exchangeInfo per run.
    assert ledger.requests == {EXCHANGE_INFO_PATH: 2, FUNDING_PATH: 7}
    served = sorted(ledger.delivered_records("funding"), key=lambda record: record.ts_event)
    rows = store.query(
        "SELECT venue, symbol, native_symbol, ts_event, funding_time, rate, interval_h, kind, source "
        "FROM funding ORDER BY ts_event"
    ).rows()
    assert len(served) == len(rows) == 250
    for row, record in zip(rows, served, strict=True):
        assert row[:8] == (
            record.venue,
            record.symbol,
            record.native_symbol,
            record.ts_event,
            record.funding_time,
            record.rate,
            record.interval_h,
            record.kind.value,
        )
        assert row[8] == "ccxt binanceusdm"
    assert rows[249][3:7] == (T0 + 249 * EIGHT_HOURS, T0 + 249 * EIGHT_HOURS, 0.000349, 8.0)
    store.close()


def test_open_interest_history_matches_what_was_served(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "db.duckdb")
    with BackgroundVenue(BinanceWithMarkets(page_cap=50)) as background:
        background.publish_all(INTEREST)
        url = background.venue.rest_url
        first = asyncio.run(backfill_open_interest(url, store, T0))
        second = asyncio.run(backfill_open_interest(url, store, T0 + 60 * FIVE_MINUTES))
        ledger = background.venue.ledger
    assert (first, second) == ((120, 120), (60, 0))
    # No limit is asked for, so Binance's default of 30 rows applies: 4 pages and an empty one, then 2 and one.
    assert ledger.requests[OPEN_INTEREST_HIST_PATH] == 5 + 3
    served = sorted(ledger.delivered_records("open_interest"), key=lambda record: record.ts_event)
    rows = store.query(
        "SELECT symbol, native_symbol, ts_event, oi_base, oi_usd, oi_contracts, reported, conversion_price, source "
        "FROM open_interest ORDER BY ts_event"
    ).rows()
    assert len(served) == len(rows) == 120
    for row, record in zip(rows, served, strict=True):
        assert row[:7] == (
            record.symbol,
            record.native_symbol,
            record.ts_event,
            record.oi_base,
            record.oi_usd,
            None,
            "base",
        )
        assert row[7] == pytest.approx(record.conversion_price)
        assert row[8] == "ccxt binanceusdm"
    assert rows[119][2:5] == (T0 + 119 * FIVE_MINUTES, 80_119.0, 80_119.0 * 91_190.0)
    store.close()


def test_a_throttled_request_is_retried(tmp_path: Path) -> None:
    faults = FaultPlan(http=(HttpFault(FUNDING_PATH, (1,), 429, retry_after_s=1),))
    store = DuckDBStore(tmp_path / "db.duckdb")
    with BackgroundVenue(BinanceWithMarkets(page_cap=100), faults) as background:
        background.publish_all(SETTLEMENTS[:10])
        assert asyncio.run(backfill_funding(background.venue.rest_url, store, T0)) == (10, 10)
        assert background.venue.ledger.requests[FUNDING_PATH] == 3  # the 429, the page, the empty page
    store.close()


def test_throttling_that_persists_is_one_rate_limit_error(tmp_path: Path) -> None:
    faults = FaultPlan(http=(HttpFault(FUNDING_PATH, (1, 2, 3, 4), 429, retry_after_s=1),))
    store = DuckDBStore(tmp_path / "db.duckdb")
    with BackgroundVenue(BinanceWithMarkets(), faults) as background:
        background.publish_all(SETTLEMENTS[:10])
        with pytest.raises(RateLimitError) as caught:
            asyncio.run(backfill_funding(background.venue.rest_url, store, T0))
        assert background.venue.ledger.requests[FUNDING_PATH] == 4  # the first try and 3 retries
    # ccxt names HTTP 429 DDoSProtection (a NetworkError beside RateLimitExceeded): both are throttling.
    assert str(caught.value) == (
        'ccxt binanceusdm: DDoSProtection: binanceusdm 429 Too Many Requests {"code":-1003,"msg":"injected fault"} '
        "(still throttled after 3 retries)"
    )
    store.close()


def test_an_unreachable_exchange_is_a_network_error(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = DuckDBStore(tmp_path / "db.duckdb")

    async def run() -> None:
        async with history(f"http://127.0.0.1:{port}", retries=1) as client:
            await store_all(client.funding_history("BTC", T0, UNTIL), store)

    with pytest.raises(NetworkError) as caught:
        asyncio.run(run())
    assert str(caught.value) == (
        f"ccxt binanceusdm: ExchangeNotAvailable: binanceusdm GET http://127.0.0.1:{port}/fapi/v1/exchangeInfo "
        "(cannot reach the exchange, or it is in maintenance)"
    )
    store.close()


def test_a_dated_future_and_an_unknown_symbol_are_refused() -> None:
    async def run(symbol: str) -> None:
        async with history(background.venue.rest_url) as client:
            async for _ in client.funding_history(symbol, T0, UNTIL):
                pass

    with BackgroundVenue(BinanceWithMarkets()) as background:
        with pytest.raises(InputError) as dated:
            asyncio.run(run("BTC/USDT:USDT-260626"))
        with pytest.raises(InputError) as unknown:
            asyncio.run(run("SOL"))
        assert FUNDING_PATH not in background.venue.ledger.requests
    assert str(dated.value).startswith("ccxt binanceusdm: BTC/USDT:USDT-260626 is not a perpetual swap")
    assert str(unknown.value).startswith("ccxt binanceusdm has no linear perpetual for 'SOL'")


def test_an_exchange_without_funding_history_is_one_clear_error() -> None:
    lacking = next(
        name
        for name in ccxt.async_support.exchanges
        if getattr(ccxt, name)().has.get("swap") and not getattr(ccxt, name)().has.get("fetchFundingRateHistory")
    )

    async def run() -> None:
        async with CcxtHistory(lacking) as client:  # no request is made: the refusal comes first
            async for _ in client.funding_history("BTC", T0, UNTIL):
                pass

    with pytest.raises(InputError) as caught:
        asyncio.run(run())
    assert str(caught.value) == (
        f"ccxt {lacking} has no funding_settled history: ccxt does not implement fetchFundingRateHistory for it "
        "(has['fetchFundingRateHistory'] is not true)"
    )


def test_an_unknown_exchange_is_named() -> None:
    with pytest.raises(InputError, match=r"^ccxt has no exchange 'nosuchvenue'"):
        asyncio.run(CcxtHistory("nosuchvenue").open())


def test_rebase_keeps_paths_and_replaces_origins() -> None:
    urls = {"fapiPublic": "https://fapi.binance.com/fapi/v1", "nested": {"public": "https://x.io/api"}, "n": None}
    assert rebase(urls, "http://127.0.0.1:9/") == {
        "fapiPublic": "http://127.0.0.1:9/fapi/v1",
        "nested": {"public": "http://127.0.0.1:9/api"},
        "n": None,
    }
