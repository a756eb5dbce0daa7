"""Hyperliquid perpetuals for the collector: ``activeAssetCtx`` per coin over one websocket (predicted funding,
open interest, mark and oracle prices), settled hourly funding followed through the POST ``/info``
``fundingHistory`` query, which also backfills it, and each coin's instrument with its margin tiers from the
``meta`` query (at start, then hourly); closed 1-minute candles are followed through ``candleSnapshot`` (which
keeps only the latest 5,000 bars of an interval). The public feeds carry no liquidation flag, so this venue collects no
liquidations; open interest and prices have no history to refill a reconnect from.

Contexts carry no venue time: their ``ts_event`` is the receipt time, made strictly increasing per coin here, so
that contexts of one coin read in the same millisecond (a burst after a pause) keep distinct keys instead of being
taken for repeats. A coin's contexts come far below 1,000 a second, so the stamp stays at its receipt time or
within a few milliseconds after it; ``ts_recv`` is left as received."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import msgspec

from perpscope.collect import paging
from perpscope.collect.connector import Carried, ConnectorSettings, HistoryPoll, PollPlan, StreamPlan, venue_client
from perpscope.collect.http import DEFAULT_HTTP, HttpSettings
from perpscope.collect.session import StreamSpec
from perpscope.errors import ParseError
from perpscope.models import Record
from perpscope.venues.capabilities import Channel
from perpscope.venues.hyperliquid import VENUE, endpoints, parse, parse_rest, symbols
from perpscope.venues.hyperliquid.capabilities import CAPABILITIES

STREAMED = (Channel.FUNDING_PREDICTED, Channel.OPEN_INTEREST, Channel.MARK, Channel.INDEX)
HEARTBEAT = endpoints.PING_MESSAGE.decode()  # the venue drops connections silent for 60 s
FUNDING_LOOKBACK_MS = 3 * 3_600_000  # the first round of the settled-funding follow-up reaches three hours back
BACKFILLED = frozenset({Channel.FUNDING_SETTLED, Channel.CANDLES})
CANDLE_INTERVAL = "1m"
MINUTE_MS = 60_000
INFO_WEIGHT = 20  # most /info requests weigh 20 against the 1200/min budget
REFERENCE_INTERVAL_S = 3_600.0  # the universe and its margin tables change rarely


class HyperliquidConnector:
    venue = VENUE
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: ConnectorSettings,
        http: HttpSettings = DEFAULT_HTTP,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.settings = settings
        self.coins = tuple(_coin(symbol) for symbol in settings.symbols)
        self.urls, self.http = venue_client(endpoints.URLS, CAPABILITIES, settings, http, transport)
        self._stamps: dict[str, int] = {}  # symbol -> the last ts_event given to its contexts

    def streams(self) -> list[StreamPlan]:
        if not self.coins:
            return []
        requests = tuple(endpoints.subscribe_message(endpoints.ACTIVE_ASSET_CTX, coin).decode() for coin in self.coins)
        pause = 1 / (CAPABILITIES.rate_limit.websocket_messages_per_second or 1)
        spec = StreamSpec(f"{VENUE} ws0", self.urls.websocket, requests, HEARTBEAT, subscribe_interval_s=pause)
        carries = tuple(_carried(channel, coin) for coin in self.coins for channel in STREAMED)
        return [StreamPlan(spec, carries)]

    def polls(self) -> list[PollPlan]:
        """One ``meta`` query covers every coin: answered before the stream opens, then hourly."""
        if not self.coins:
            return []
        plan = PollPlan(
            f"{VENUE} meta",
            endpoints.INFO.path,
            (),
            REFERENCE_INTERVAL_S,
            (),
            weight=INFO_WEIGHT,
            first=True,
            body=endpoints.meta_request(),
        )
        return [plan]

    def history_polls(self) -> list[HistoryPoll]:
        intervals = self.settings.intervals
        lookback = round(intervals.history_lookback_s * 1000)
        funding = [
            HistoryPoll(_carried(Channel.FUNDING_SETTLED, coin), intervals.funding_s, FUNDING_LOOKBACK_MS)
            for coin in self.coins
        ]
        candles = [HistoryPoll(_carried(Channel.CANDLES, coin), intervals.history_s, lookback) for coin in self.coins]
        return funding + (candles if intervals.history_s > 0 else [])

    def parse(self, key: str, payload: str, ts_recv: int) -> list[Record]:
        kind = key.split(" ")[-1]
        if kind.startswith("ws"):
            return self._stamp(parse.parse_message(payload, ts_recv))  # pongs and answers yield nothing
        if kind == "meta":
            return [item for item in parse_rest.parse_meta(payload, ts_recv) if item.native_symbol in self.coins]
        raise ParseError(f"unknown Hyperliquid stream key {key!r}", file="recording")

    def _stamp(self, records: list[Record]) -> list[Record]:
        """Each coin's ``ts_event`` one past its previous one when the clock has not moved on (module doc)."""
        stamps: dict[str, int] = {}
        for record in records:
            if record.symbol not in stamps:
                stamps[record.symbol] = max(record.ts_event, self._stamps.get(record.symbol, record.ts_event - 1) + 1)
        self._stamps.update(stamps)
        return [
            record
            if record.ts_event == stamps[record.symbol]
            else msgspec.structs.replace(record, ts_event=stamps[record.symbol])
            for record in records
        ]

    def can_backfill(self, channel: Channel) -> bool:
        return channel in BACKFILLED

    def backfill(self, channel: Channel, symbol: str, since: int, until: int) -> AsyncIterator[list[Record]]:
        coin = _coin(symbol)
        if channel is Channel.FUNDING_SETTLED:
            return paging.forward(lambda start, end: self._funding_page(coin, start, end), since, until)
        if channel is Channel.CANDLES:
            # Only the latest CANDLES_AVAILABLE bars are kept: asking from further back returns from there on.
            return paging.forward(lambda start, end: self._candle_page(coin, start, end), since, until)
        raise ValueError(f"Hyperliquid has no REST history for {channel}")

    async def _candle_page(self, coin: str, start: int, end: int) -> list[Record]:
        body = endpoints.candle_snapshot_request(coin, CANDLE_INTERVAL, start, end)
        rows = min((end - start) // MINUTE_MS + 1, endpoints.CANDLES_AVAILABLE)
        payload = await self.http.post(endpoints.INFO.path, body, weight=INFO_WEIGHT + rows // 60)  # +1 per 60 rows
        now = _now_ms()
        return paging.closed_bars(list(parse_rest.parse_candle_snapshot(payload, now)), MINUTE_MS, now)

    async def _funding_page(self, coin: str, start: int, end: int) -> list[Record]:
        body = endpoints.funding_history_request(coin, start, end)
        payload = await self.http.post(endpoints.INFO.path, body, weight=INFO_WEIGHT)
        return list(parse.parse_funding_history(payload, _now_ms()))


def _carried(channel: Channel, coin: str) -> Carried:
    return Carried(channel, symbols.to_canonical(coin), coin)


def _coin(symbol: str) -> str:
    """``BTC`` stays; ``BTC-USD-PERP`` -> ``BTC``."""
    return symbols.to_native(symbol) if "-" in symbol else symbol.upper()


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def connector(
    settings: ConnectorSettings, http: HttpSettings = DEFAULT_HTTP, transport: httpx.AsyncBaseTransport | None = None
) -> HyperliquidConnector:
    return HyperliquidConnector(settings, http, transport)
