"""Binance USDⓈ-M for the collector: combined-stream websockets for liquidations, mark prices and closed 1-minute
candles; REST polls for open interest and settled funding; the long/short account ratio and taker volume (kept by
Binance only as 5-minute REST history) and the mark price's 1-minute bars (``markPriceKlines``: liquidations trigger on
the mark) followed page by page; REST history for backfill (funding, candles and mark candles since listing, open
interest and the statistics 30 days).

Liquidations come from one ``<symbol>@forceOrder`` stream per symbol, or from the all-market ``!forceOrder@arr``
stream on a connection of its own, filtered to the asked symbols: chosen with ``all_liquidations``, by default
from ``ALL_LIQUIDATIONS_FROM`` symbols on. Both are throttled alike by Binance (the latest liquidation per symbol per
1000 ms, METHOD.md), so neither is more complete. The all-market stream costs one stream instead of one per symbol
(fewer connections for long symbol lists) but carries every symbol's liquidations, most of them dropped here, and
one reconnect interrupts the liquidations of every symbol at once.

Margin brackets (``/fapi/v1/leverageBracket``) need an API key: with ``credentials`` the connector signs that one
request and stores the asked symbols' instruments (exchangeInfo, funding intervals from fundingInfo) with the
key's account brackets, refreshed hourly; without, no instruments are stored and the heatmap uses METHOD.md's
BTCUSDT table. A refused key stops the venue at start with Binance's message, like a wrong URL."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec

from perpscope.collect import paging
from perpscope.collect.connector import Carried, ConnectorSettings, HistoryPoll, PollPlan, StreamPlan, venue_client
from perpscope.collect.http import DEFAULT_HTTP, HttpSettings
from perpscope.collect.session import StreamSpec
from perpscope.config import CollectSettings
from perpscope.errors import InputError, ParseError
from perpscope.models import CandleKind, Instrument, MarginBracket, RatioKind, Record
from perpscope.venues.binance import VENUE, endpoints, instruments, parse, parse_rest, symbols
from perpscope.venues.binance.capabilities import CAPABILITIES
from perpscope.venues.binance.signing import ApiKey, SigningTransport
from perpscope.venues.capabilities import Channel

STREAMED = (Channel.LIQUIDATIONS, Channel.MARK, Channel.INDEX, Channel.FUNDING_PREDICTED, Channel.CANDLES)
BACKFILLED = frozenset(
    {
        Channel.FUNDING_SETTLED,
        Channel.OPEN_INTEREST,
        Channel.CANDLES,
        Channel.MARK_CANDLES,
        Channel.LONG_SHORT,
        Channel.TAKER,
    }
)
HISTORY_FOLLOWED = (Channel.LONG_SHORT, Channel.TAKER, Channel.MARK_CANDLES)  # kept by Binance as REST history
STREAMS_PER_SYMBOL = 3
# From this many symbols on, one all-market liquidation stream replaces one stream per symbol: at about a fifth of
# Binance's few hundred perpetuals most of the all-market stream is wanted, and a stream per symbol is saved.
ALL_LIQUIDATIONS_FROM = 100
LIQUIDATIONS_KEY = f"{VENUE} ws-liquidations"
OI_HISTORY_PERIOD = "5m"
STATISTICS_PERIOD = "5m"  # long/short ratio and taker volume
CANDLE_INTERVAL = "1m"
MINUTE_MS = 60_000
DAY_MS = 86_400_000
REFERENCE_REFRESH_S = 3_600.0
BRACKETS_SOURCE = f"binance rest {endpoints.EXCHANGE_INFO.path}, {endpoints.LEVERAGE_BRACKET.path}"


class BinanceConnector:
    venue = VENUE
    capabilities = CAPABILITIES

    def __init__(
        self,
        settings: ConnectorSettings,
        http: HttpSettings = DEFAULT_HTTP,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        all_liquidations: bool | None = None,
        credentials: ApiKey | None = None,
    ):
        self.settings = settings
        self.natives = tuple(_native(symbol) for symbol in settings.symbols)
        self.wanted = frozenset(self.natives)
        self.credentials = credentials
        signing = SigningTransport(credentials, transport) if credentials is not None else transport
        self.urls, self.http = venue_client(endpoints.URLS, CAPABILITIES, settings, http, signing)
        self.funding_intervals: dict[str, float] = {}  # native -> hours, for symbols Binance adjusted
        self.instruments: dict[str, Instrument] = {}  # asked natives, as exchangeInfo lists them
        self.brackets: dict[str, tuple[MarginBracket, ...]] = {}  # asked natives -> the key's account brackets
        chosen = len(self.natives) >= ALL_LIQUIDATIONS_FROM if all_liquidations is None else all_liquidations
        self.all_liquidations = chosen and bool(self.natives)

    def streams(self) -> list[StreamPlan]:
        per_symbol = STREAMS_PER_SYMBOL - 1 if self.all_liquidations else STREAMS_PER_SYMBOL
        per_socket = (CAPABILITIES.symbols_per_socket or 200) // per_symbol
        streamed = tuple(c for c in STREAMED if not (self.all_liquidations and c is Channel.LIQUIDATIONS))
        plans = []
        for number, start in enumerate(range(0, len(self.natives), per_socket)):
            chunk = self.natives[start : start + per_socket]
            names = [name for native in chunk for name in self._stream_names(native)]
            url = self.urls.websocket.rstrip("/") + endpoints.combined_stream_path(names)
            carries = tuple(_carried(channel, native) for native in chunk for channel in streamed)
            plans.append(StreamPlan(StreamSpec(f"{VENUE} ws{number}", url), carries))
        return [*plans, self._all_liquidations_plan()] if self.all_liquidations else plans

    def _all_liquidations_plan(self) -> StreamPlan:
        """``!forceOrder@arr`` on a connection of its own: its reconnects cost liquidations only."""
        path = endpoints.combined_stream_path([endpoints.ALL_LIQUIDATIONS_STREAM])
        carries = tuple(_carried(Channel.LIQUIDATIONS, native) for native in self.natives)
        return StreamPlan(StreamSpec(LIQUIDATIONS_KEY, self.urls.websocket.rstrip("/") + path), carries)

    def _stream_names(self, native: str) -> list[str]:
        names = [
            endpoints.mark_price_stream(native),
            endpoints.kline_stream(native, CANDLE_INTERVAL),
        ]
        return names if self.all_liquidations else [endpoints.liquidation_stream(native), *names]

    def polls(self) -> list[PollPlan]:
        intervals = self.settings.intervals
        plans = self._reference_polls()
        for native in self.natives:
            if intervals.open_interest_s <= 0:
                plans.append(self._funding_poll(native))
                continue
            plans.append(
                PollPlan(
                    f"{VENUE} open_interest {native}",
                    endpoints.OPEN_INTEREST.path,
                    (("symbol", native),),
                    intervals.open_interest_s,
                    (_carried(Channel.OPEN_INTEREST, native),),
                )
            )
            plans.append(self._funding_poll(native))
        return plans

    def _reference_polls(self) -> list[PollPlan]:
        """With an API key: funding intervals, the instruments, then their brackets; answered before the streams
        open and then hourly. Without one there is nothing to store them with."""
        if self.credentials is None or not self.natives:
            return []
        asked = (
            ("funding_info", endpoints.FUNDING_INFO.path),
            ("exchange_info", endpoints.EXCHANGE_INFO.path),
            ("brackets", endpoints.LEVERAGE_BRACKET.path),
        )
        return [PollPlan(f"{VENUE} {kind}", path, (), REFERENCE_REFRESH_S, (), first=True) for kind, path in asked]

    def _funding_poll(self, native: str) -> PollPlan:
        return PollPlan(
            f"{VENUE} funding {native}",
            endpoints.FUNDING_RATE.path,
            (("symbol", native), ("limit", "10")),
            self.settings.intervals.funding_s,
            (_carried(Channel.FUNDING_SETTLED, native),),
        )

    def history_polls(self) -> list[HistoryPoll]:
        intervals = self.settings.intervals
        lookback = round(intervals.history_lookback_s * 1000)
        followed = [(channel, intervals.history_s) for channel in HISTORY_FOLLOWED]
        if intervals.open_interest_history_s > 0:
            followed.append((Channel.OPEN_INTEREST, intervals.open_interest_history_s))
        return [
            HistoryPoll(_carried(channel, native), every, lookback)
            for native in self.natives
            for channel, every in followed
            if every > 0
        ]

    def parse(self, key: str, payload: str, ts_recv: int) -> list[Record]:
        kind = key.split(" ")[1] if " " in key else ""
        if key == LIQUIDATIONS_KEY:  # every symbol's liquidations: the asked ones are kept
            records = [] if _is_control(payload) else parse.parse_message(payload, ts_recv)
            return [record for record in records if record.native_symbol in self.wanted]
        if kind.startswith("ws"):
            return parse.parse_message(payload, ts_recv) if not _is_control(payload) else []
        if kind == "open_interest":
            return [parse_rest.parse_open_interest(payload, ts_recv)]
        if kind == "funding":
            return list(parse.parse_funding_history(payload, ts_recv))
        if kind in ("funding_info", "exchange_info", "brackets"):
            return self._take_reference(kind, payload, ts_recv)
        raise ParseError(f"unknown Binance stream key {key!r}", file="recording")

    def _take_reference(self, kind: str, payload: str, ts_recv: int) -> list[Record]:
        if kind == "funding_info":
            self.funding_intervals = instruments.parse_funding_info(payload)
            return []
        if kind == "exchange_info":
            listed = instruments.parse_exchange_info(
                payload, ts_recv, funding_intervals=self.funding_intervals, brackets=self.brackets
            )
            self.instruments = {item.native_symbol: item for item in listed if item.native_symbol in self.wanted}
            return list(self.instruments.values())
        brackets = instruments.parse_leverage_brackets(payload)
        self.brackets.update((native, tiers) for native, tiers in brackets.items() if native in self.wanted)
        return [
            msgspec.structs.replace(
                instrument,
                margin_brackets=self.brackets[native],
                ts_event=ts_recv,
                ts_recv=ts_recv,
                source=BRACKETS_SOURCE,
            )
            for native, instrument in self.instruments.items()
            if native in self.brackets
        ]

    def can_backfill(self, channel: Channel) -> bool:
        return channel in BACKFILLED

    def backfill(self, channel: Channel, symbol: str, since: int, until: int) -> AsyncIterator[list[Record]]:
        native = _native(symbol)
        if channel is Channel.FUNDING_SETTLED:
            return paging.forward(lambda start, end: self._funding_page(native, start, end), since, until)
        if channel in (Channel.CANDLES, Channel.MARK_CANDLES):
            kind = CandleKind.MARK if channel is Channel.MARK_CANDLES else CandleKind.LAST
            return paging.forward(lambda start, end: self._candle_page(native, start, end, kind), since, until)
        pages = {
            Channel.OPEN_INTEREST: self._open_interest_page,
            Channel.LONG_SHORT: self._long_short_page,
            Channel.TAKER: self._taker_page,
        }
        if channel not in pages:
            raise ValueError(f"Binance has no REST history for {channel}")
        fetch = pages[channel]
        depth = (CAPABILITIES.history_days(channel) or 0) * DAY_MS
        since = max(since, int(time.time() * 1000 - depth) + 60_000)  # older requests are refused
        return paging.forward(lambda start, end: fetch(native, start, end), since, until)

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

    async def _candle_page(self, native: str, start: int, end: int, kind: CandleKind) -> list[Record]:
        endpoint = endpoints.MARK_PRICE_KLINES if kind is CandleKind.MARK else endpoints.KLINES
        limit = endpoint.page_limit or 1500
        params: dict[str, str | int] = {
            "symbol": native,
            "interval": CANDLE_INTERVAL,
            "startTime": start,
            "endTime": end,
            "limit": limit,
        }
        payload = await self.http.get(endpoint.path, params, weight=endpoints.kline_weight(limit))
        now = _now_ms()
        bars = parse_rest.parse_klines(payload, now, native_symbol=native, interval=CANDLE_INTERVAL, kind=kind)
        return paging.closed_bars(list(bars), MINUTE_MS, now)

    async def _statistics(self, path: str, native: str, start: int, end: int) -> bytes:
        params: dict[str, str | int] = {
            "symbol": native,
            "period": STATISTICS_PERIOD,
            "startTime": start,
            "endTime": end,
            "limit": endpoints.GLOBAL_LONG_SHORT.page_limit or 500,
        }
        return await self.http.get(path, params, weight=endpoints.GLOBAL_LONG_SHORT.weight)

    async def _long_short_page(self, native: str, start: int, end: int) -> list[Record]:
        payload = await self._statistics(endpoints.GLOBAL_LONG_SHORT.path, native, start, end)
        return list(
            parse_rest.parse_long_short_ratio(payload, _now_ms(), kind=RatioKind.ACCOUNTS, period=STATISTICS_PERIOD)
        )

    async def _taker_page(self, native: str, start: int, end: int) -> list[Record]:
        payload = await self._statistics(endpoints.TAKER_RATIO.path, native, start, end)
        return list(parse_rest.parse_taker_ratio(payload, _now_ms(), native_symbol=native, period=STATISTICS_PERIOD))


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
    settings: ConnectorSettings,
    http: HttpSettings = DEFAULT_HTTP,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    all_liquidations: bool | None = None,
    credentials: ApiKey | None = None,
) -> BinanceConnector:
    return BinanceConnector(settings, http, transport, all_liquidations=all_liquidations, credentials=credentials)


LIQUIDATION_STREAMS = {"auto": None, "symbol": False, "all": True}


def options(collect: CollectSettings) -> dict[str, Any]:
    """The connector's options from the ``[collect.binance]`` settings: the API key (margin brackets) and the
    liquidation stream."""
    binance = collect.binance
    if binance.liquidation_stream not in LIQUIDATION_STREAMS:
        known = ", ".join(LIQUIDATION_STREAMS)
        raise InputError(
            f"setting collect.binance.liquidation_stream: {binance.liquidation_stream!r} is not one of {known}"
        )
    if bool(binance.api_key) != bool(binance.api_secret):
        raise InputError("settings collect.binance.api_key and api_secret: give both or neither")
    credentials = ApiKey(binance.api_key, binance.api_secret) if binance.api_key else None
    return {"all_liquidations": LIQUIDATION_STREAMS[binance.liquidation_stream], "credentials": credentials}
