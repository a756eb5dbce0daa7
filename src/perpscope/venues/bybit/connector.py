"""Bybit v5 linear perpetuals for the collector: one websocket with ``tickers`` (mark, index, predicted funding,
open interest) and ``allLiquidation`` topics, a REST poll for settled funding, and REST history (newest first)
for backfill of settled funding and open interest."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx

from perpscope.collect import paging
from perpscope.collect.connector import Carried, ConnectorSettings, HistoryPoll, PollPlan, StreamPlan, venue_client
from perpscope.collect.http import DEFAULT_HTTP, HttpSettings
from perpscope.collect.session import StreamSpec
from perpscope.errors import ParseError
from perpscope.models import Record
from perpscope.venues.bybit import VENUE, endpoints, parse, parse_rest, stream, symbols
from perpscope.venues.bybit.capabilities import CAPABILITIES
from perpscope.venues.bybit.tickers import TickerMerger
from perpscope.venues.capabilities import Channel

STREAMED = (Channel.LIQUIDATIONS, Channel.MARK, Channel.INDEX, Channel.FUNDING_PREDICTED, Channel.OPEN_INTEREST)
BACKFILLED = frozenset({Channel.FUNDING_SETTLED, Channel.OPEN_INTEREST})
TOPICS_PER_REQUEST = 10  # one subscribe request must stay under 21,000 characters
HEARTBEAT = endpoints.PING_MESSAGE.decode()
OI_HISTORY_INTERVAL = "5min"


class BybitConnector:
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
        self.urls, self.http = venue_client(endpoints.URLS, CAPABILITIES, settings, http, transport)
        self.merger = TickerMerger()  # deltas apply to the latest snapshot; a reconnect brings a new snapshot

    def streams(self) -> list[StreamPlan]:
        topics = [topic for native in self.natives for topic in _topics(native)]
        requests = tuple(
            endpoints.subscribe_message(topics[start : start + TOPICS_PER_REQUEST]).decode()
            for start in range(0, len(topics), TOPICS_PER_REQUEST)
        )
        spec = StreamSpec(f"{VENUE} ws0", self.urls.websocket, requests, heartbeat=HEARTBEAT)
        carries = tuple(_carried(channel, native) for native in self.natives for channel in STREAMED)
        return [StreamPlan(spec, carries)] if topics else []

    def polls(self) -> list[PollPlan]:
        return [
            PollPlan(
                f"{VENUE} funding {native}",
                endpoints.FUNDING_HISTORY.path,
                (("category", endpoints.CATEGORY), ("symbol", native), ("limit", "10")),
                self.settings.intervals.funding_s,
                (_carried(Channel.FUNDING_SETTLED, native),),
            )
            for native in self.natives
        ]

    def history_polls(self) -> list[HistoryPoll]:
        return []

    def parse(self, key: str, payload: str, ts_recv: int) -> list[Record]:
        kind = key.split(" ")[1] if " " in key else ""
        if kind.startswith("ws"):
            return stream.parse_message(payload, ts_recv, self.merger)
        if kind == "funding":
            return list(parse.parse_funding_history(payload, ts_recv))
        raise ParseError(f"unknown Bybit stream key {key!r}", file="recording")

    def can_backfill(self, channel: Channel) -> bool:
        return channel in BACKFILLED

    def backfill(self, channel: Channel, symbol: str, since: int, until: int) -> AsyncIterator[list[Record]]:
        native = _native(symbol)
        if channel is Channel.FUNDING_SETTLED:
            return paging.backward(lambda start, end: self._funding_page(native, start, end), since, until)
        if channel is Channel.OPEN_INTEREST:
            return paging.backward(lambda start, end: self._open_interest_page(native, start, end), since, until)
        raise ValueError(f"Bybit has no REST history for {channel}")

    async def _funding_page(self, native: str, start: int, end: int) -> list[Record]:
        endpoint = endpoints.FUNDING_HISTORY
        params = _range(native, start, end, endpoint.page_limit or 200)
        payload = await self.http.get(endpoint.path, params, weight=endpoint.weight)
        return list(parse.parse_funding_history(payload, _now_ms()))

    async def _open_interest_page(self, native: str, start: int, end: int) -> list[Record]:
        endpoint = endpoints.OPEN_INTEREST
        params = {**_range(native, start, end, endpoint.page_limit or 200), "intervalTime": OI_HISTORY_INTERVAL}
        payload = await self.http.get(endpoint.path, params, weight=endpoint.weight)
        return list(parse_rest.parse_open_interest(payload, _now_ms()))


def _range(native: str, start: int, end: int, limit: int) -> dict[str, str | int]:
    return {"category": endpoints.CATEGORY, "symbol": native, "startTime": start, "endTime": end, "limit": limit}


def _topics(native: str) -> list[str]:
    return [endpoints.tickers_topic(native), endpoints.all_liquidation_topic(native)]


def _carried(channel: Channel, native: str) -> Carried:
    return Carried(channel, symbols.to_canonical(native), native)


def _native(symbol: str) -> str:
    """``BTC`` -> ``BTCUSDT``; ``BTC-USDT-PERP`` -> ``BTCUSDT``; ``BTCUSDT`` stays."""
    text = symbol.upper()
    if "-" in text:
        return symbols.to_native(text)
    return text if symbols.is_perpetual(text) else f"{text}USDT"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def connector(
    settings: ConnectorSettings, http: HttpSettings = DEFAULT_HTTP, transport: httpx.AsyncBaseTransport | None = None
) -> BybitConnector:
    return BybitConnector(settings, http, transport)
