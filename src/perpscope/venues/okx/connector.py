"""OKX v5 swaps for the collector: the instruments list first (contract values turn contract sizes into coins),
then one public websocket with mark price, index, funding and open-interest channels per swap and one
``liquidation-orders`` subscription for all swaps; REST polls for settled funding and, hourly, the position tiers
(stored as the instruments' margin brackets, in base units); 1-minute candles and the rubik statistics (account
long/short ratio, taker volume: 5-minute REST history only) followed page by page; REST history (newest first,
timestamp cursors) for backfill of settled funding, open interest, candles and the statistics."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import msgspec

from perpscope.collect import paging
from perpscope.collect.connector import Carried, ConnectorSettings, HistoryPoll, PollPlan, StreamPlan, venue_client
from perpscope.collect.http import DEFAULT_HTTP, HttpSettings
from perpscope.collect.session import StreamSpec
from perpscope.errors import ParseError
from perpscope.models import Instrument, MarginBracket, Record
from perpscope.venues.capabilities import Channel
from perpscope.venues.okx import VENUE, endpoints, parse, parse_rest, symbols
from perpscope.venues.okx.capabilities import CAPABILITIES

STREAMED = (Channel.LIQUIDATIONS, Channel.MARK, Channel.INDEX, Channel.FUNDING_PREDICTED, Channel.OPEN_INTEREST)
BACKFILLED = frozenset(
    {Channel.FUNDING_SETTLED, Channel.OPEN_INTEREST, Channel.CANDLES, Channel.LONG_SHORT, Channel.TAKER}
)
FOLLOWED = (Channel.CANDLES, Channel.LONG_SHORT, Channel.TAKER)  # kept current by paging their REST history
PER_SWAP = (endpoints.FUNDING_RATE_CHANNEL, endpoints.OPEN_INTEREST_CHANNEL, endpoints.MARK_PRICE_CHANNEL)
ARGS_PER_REQUEST = 20  # keeps each subscribe request short; OKX caps the request size, not the count
HEARTBEAT = "ping"  # OKX closes a connection silent for 30 s; it answers "pong"
OI_HISTORY_PERIOD = "5m"
STATISTICS_PERIOD = "5m"  # long/short ratio and taker volume
CANDLE_BAR = "1m"
TAKER_UNIT_COIN = "0"  # taker volume in coins (base units): no contract conversion
FAMILIES_PER_REQUEST = 5  # position-tiers takes at most 5 instrument families
REFERENCE_REFRESH_S = 3_600.0
DAY_MS = 86_400_000
Page = Callable[[str, int, int], Awaitable[list[Record]]]


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
        self.instruments: dict[str, Instrument] = {}  # instId -> as listed, without brackets
        self.brackets: dict[str, tuple[MarginBracket, ...]] = {}  # instId -> position tiers in base units

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
        return [instruments, *funding, *self._tier_polls()]

    def _tier_polls(self) -> list[PollPlan]:
        """Hourly, after the instruments list (contract values convert the tiers' contracts into coins)."""
        families = sorted({_index_id(native) for native in self.natives})
        return [
            PollPlan(
                f"{VENUE} tiers {number}",
                endpoints.POSITION_TIERS.path,
                (
                    ("instType", endpoints.INST_TYPE),
                    ("tdMode", endpoints.TIERS_MARGIN_MODE),
                    ("instFamily", ",".join(families[start : start + FAMILIES_PER_REQUEST])),
                ),
                REFERENCE_REFRESH_S,
                (),
            )
            for number, start in enumerate(range(0, len(families), FAMILIES_PER_REQUEST))
        ]

    def history_polls(self) -> list[HistoryPoll]:
        intervals = self.settings.intervals
        if intervals.history_s <= 0:
            return []
        lookback = round(intervals.history_lookback_s * 1000)
        return [
            HistoryPoll(_carried(channel, native), intervals.history_s, lookback)
            for native in self.natives
            for channel in FOLLOWED
        ]

    def parse(self, key: str, payload: str, ts_recv: int) -> list[Record]:
        kind = key.split(" ")[1] if " " in key else ""
        if kind.startswith("ws"):
            return [] if payload == "pong" else parse.parse_message(payload, ts_recv, self.contract_values)
        if kind == "instruments":
            return self._take_instruments(parse_rest.parse_instruments(payload, ts_recv))
        if kind == "tiers":
            return self._take_tiers(parse_rest.parse_position_tiers(payload, self.contract_values), ts_recv)
        if kind == "funding":
            return list(parse.parse_funding_history(payload, ts_recv))
        raise ParseError(f"unknown OKX stream key {key!r}", file="recording")

    def _take_instruments(self, instruments: list[Instrument]) -> list[Record]:
        """The followed swaps' instruments, keeping the tiers already known: the store keeps one row per
        instrument, the latest (the others' contract values are kept for liquidations of every swap)."""
        self.contract_values.update(parse_rest.contract_values(instruments))
        self.instruments.update((instrument.native_symbol, instrument) for instrument in instruments)
        followed = set(self.natives)
        return [
            _with_brackets(instrument, self.brackets.get(instrument.native_symbol, ()))
            for instrument in instruments
            if instrument.native_symbol in followed
        ]

    def _take_tiers(self, brackets: dict[str, tuple[MarginBracket, ...]], ts_recv: int) -> list[Record]:
        """The tiered swaps' instruments again, with their brackets, as of this answer."""
        self.brackets.update(brackets)
        source = f"{parse.rest_source(endpoints.INSTRUMENTS.path)}, {endpoints.POSITION_TIERS.path}"
        return [
            msgspec.structs.replace(
                _with_brackets(self.instruments[inst_id], tiers), ts_event=ts_recv, ts_recv=ts_recv, source=source
            )
            for inst_id, tiers in brackets.items()
            if inst_id in self.instruments
        ]

    def can_backfill(self, channel: Channel) -> bool:
        return channel in BACKFILLED

    def backfill(self, channel: Channel, symbol: str, since: int, until: int) -> AsyncIterator[list[Record]]:
        native = _native(symbol)
        pages: dict[Channel, Page] = {
            Channel.FUNDING_SETTLED: self._funding_page,
            Channel.OPEN_INTEREST: self._open_interest_page,
            Channel.CANDLES: self._candle_page,
            Channel.LONG_SHORT: self._long_short_page,
            Channel.TAKER: self._taker_page,
        }
        if channel not in pages:
            raise ValueError(f"OKX has no REST history for {channel}")
        fetch = pages[channel]
        depth = CAPABILITIES.history_days(channel)
        if depth is not None and depth != float("inf"):
            since = max(since, _now_ms() - round(depth * DAY_MS) + 60_000)  # rows beyond the depth are not kept
        return paging.backward(lambda start, end: fetch(native, start, end), since, until)

    async def _funding_page(self, native: str, start: int, end: int) -> list[Record]:
        """Cursors are exclusive: ``after`` asks for rows older than it, ``before`` for rows newer."""
        endpoint = endpoints.FUNDING_RATE_HISTORY
        limit = endpoint.page_limit or 100
        params: dict[str, str | int] = {"instId": native, "after": end + 1, "before": start - 1, "limit": limit}
        payload = await self.http.get(endpoint.path, params, weight=endpoint.weight)
        return list(parse.parse_funding_history(payload, _now_ms()))

    async def _candle_page(self, native: str, start: int, end: int) -> list[Record]:
        """Closed bars only: the forming one is taken on a later round, once closed."""
        endpoint = endpoints.HISTORY_CANDLES
        limit = endpoint.page_limit or 100
        params: dict[str, str | int] = {"instId": native, "bar": CANDLE_BAR, "after": end + 1, "before": start - 1}
        payload = await self.http.get(endpoint.path, params | {"limit": limit}, weight=endpoint.weight)
        return list(parse_rest.parse_candles(payload, _now_ms(), inst_id=native, bar=CANDLE_BAR))

    async def _rubik(self, path: str, native: str, start: int, end: int, **extra: str) -> bytes:
        """``begin`` and ``end`` are exclusive: widened by 1 ms to include rows at ``start`` and ``end``."""
        limit = endpoints.RUBIK_OPEN_INTEREST.page_limit or 100
        params: dict[str, str | int] = {"instId": native, "begin": start - 1, "end": end + 1, "limit": limit}
        return await self.http.get(path, params | extra, weight=endpoints.RUBIK_OPEN_INTEREST.weight)

    async def _open_interest_page(self, native: str, start: int, end: int) -> list[Record]:
        path = endpoints.RUBIK_OPEN_INTEREST.path
        payload = await self._rubik(path, native, start, end, period=OI_HISTORY_PERIOD)
        return list(parse_rest.parse_open_interest_history(payload, _now_ms(), inst_id=native))

    async def _long_short_page(self, native: str, start: int, end: int) -> list[Record]:
        payload = await self._rubik(endpoints.RUBIK_LONG_SHORT.path, native, start, end, period=STATISTICS_PERIOD)
        return list(parse_rest.parse_long_short_ratio(payload, _now_ms(), inst_id=native, period=STATISTICS_PERIOD))

    async def _taker_page(self, native: str, start: int, end: int) -> list[Record]:
        path = endpoints.RUBIK_TAKER.path
        payload = await self._rubik(path, native, start, end, period=STATISTICS_PERIOD, unit=TAKER_UNIT_COIN)
        return list(
            parse_rest.parse_taker_volume(
                payload, _now_ms(), inst_id=native, period=STATISTICS_PERIOD, contract_value=1.0
            )
        )


def _with_brackets(instrument: Instrument, brackets: tuple[MarginBracket, ...]) -> Instrument:
    return msgspec.structs.replace(instrument, margin_brackets=brackets) if brackets else instrument


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
