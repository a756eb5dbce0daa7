"""REST calls against the fake venue on loopback: retries on 429 (Retry-After) and 5xx, timeouts, clear errors."""

from __future__ import annotations

import asyncio
import time

import msgspec
import pytest
from collect_helpers import closed_port

from perpscope.collect.http import HttpClient, HttpSettings, TokenBucket
from perpscope.errors import NetworkError, RateLimitError, VenueResponseError
from perpscope.fakevenue import FakeVenue, FaultPlan, HttpFault
from perpscope.fakevenue.binance import FUNDING_PATH, BinanceDialect
from perpscope.fakevenue.market import FundingSettlement
from perpscope.venues.capabilities import RateLimit

QUICK = HttpSettings(timeout_s=2.0, max_attempts=3, backoff_initial_s=0.05, retry_after_max_s=5.0)
PARAMS = {"symbol": "BTCUSDT", "startTime": 0, "limit": 10}
SETTLEMENTS = [FundingSettlement("BTC", 1_700_000_000_000 + n * 28_800_000, 0.0001 * (n + 1)) for n in range(3)]


def _fetch(faults: FaultPlan, settings: HttpSettings = QUICK) -> tuple[bytes | Exception, HttpClient, float, int]:
    """One GET of the funding history through ``faults``: (body or error, client, seconds, requests served)."""

    async def scenario() -> tuple[bytes | Exception, HttpClient, float, int]:
        async with FakeVenue(BinanceDialect(), faults) as venue:
            for settlement in SETTLEMENTS:
                await venue.publish(settlement)
            client = HttpClient(venue.rest_url, TokenBucket(1000, 1000), settings)
            started = time.monotonic()
            try:
                result: bytes | Exception = await client.get(FUNDING_PATH, PARAMS)
            except Exception as error:  # the test inspects it
                result = error
            finally:
                await client.close()
            return result, client, time.monotonic() - started, venue.ledger.requests.get(FUNDING_PATH, 0)

    return asyncio.run(scenario())


def test_a_429_waits_for_retry_after_then_succeeds() -> None:
    body, client, seconds, served = _fetch(FaultPlan(http=(HttpFault(FUNDING_PATH, (1,), 429, retry_after_s=1),)))
    assert isinstance(body, bytes)
    rows = msgspec.json.decode(body)
    assert [(row["fundingTime"], row["fundingRate"]) for row in rows] == [
        (1_700_000_000_000, "0.0001"),
        (1_700_028_800_000, "0.0002"),
        (1_700_057_600_000, "0.00030000000000000003"),
    ]
    assert (client.requests, client.retries, served) == (2, 1, 2)
    assert 1.0 <= seconds < 2.0  # waited exactly the advertised second, not the exponential backoff


def test_5xx_answers_are_retried_with_backoff() -> None:
    body, client, seconds, served = _fetch(FaultPlan(http=(HttpFault(FUNDING_PATH, (1, 2), 503),)))
    assert isinstance(body, bytes) and len(msgspec.json.decode(body)) == 3
    assert (client.requests, client.retries, served) == (3, 2, 3)
    assert seconds >= 0.05 + 0.10  # 0.05 s then 0.1 s, each stretched by up to half


def test_5xx_until_attempts_run_out_is_a_network_error() -> None:
    error, client, _, served = _fetch(FaultPlan(http=(HttpFault(FUNDING_PATH, (1, 2, 3), 502),)))
    assert isinstance(error, NetworkError)
    assert str(error).endswith(f"{FUNDING_PATH}: HTTP 502")
    assert (client.requests, served) == (3, 3)


def test_a_retry_after_longer_than_allowed_fails_at_once() -> None:
    error, client, seconds, _ = _fetch(FaultPlan(http=(HttpFault(FUNDING_PATH, (1,), 418, retry_after_s=600),)))
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 600.0
    assert "HTTP 418 (rate limited)" in str(error)
    assert client.requests == 1 and seconds < 1.0


def test_a_slow_answer_within_the_timeout_is_used() -> None:
    body, client, seconds, _ = _fetch(FaultPlan(http=(HttpFault(FUNDING_PATH, (1,), delay_s=0.3),)))
    assert isinstance(body, bytes) and client.retries == 0 and seconds >= 0.3


def test_an_answer_slower_than_the_timeout_is_a_network_error() -> None:
    settings = HttpSettings(timeout_s=0.2, max_attempts=2, backoff_initial_s=0.01)
    faults = FaultPlan(http=(HttpFault(FUNDING_PATH, (1, 2), delay_s=0.6),))
    error, client, _, _ = _fetch(faults, settings)
    assert isinstance(error, NetworkError)
    assert str(error).endswith(f"{FUNDING_PATH}: no answer within 0.2 s")
    assert client.requests == 2


def test_a_client_error_is_not_retried() -> None:
    async def scenario() -> tuple[Exception, int]:
        async with FakeVenue(BinanceDialect()) as venue:
            client = HttpClient(venue.rest_url, TokenBucket(1000, 1000), QUICK)
            with pytest.raises(VenueResponseError) as caught:
                await client.get("/fapi/v1/openInterest", {"symbol": "NOPEUSDT"})
            await client.close()
            return caught.value, venue.ledger.requests["/fapi/v1/openInterest"]

    error, served = asyncio.run(scenario())
    assert "HTTP 400" in str(error) and "Invalid symbol" in str(error)
    assert served == 1


def test_a_closed_port_is_a_network_error() -> None:
    async def scenario() -> None:
        client = HttpClient(f"http://127.0.0.1:{closed_port()}", TokenBucket(1000, 1000), QUICK)
        try:
            await client.get(FUNDING_PATH)
        finally:
            await client.close()

    with pytest.raises(NetworkError, match=r"^cannot connect to http://127\.0\.0\.1:"):
        asyncio.run(scenario())


def test_the_bucket_is_sized_from_the_published_budget() -> None:
    bucket = TokenBucket.for_limit(RateLimit(weight_per_minute=2400), share=0.5)
    assert (bucket.rate_per_s, bucket.capacity) == (20.0, 100.0)
    by_requests = TokenBucket.for_limit(RateLimit(requests_per_minute=120), share=0.25)
    assert (by_requests.rate_per_s, by_requests.capacity) == (0.5, 2.5)


def test_the_bucket_spaces_requests_beyond_its_burst() -> None:
    bucket = TokenBucket(rate_per_s=20.0, capacity=1.0)

    async def scenario() -> float:
        started = time.monotonic()
        for _ in range(5):
            await bucket.take()
        return time.monotonic() - started

    seconds = asyncio.run(scenario())
    assert 0.19 <= seconds < 0.5  # the first from the burst, four more at 50 ms each
