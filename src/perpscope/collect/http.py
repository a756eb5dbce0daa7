"""REST calls to a venue: a token bucket sized from the venue's published limit, retries, and clear errors.

429 and 418 wait for ``Retry-After`` (or back off when it is absent), 5xx and timeouts back off exponentially;
after ``max_attempts`` the last failure is raised as :class:`RateLimitError` or :class:`NetworkError`. The httpx
transport is a parameter, so tests can swap the network for anything httpx accepts.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from perpscope.errors import NetworkError, RateLimitError, VenueResponseError
from perpscope.venues.capabilities import RateLimit


@dataclass(frozen=True)
class HttpSettings:
    timeout_s: float = 10.0
    max_attempts: int = 6
    connect_attempts: int = 3  # a venue that refuses connections (or has no DNS) is given up on sooner
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 120.0  # a longer Retry-After is not waited out: the call fails instead
    budget_share: float = 0.5  # share of the venue's published request budget this process may use


DEFAULT_HTTP = HttpSettings()


class TokenBucket:
    """At most ``rate_per_s`` units per second on average, bursts up to ``capacity``."""

    def __init__(self, rate_per_s: float, capacity: float):
        self.rate_per_s = rate_per_s
        self.capacity = capacity
        self._tokens = capacity
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    @classmethod
    def for_limit(cls, limit: RateLimit, share: float) -> TokenBucket:
        """A bucket for a venue's published budget (weight if it counts weight, else requests), per minute."""
        per_minute = limit.weight_per_minute or limit.requests_per_minute or 600.0
        rate = per_minute * share / 60.0
        return cls(rate, capacity=max(1.0, rate * 5))

    async def take(self, cost: float = 1.0) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate_per_s)
                self._stamp = now
                if self._tokens >= cost:
                    self._tokens -= cost
                    return
                await asyncio.sleep((min(cost, self.capacity) - self._tokens) / self.rate_per_s)


class HttpClient:
    """GET JSON from one venue's REST base URL. Returns the body as bytes: parse functions decode it."""

    def __init__(
        self,
        base_url: str,
        bucket: TokenBucket,
        settings: HttpSettings = HttpSettings(),
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.bucket = bucket
        self.settings = settings
        self.requests = 0
        self.retries = 0
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=settings.timeout_s, transport=transport)

    async def get(self, path: str, params: Mapping[str, str | int] | None = None, *, weight: int = 1) -> bytes:
        return await self._with_retries(httpx.Request("GET", path, params=dict(params or {})), weight)

    async def post(self, path: str, body: Any, *, weight: int = 1) -> bytes:
        """POST ``body`` as JSON (venues whose public API is one query endpoint, such as Hyperliquid's /info)."""
        return await self._with_retries(httpx.Request("POST", path, json=body), weight)

    async def _with_retries(self, request: httpx.Request, weight: int) -> bytes:
        last: Exception | None = None
        for attempt in range(1, self.settings.max_attempts + 1):
            await self.bucket.take(weight)
            self.requests += 1
            try:
                return await self._once(request)
            except (RateLimitError, NetworkError) as error:
                last = error
                unreachable = isinstance(error, _Unreachable) and attempt >= self.settings.connect_attempts
                if attempt == self.settings.max_attempts or unreachable:
                    break
                self.retries += 1
                await asyncio.sleep(self._delay(error, attempt))
        assert last is not None
        raise last

    async def _once(self, request: httpx.Request) -> bytes:
        where = f"{self.base_url}{request.url.path}"
        try:
            response = await self._client.request(
                request.method,
                request.url.path,
                params=request.url.params,
                content=request.content,
                headers={"Content-Type": "application/json"} if request.content else None,
            )
        except httpx.TimeoutException:
            raise NetworkError(f"{where}: no answer within {self.settings.timeout_s:g} s") from None
        except httpx.ConnectError as error:
            raise _Unreachable(f"cannot connect to {where}: {error}") from None
        except httpx.HTTPError as error:
            raise NetworkError(f"{where}: {type(error).__name__}: {error}") from None
        if response.status_code in (418, 429):
            retry_after = _seconds(response.headers.get("Retry-After"))
            raise RateLimitError(f"{where}: HTTP {response.status_code} (rate limited)", retry_after)
        if response.status_code >= 500:
            raise NetworkError(f"{where}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise VenueResponseError(f"{where}: HTTP {response.status_code}: {response.text[:200]}")
        return response.content

    def _delay(self, error: Exception, attempt: int) -> float:
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            if error.retry_after > self.settings.retry_after_max_s:
                raise error
            return error.retry_after
        base = min(self.settings.backoff_max_s, self.settings.backoff_initial_s * 2.0 ** (attempt - 1))
        return base * (1 + 0.5 * random.random())

    async def close(self) -> None:
        await self._client.aclose()


class _Unreachable(NetworkError):
    """No connection at all (refused, no route, no DNS): retried only ``connect_attempts`` times."""


def _seconds(header: str | None) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is not used by these venues and counts as absent)."""
    try:
        return max(0.0, float(header)) if header is not None else None
    except ValueError:
        return None
