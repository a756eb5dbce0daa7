"""Bybit v5 linear perpetuals for the collector: one websocket with ``tickers`` (mark, index, predicted funding,
open interest) and ``allLiquidation`` topics; a REST poll for settled funding; each symbol's instrument with its
risk-limit tiers (``instruments-info`` + ``risk-limit``, asked per symbol, at start and hourly); 1-minute klines and
the account long/short ratio followed as REST history; REST history (newest first) for backfill of settled
funding, open interest, candles and the account ratio.

Reference data is asked per configured symbol: one answer holds every tier of that symbol, where the whole list
comes 15 symbols a page behind a cursor, so two requests per symbol an hour is the least a handful of symbols costs.
An instrument is emitted once both of its answers are known (the first round of both comes before any stream
opens), and again whenever either is refreshed; a symbol whose risk-limit answer lists no tier is stored with no
brackets (the heatmap then falls back to a shipped table)."""

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
from perpscope.models import Instrument, MarginBracket, Record
from perpscope.venues.bybit import VENUE, endpoints, parse, parse_rest, stream, symbols
from perpscope.venues.bybit.capabilities import CAPABILITIES
from perpscope.venues.bybit.tickers import TickerMerger
from perpscope.venues.capabilities import Channel

STREAMED = (Channel.LIQUIDATIONS, Channel.MARK, Channel.INDEX, Channel.FUNDING_PREDICTED, Channel.OPEN_INTEREST)
BACKFILLED = frozenset({Channel.FUNDING_SETTLED, Channel.OPEN_INTEREST, Channel.CANDLES, Channel.LONG_SHORT})
FOLLOWED = (Channel.CANDLES, Channel.LONG_SHORT)  # kept current by paging their REST history
TOPICS_PER_REQUEST = 10  # one subscribe request must stay under 21,000 characters
HEARTBEAT = endpoints.PING_MESSAGE.decode()
OI_HISTORY_INTERVAL = "5min"
CANDLE_INTERVAL = "1"  # minutes
MINUTE_MS = 60_000
RATIO_PERIOD = "5min"  # the venue's name of the period
RATIO_PERIOD_STORED = "5m"  # the canonical name stored with the ratio
REFERENCE_INTERVAL_S = 3_600.0  # instruments and risk-limit tiers change rarely


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
        self._listed: dict[str, Instrument] = {}  # native -> the latest instruments-info answer's instrument
        self._tiers: dict[str, tuple[tuple[MarginBracket, ...], int]] = {}  # native -> (tiers, received at)

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
        funding = [
            PollPlan(
                f"{VENUE} funding {native}",
                endpoints.FUNDING_HISTORY.path,
                (("category", endpoints.CATEGORY), ("symbol", native), ("limit", "10")),
                self.settings.intervals.funding_s,
                (_carried(Channel.FUNDING_SETTLED, native),),
            )
            for native in self.natives
        ]
        return [*self._reference_polls(), *funding]

    def _reference_polls(self) -> list[PollPlan]:
        """Risk limits, then the instrument, per symbol: answered before the streams open, then hourly."""
        return [
            PollPlan(f"{VENUE} {kind} {native}", path, _symbol(native), REFERENCE_INTERVAL_S, (), first=True)
            for native in self.natives
            for kind, path in (
                ("risk_limit", endpoints.RISK_LIMIT.path),
                ("instrument", endpoints.INSTRUMENTS_INFO.path),
            )
        ]

    def history_polls(self) -> list[HistoryPoll]:
        intervals = self.settings.intervals
        lookback = round(intervals.history_lookback_s * 1000)
        if intervals.history_s <= 0:
            return []
        return [
            HistoryPoll(_carried(channel, native), intervals.history_s, lookback)
            for native in self.natives
            for channel in FOLLOWED
        ]

    def parse(self, key: str, payload: str, ts_recv: int) -> list[Record]:
        parts = key.split(" ")
        kind = parts[1] if len(parts) > 1 else ""
        if kind.startswith("ws"):
            return stream.parse_message(payload, ts_recv, self.merger)
        if kind == "funding":
            return list(parse.parse_funding_history(payload, ts_recv))
        if kind == "instrument" and len(parts) == 3:
            return self._take_instrument(parts[2], payload, ts_recv)
        if kind == "risk_limit" and len(parts) == 3:
            return self._take_tiers(parts[2], payload, ts_recv)
        raise ParseError(f"unknown Bybit stream key {key!r}", file="recording")

    def _take_instrument(self, native: str, payload: str, ts_recv: int) -> list[Record]:
        listed = [item for item in parse_rest.parse_instruments_info(payload, ts_recv) if item.native_symbol == native]
        if not listed:
            return []  # not listed, or not trading: nothing to store
        self._listed[native] = listed[0]
        return self._combined(native)

    def _take_tiers(self, native: str, payload: str, ts_recv: int) -> list[Record]:
        tiers = parse_rest.parse_risk_limits(payload).get(native, ())
        known = self._tiers.get(native)
        if not tiers and known is not None and known[0]:
            return []  # an answer without the symbol's tiers keeps those already stored
        self._tiers[native] = (tiers, ts_recv)
        return self._combined(native)

    def _combined(self, native: str) -> list[Record]:
        """The instrument with its tiers once both answers are known; stamped with the later answer's times."""
        listed, known = self._listed.get(native), self._tiers.get(native)
        if listed is None or known is None:
            return []
        tiers, received = known
        stamp = max(listed.ts_event, received)
        return [
            msgspec.structs.replace(
                listed, margin_brackets=tiers, ts_event=stamp, ts_recv=max(listed.ts_recv, received)
            )
        ]

    def can_backfill(self, channel: Channel) -> bool:
        return channel in BACKFILLED

    def backfill(self, channel: Channel, symbol: str, since: int, until: int) -> AsyncIterator[list[Record]]:
        native = _native(symbol)
        pages = {
            Channel.FUNDING_SETTLED: self._funding_page,
            Channel.OPEN_INTEREST: self._open_interest_page,
            Channel.CANDLES: self._candle_page,
            Channel.LONG_SHORT: self._ratio_page,
        }
        if channel not in pages:
            raise ValueError(f"Bybit has no REST history for {channel}")
        fetch = pages[channel]
        return paging.backward(lambda start, end: fetch(native, start, end), since, until)

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

    async def _candle_page(self, native: str, start: int, end: int) -> list[Record]:
        """Closed 1-minute bars of the last traded price; the bar still forming is left out."""
        endpoint = endpoints.KLINE
        params: dict[str, str | int] = {
            "category": endpoints.CATEGORY,
            "symbol": native,
            "interval": CANDLE_INTERVAL,
            "start": start,
            "end": end,
            "limit": endpoint.page_limit or 1000,
        }
        payload = await self.http.get(endpoint.path, params, weight=endpoint.weight)
        now = _now_ms()
        return paging.closed_bars(list(parse_rest.parse_klines(payload, now, interval=CANDLE_INTERVAL)), MINUTE_MS, now)

    async def _ratio_page(self, native: str, start: int, end: int) -> list[Record]:
        endpoint = endpoints.ACCOUNT_RATIO
        params = {**_range(native, start, end, endpoint.page_limit or 500), "period": RATIO_PERIOD}
        payload = await self.http.get(endpoint.path, params, weight=endpoint.weight)
        return list(parse_rest.parse_account_ratio(payload, _now_ms(), period=RATIO_PERIOD_STORED))


def _range(native: str, start: int, end: int, limit: int) -> dict[str, str | int]:
    return {"category": endpoints.CATEGORY, "symbol": native, "startTime": start, "endTime": end, "limit": limit}


def _symbol(native: str) -> tuple[tuple[str, str], ...]:
    return (("category", endpoints.CATEGORY), ("symbol", native))


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
