"""OKX v5 swaps for the collector: the instruments list first (contract values turn contract sizes into coins),
then one public websocket with mark price, index, funding and open-interest channels per swap and one
``liquidation-orders`` subscription for all swaps; a REST poll for settled funding; REST history (newest first,
timestamp cursors) for backfill of settled funding and open interest."""

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
from perpscope.venues.capabilities import Channel
from perpscope.venues.okx import VENUE, endpoints, parse, parse_rest, symbols
from perpscope.venues.okx.capabilities import CAPABILITIES

STREAMED = (Channel.LIQUIDATIONS, Channel.MARK, Channel.INDEX, Channel.FUNDING_PREDICTED, Channel.OPEN_INTEREST)
BACKFILLED = frozenset({Channel.FUNDING_SETTLED, Channel.OPEN_INTEREST})
PER_SWAP = (endpoints.FUNDING_RATE_CHANNEL, endpoints.OPEN_INTEREST_CHANNEL, endpoints.MARK_PRICE_CHANNEL)
ARGS_PER_REQUEST = 20  # keeps each subscribe request short; OKX caps the request size, not the count
HEARTBEAT = "ping"  # OKX closes a connection silent for 30 s; it answers "pong"
OI_HISTORY_PERIOD = "5m"
REFERENCE_REFRESH_S = 3_600.0


class OkxConnector:
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
        self.contract_values: dict[str, float] = {}  # instId -> ctVal, from the instruments list

    def streams(self) -> list[StreamPlan]:
        if not self.natives:
            return []
        args = [endpoints.subscription(channel, native) for native in self.natives for channel in PER_SWAP]
        args += [endpoints.subscription(endpoints.INDEX_TICKERS_CHANNEL, _index_id(n)) for n in self.natives]
        args.append(endpoints.subscription(endpoints.LIQUIDATION_ORDERS_CHANNEL))
        requests = tuple(
            endpoints.subscribe_message(args[start : start + ARGS_PER_REQUEST]).decode()
            for start in range(0, len(args), ARGS_PER_REQUEST)
        )
        pause = 1 / (CAPABILITIES.rate_limit.websocket_messages_per_second or 1)
        spec = StreamSpec(f"{VENUE} ws0", self.urls.websocket, requests, HEARTBEAT, subscribe_interval_s=pause)
        carries = tuple(_carried(channel, native) for native in self.natives for channel in STREAMED)
        return [StreamPlan(spec, carries)]

    def polls(self) -> list[PollPlan]:
        instruments = PollPlan(
            f"{VENUE} instruments",
            endpoints.INSTRUMENTS.path,
            (("instType", endpoints.INST_TYPE),),
            REFERENCE_REFRESH_S,
            (),
            first=True,
        )
        funding = [
            PollPlan(
                f"{VENUE} funding {native}",
                endpoints.FUNDING_RATE_HISTORY.path,
                (("instId", native), ("limit", "10")),
                self.settings.intervals.funding_s,
                (_carried(Channel.FUNDING_SETTLED, native),),
            )
            for native in self.natives
        ]
        return [instruments, *funding]

    def history_polls(self) -> list[HistoryPoll]:
        return []

    def parse(self, key: str, payload: str, ts_recv: int) -> list[Record]:
        kind = key.split(" ")[1] if " " in key else ""
        if kind.startswith("ws"):
            return [] if payload == "pong" else parse.parse_message(payload, ts_recv, self.contract_values)
        if kind == "instruments":
            instruments = parse_rest.parse_instruments(payload, ts_recv)
            self.contract_values.update(parse_rest.contract_values(instruments))
            return list(instruments)
        if kind == "funding":
            return list(parse.parse_funding_history(payload, ts_recv))
        raise ParseError(f"unknown OKX stream key {key!r}", file="recording")

    def can_backfill(self, channel: Channel) -> bool:
        return channel in BACKFILLED

    def backfill(self, channel: Channel, symbol: str, since: int, until: int) -> AsyncIterator[list[Record]]:
        native = _native(symbol)
        if channel is Channel.FUNDING_SETTLED:
            return paging.backward(lambda start, end: self._funding_page(native, start, end), since, until)
        if channel is Channel.OPEN_INTEREST:
            return paging.backward(lambda start, end: self._open_interest_page(native, start, end), since, until)
        raise ValueError(f"OKX has no REST history for {channel}")

    async def _funding_page(self, native: str, start: int, end: int) -> list[Record]:
        """Cursors are exclusive: ``after`` asks for rows older than it, ``before`` for rows newer."""
        endpoint = endpoints.FUNDING_RATE_HISTORY
        limit = endpoint.page_limit or 100
        params: dict[str, str | int] = {"instId": native, "after": end + 1, "before": start - 1, "limit": limit}
        payload = await self.http.get(endpoint.path, params, weight=endpoint.weight)
        return list(parse.parse_funding_history(payload, _now_ms()))

    async def _open_interest_page(self, native: str, start: int, end: int) -> list[Record]:
        endpoint = endpoints.RUBIK_OPEN_INTEREST
        params: dict[str, str | int] = {
            "instId": native,
            "period": OI_HISTORY_PERIOD,
            "begin": start,
            "end": end,
            "limit": endpoint.page_limit or 100,
        }
        payload = await self.http.get(endpoint.path, params, weight=endpoint.weight)
        return list(parse_rest.parse_open_interest_history(payload, _now_ms(), inst_id=native))


def _index_id(native: str) -> str:
    """``BTC-USDT-SWAP`` -> ``BTC-USDT``, the index the swap is priced against."""
    return native.rsplit("-", 1)[0]


def _carried(channel: Channel, native: str) -> Carried:
    return Carried(channel, symbols.to_canonical(native), native)


def _native(symbol: str) -> str:
    """``BTC`` -> ``BTC-USDT-SWAP``; ``BTC-USDT-PERP`` -> ``BTC-USDT-SWAP``; ``BTC-USDT-SWAP`` stays."""
    text = symbol.upper()
    if symbols.is_perpetual(text):
        return text
    if text.endswith("-PERP"):
        return symbols.to_native(text)
    return f"{text}-USDT-SWAP"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def connector(
    settings: ConnectorSettings, http: HttpSettings = DEFAULT_HTTP, transport: httpx.AsyncBaseTransport | None = None
) -> OkxConnector:
    return OkxConnector(settings, http, transport)
