"""Binance USDⓈ-M for the collector: combined-stream websockets for liquidations and mark prices, REST polls for
open interest and settled funding, REST history for backfill (funding since listing, open interest 30 days)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx

from perpscope.collect import paging
from perpscope.collect.connector import Carried, ConnectorSettings, HistoryPoll, PollPlan, StreamPlan
from perpscope.collect.http import DEFAULT_HTTP, HttpClient, HttpSettings, TokenBucket
from perpscope.collect.session import StreamSpec
from perpscope.errors import ParseError
from perpscope.models import Record
from perpscope.venues.binance import VENUE, endpoints, parse, parse_rest, symbols
from perpscope.venues.binance.capabilities import CAPABILITIES
from perpscope.venues.capabilities import Channel

STREAMED = (Channel.LIQUIDATIONS, Channel.MARK, Channel.INDEX, Channel.FUNDING_PREDICTED)
BACKFILLED = frozenset({Channel.FUNDING_SETTLED, Channel.OPEN_INTEREST})
STREAMS_PER_SYMBOL = 2
OI_HISTORY_PERIOD = "5m"
DAY_MS = 86_400_000


class BinanceConnector:
    venue = VENUE
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: ConnectorSettings,
        http: HttpSettings = DEFAULT_HTTP,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.settings = settings
        self.natives = tuple(_native(symbol) for symbol in settings.symbols)
        self.urls = endpoints.URLS.with_overrides(rest=settings.urls.rest, websocket=settings.urls.websocket)
        bucket = TokenBucket.for_limit(CAPABILITIES.rate_limit, http.budget_share)
        self.http = HttpClient(self.urls.rest, bucket, http, transport)

    def streams(self) -> list[StreamPlan]:
        per_socket = (CAPABILITIES.symbols_per_socket or 200) // STREAMS_PER_SYMBOL
        plans = []
        for number, start in enumerate(range(0, len(self.natives), per_socket)):
            chunk = self.natives[start : start + per_socket]
            names = [name for native in chunk for name in _stream_names(native)]
            url = self.urls.websocket.rstrip("/") + endpoints.combined_stream_path(names)
            carries = tuple(_carried(channel, native) for native in chunk for channel in STREAMED)
            plans.append(StreamPlan(StreamSpec(f"{VENUE} ws{number}", url), carries))
        return plans

    def polls(self) -> list[PollPlan]:
        intervals = self.settings.intervals
        plans = []
        for native in self.natives:
            plans.append(
                PollPlan(
                    f"{VENUE} open_interest {native}",
                    endpoints.OPEN_INTEREST.path,
                    (("symbol", native),),
                    intervals.open_interest_s,
                    (_carried(Channel.OPEN_INTEREST, native),),
                )
            )
            plans.append(
                PollPlan(
                    f"{VENUE} funding {native}",
                    endpoints.FUNDING_RATE.path,
                    (("symbol", native), ("limit", "10")),
                    intervals.funding_s,
                    (_carried(Channel.FUNDING_SETTLED, native),),
                )
            )
        return plans

    def history_polls(self) -> list[HistoryPoll]:
        return []

    def parse(self, key: str, payload: str, ts_recv: int) -> list[Record]:
        kind = key.split(" ")[1] if " " in key else ""
        if kind.startswith("ws"):
            return parse.parse_message(payload, ts_recv) if not _is_control(payload) else []
        if kind == "open_interest":
            return [parse_rest.parse_open_interest(payload, ts_recv)]
        if kind == "funding":
            return list(parse.parse_funding_history(payload, ts_recv))
        raise ParseError(f"unknown Binance stream key {key!r}", file="recording")

    def can_backfill(self, channel: Channel) -> bool:
        return channel in BACKFILLED

    def backfill(self, channel: Channel, symbol: str, since: int, until: int) -> AsyncIterator[list[Record]]:
        native = _native(symbol)
        if channel is Channel.FUNDING_SETTLED:
            return paging.forward(lambda start, end: self._funding_page(native, start, end), since, until)
        if channel is Channel.OPEN_INTEREST:
            depth = (CAPABILITIES.history_days(channel) or 0) * DAY_MS
            since = max(since, int(time.time() * 1000 - depth) + 60_000)
            return paging.forward(lambda start, end: self._open_interest_page(native, start, end), since, until)
        raise ValueError(f"Binance has no REST history for {channel}")

    async def _funding_page(self, native: str, start: int, end: int) -> list[Record]:
        endpoint = endpoints.FUNDING_RATE
        params: dict[str, str | int] = {
            "symbol": native,
            "startTime": start,
            "endTime": end,
            "limit": endpoint.page_limit or 1000,
        }
        payload = await self.http.get(endpoint.path, params, weight=endpoint.weight)
        return list(parse.parse_funding_history(payload, _now_ms()))

    async def _open_interest_page(self, native: str, start: int, end: int) -> list[Record]:
        endpoint = endpoints.OPEN_INTEREST_HIST
        params: dict[str, str | int] = {
            "symbol": native,
            "period": OI_HISTORY_PERIOD,
            "startTime": start,
            "endTime": end,
            "limit": endpoint.page_limit or 500,
        }
        payload = await self.http.get(endpoint.path, params, weight=endpoint.weight)
        return list(parse.parse_open_interest_hist(payload, _now_ms()))


def _stream_names(native: str) -> list[str]:
    return [endpoints.liquidation_stream(native), endpoints.mark_price_stream(native)]


def _carried(channel: Channel, native: str) -> Carried:
    return Carried(channel, symbols.to_canonical(native), native)


def _native(symbol: str) -> str:
    """``BTC`` -> ``BTCUSDT``; ``BTC-USDT-PERP`` -> ``BTCUSDT``; ``BTCUSDT`` stays."""
    text = symbol.upper()
    if "-" in text:
        return symbols.to_native(text)
    return text if symbols.is_perpetual(text) else f"{text}USDT"


def _is_control(payload: str) -> bool:
    """Replies to SUBSCRIBE requests (``{"result": null, "id": 1}``) carry no market data."""
    return payload.startswith('{"result"')


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def connector(
    settings: ConnectorSettings, http: HttpSettings = DEFAULT_HTTP, transport: httpx.AsyncBaseTransport | None = None
) -> BinanceConnector:
    return BinanceConnector(settings, http, transport)
