"""Funding and open-interest history of any ccxt exchange, paged by time into perpscope records.

ccxt is imported here, lazily, when :meth:`CcxtHistory.open` runs: importing perpscope never imports it. Requests
go through ccxt's async client with ``enableRateLimit`` on, so ccxt's own throttle spaces them by the exchange's
``rateLimit``; a rate-limit or network error is retried ``retries`` times with a doubling pause, then raised as
perpscope's :class:`~perpscope.errors.RateLimitError` or :class:`~perpscope.errors.NetworkError`.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import ModuleType, TracebackType
from typing import Any
from urllib.parse import urlsplit

from perpscope.errors import (
    InputError,
    NetworkError,
    PerpscopeError,
    RateLimitError,
    VenueError,
    VenueResponseError,
)
from perpscope.models import FundingRate, OpenInterest
from perpscope.venues.capabilities import Channel
from perpscope.venues.ccxt import parse
from perpscope.venues.ccxt.capabilities import HISTORY_METHODS, supports

Fetch = Callable[[int], Awaitable[list[dict[str, Any]]]]  # page starting at ``since`` ms -> ccxt structures
INSTALL_HINT = "ccxt is not installed: pip install 'perpscope[ccxt]' (or pip install ccxt)"
MAX_PAGES = 100_000


def load_ccxt() -> ModuleType:
    """ccxt's asyncio flavour, imported on first use (it takes about a second and much memory)."""
    try:
        return importlib.import_module("ccxt.async_support")
    except ImportError:
        raise PerpscopeError(INSTALL_HINT) from None


def rebase(urls: Any, origin: str) -> Any:
    """ccxt's ``urls['api']`` (a URL, or dicts of them) with every URL's scheme and host replaced by ``origin``,
    paths kept: to route an exchange's REST calls to a loopback fake venue or a proxy."""
    if isinstance(urls, str):
        parts = urlsplit(urls)
        return origin.rstrip("/") + parts.path if parts.scheme else urls
    if isinstance(urls, dict):
        return {key: rebase(value, origin) for key, value in urls.items()}
    return urls


class CcxtHistory:
    """History of one ccxt exchange: ``async with CcxtHistory("gate") as history: async for page in
    history.funding_history("BTC", since, until): ...``. Records carry ``venue`` (the exchange id unless
    given) and ``source`` ``"ccxt <exchange id>"``."""

    def __init__(
        self,
        exchange_id: str,
        *,
        venue: str | None = None,
        api_base: str | None = None,
        page_limit: int | None = None,
        fallback_interval_h: float = 8.0,
        retries: int = 3,
        backoff_s: float = 1.0,
        timeout_ms: int = 10_000,
    ):
        self.exchange_id = exchange_id
        self.venue = venue or exchange_id
        self.api_base = api_base
        self.page_limit = page_limit  # None: each exchange's default page size, which is always accepted
        self.fallback_interval_h = fallback_interval_h
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_ms = timeout_ms
        self._ccxt: ModuleType | None = None
        self._exchange: Any = None

    async def __aenter__(self) -> CcxtHistory:
        await self.open()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Import ccxt and make the exchange client (no request yet: markets load on the first fetch)."""
        if self._exchange is not None:
            return
        self._ccxt = load_ccxt()
        if self.exchange_id not in self._ccxt.exchanges:
            raise InputError(f"ccxt has no exchange {self.exchange_id!r} (see ccxt.exchanges for the ids)")
        exchange = getattr(self._ccxt, self.exchange_id)({"enableRateLimit": True, "timeout": self.timeout_ms})
        if self.api_base:
            exchange.urls["api"] = rebase(exchange.urls["api"], self.api_base)
        self._exchange = exchange

    async def close(self) -> None:
        if self._exchange is not None:
            exchange, self._exchange = self._exchange, None
            await exchange.close()

    @property
    def has(self) -> Mapping[str, Any]:
        return dict(self._client().has)

    async def market(self, symbol: str) -> Mapping[str, Any]:
        """The linear perpetual ``symbol`` names (see :func:`parse.resolve_market`); refuses others. Loads the
        exchange's markets on first use."""
        exchange = self._client()
        if not exchange.markets:
            await self._call(exchange.load_markets)
        market = parse.resolve_market(exchange.markets, symbol, self.exchange_id)
        parse.canonical(market, self.exchange_id)
        return market

    def require(self, channel: Channel) -> None:
        if not supports(self._client().has, channel):
            method = HISTORY_METHODS.get(channel, "?")
            raise InputError(
                f"ccxt {self.exchange_id} has no {channel.value} history: ccxt does not implement {method} "
                f"for it (has[{method!r}] is not true)"
            )

    async def funding_history(self, symbol: str, since: int, until: int) -> AsyncIterator[list[FundingRate]]:
        """Settled funding rates ``since <= funding time <= until``, one batch per page, oldest first."""
        self.require(Channel.FUNDING_SETTLED)
        market = await self.market(symbol)
        exchange = self._client()
        previous: int | None = None

        async def fetch(start: int) -> list[dict[str, Any]]:
            return list(
                await exchange.fetch_funding_rate_history(market["symbol"], start, self.page_limit, {"until": until})
            )

        async for entries in self._pages(fetch, since, until):
            yield parse.parse_funding_history(
                entries,
                market,
                venue=self.venue,
                exchange_id=self.exchange_id,
                ts_recv=_now_ms(),
                previous=previous,
                fallback_interval_h=self.fallback_interval_h,
            )
            previous = entries[-1]["timestamp"]

    async def open_interest_history(
        self, symbol: str, since: int, until: int, timeframe: str = "1h"
    ) -> AsyncIterator[list[OpenInterest]]:
        """Open interest sampled every ``timeframe`` (ccxt's names: 5m, 1h, 1d...), one batch per page."""
        self.require(Channel.OPEN_INTEREST)
        market = await self.market(symbol)
        exchange = self._client()

        async def fetch(start: int) -> list[dict[str, Any]]:
            return list(
                await exchange.fetch_open_interest_history(
                    market["symbol"], timeframe, start, self.page_limit, {"until": until}
                )
            )

        async for entries in self._pages(fetch, since, until):
            yield parse.parse_open_interest(
                entries, market, venue=self.venue, exchange_id=self.exchange_id, ts_recv=_now_ms()
            )

    async def _pages(self, fetch: Fetch, since: int, until: int) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages forward by time: each asks from just after the previous page's newest entry. Stops at an
        empty page, at ``until``, or when a page does not move forward (an exchange ignoring ``since``)."""
        cursor = since
        for _ in range(MAX_PAGES):
            start = cursor
            answer = await self._call(fetch, start)
            page = sorted(
                (entry for entry in answer if isinstance(entry.get("timestamp"), int)),
                key=lambda entry: int(entry["timestamp"]),
            )
            page = [entry for entry in page if since <= entry["timestamp"] <= until and entry["timestamp"] >= start]
            if not page:
                return
            yield page
            last = int(page[-1]["timestamp"])
            if last >= until:
                return
            cursor = last + 1

    async def _call(self, job: Callable[..., Awaitable[Any]], *arguments: Any) -> Any:
        """``job(*arguments)`` with ccxt's errors turned into perpscope's; throttling and network errors are retried."""
        errors = self._errors()
        for attempt in range(self.retries + 1):
            try:
                return await job(*arguments)
            except (errors.RateLimitExceeded, errors.DDoSProtection, errors.NetworkError) as error:
                if attempt == self.retries or isinstance(error, errors.OnMaintenance):
                    raise self.translate(error) from None
                await asyncio.sleep(self.backoff_s * 2**attempt)
            except errors.BaseError as error:
                raise self.translate(error) from None
        raise AssertionError("unreachable: the last attempt returns or raises")

    def translate(self, error: Exception) -> PerpscopeError:
        """One ccxt exception as the perpscope error a caller catches, naming the exchange."""
        errors = self._errors()
        what = f"ccxt {self.exchange_id}: {type(error).__name__}: {error}"
        if isinstance(error, errors.RateLimitExceeded | errors.DDoSProtection):
            return RateLimitError(f"{what} (still throttled after {self.retries} retries)")
        if isinstance(error, errors.ExchangeNotAvailable):
            return NetworkError(f"{what} (cannot reach the exchange, or it is in maintenance)")
        if isinstance(error, errors.NetworkError):
            return NetworkError(what)
        if isinstance(error, errors.BadSymbol):
            return InputError(what)
        if isinstance(error, errors.NotSupported):
            return InputError(f"{what} (ccxt does not implement this for the exchange)")
        if isinstance(error, errors.ExchangeError):
            return VenueResponseError(what)
        return VenueError(what)

    def _errors(self) -> ModuleType:
        return self._ccxt if self._ccxt is not None else load_ccxt()

    def _client(self) -> Any:
        if self._exchange is None:
            raise PerpscopeError(f"ccxt {self.exchange_id}: open() the history client first (or use async with)")
        return self._exchange


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
