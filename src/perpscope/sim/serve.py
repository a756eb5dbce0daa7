"""Serving a simulated market on loopback, in the venues' own wire formats, for the real collector to collect.

One fake venue per simulated venue (Binance, Bybit and OKX dialects), each on its own port and thread, fed step by
step from the market: the mark, index and predicted funding of a minute become one ``MarkEvent``; a settlement a
``FundingSettlement``; open interest, liquidations, 1-minute candles, the long/short account ratio and taker
volume their own events. Each dialect renders what its venue publishes (websocket frames, REST history).

Time: the served market ends at the present. :func:`start_for` places the simulated start so that, fast-forwarded
at ``speed``, the simulated clock reaches the wall clock when the fast-forward ends; after that the market goes on
at real time (speed 1). Every time a venue serves is therefore in the past, so the collector, REST history and the
views' default windows ("the last 24 h") work unchanged. Record values are the simulator's; only the clock moves.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from perpscope.collect.profiles import SIM_PORT
from perpscope.fakevenue.background import BackgroundVenue
from perpscope.fakevenue.binance import BinanceDialect
from perpscope.fakevenue.bybit import BybitDialect
from perpscope.fakevenue.dialect import Dialect
from perpscope.fakevenue.market import (
    CandleEvent,
    Event,
    FundingSettlement,
    LiquidationEvent,
    MarginTiersEvent,
    MarkEvent,
    OpenInterestEvent,
    RatioEvent,
    TakerEvent,
)
from perpscope.fakevenue.okx import OkxDialect
from perpscope.models import (
    Candle,
    FundingKind,
    FundingRate,
    Liquidation,
    LongShortRatio,
    OpenInterest,
    Price,
    PriceKind,
    Record,
    TakerVolume,
)
from perpscope.sim.market import Market, RunConfig, StepResult
from perpscope.sim.run import paced
from perpscope.sim.venues import BASE

DIALECTS: dict[str, Callable[[], Dialect]] = {"binance": BinanceDialect, "bybit": BybitDialect, "okx": OkxDialect}
DEFAULT_PORT = SIM_PORT  # binance; bybit and okx take the next ports (the ``sim`` collect profile's URLs)
MINUTE_MS = 60_000
DAY_S = 86_400


def start_for(now_ms: int, days: float, speed: float, warm_up_s: float) -> int:
    """The simulated start (ms, on a minute) from which ``days`` fast-forwarded at ``speed`` end at the wall clock:
    the warm-up is unpaced, the rest takes ``(days - warm-up) / speed`` of wall time."""
    wall_ms = (days * DAY_S - warm_up_s) / speed * 1000
    start = now_ms + wall_ms - days * DAY_S * 1000
    return math.floor(start / MINUTE_MS) * MINUTE_MS


def venue_ports(port: int, venues: Sequence[str]) -> dict[str, int]:
    """Consecutive ports from ``port`` in the venues' order; 0 lets each venue take any free port."""
    return {venue: (port + number if port else 0) for number, venue in enumerate(venues)}


def _base(symbol: str) -> str:
    return symbol.split("-")[0]


def events_of(records: Sequence[Record]) -> list[tuple[str, Event]]:
    """The fake-venue events of one step's records, as (venue, event), in the records' order. A minute's mark,
    index and predicted funding (made together) become one ``MarkEvent``."""
    events: list[tuple[str, Event]] = []
    marks: dict[tuple[str, int], dict[str, Record]] = {}
    for record in records:
        base, ts = _base(record.symbol), record.ts_event
        if isinstance(record, Price) or (isinstance(record, FundingRate) and record.kind is FundingKind.PREDICTED):
            part = record.kind.value if isinstance(record, Price) else "predicted"
            parts = marks.setdefault((record.venue, ts), {})
            parts[part] = record
            if len(parts) == 3:
                events.append((record.venue, _mark(base, ts, parts)))
            continue
        event = _event(record, base, ts)
        if event is not None:
            events.append((record.venue, event))
    return events


def _mark(base: str, ts: int, parts: dict[str, Record]) -> MarkEvent:
    mark, index, predicted = parts[PriceKind.MARK.value], parts[PriceKind.INDEX.value], parts["predicted"]
    assert isinstance(mark, Price) and isinstance(index, Price) and isinstance(predicted, FundingRate)
    return MarkEvent(base, ts, mark.price, index.price, predicted.rate, predicted.funding_time or ts)


def _event(record: Record, base: str, ts: int) -> Event | None:
    if isinstance(record, Liquidation):
        return LiquidationEvent(base, ts, record.side, record.price, record.quantity)
    if isinstance(record, FundingRate):
        return FundingSettlement(base, record.funding_time or ts, record.rate)
    if isinstance(record, OpenInterest):
        return OpenInterestEvent(base, ts, record.oi_base or 0.0, record.conversion_price or 0.0)
    if isinstance(record, Candle):
        return CandleEvent(
            base,
            ts,
            record.open,
            record.high,
            record.low,
            record.close,
            record.volume or 0.0,
            record.quote_volume or 0.0,
        )
    if isinstance(record, LongShortRatio):
        return RatioEvent(base, ts, record.period, record.long_share, record.short_share)
    if isinstance(record, TakerVolume):
        return TakerEvent(base, ts, record.period, record.buy_volume, record.sell_volume)
    return None


@dataclass
class Served:
    """What has been served so far."""

    steps: int = 0
    events: int = 0
    liquidations: int = 0
    records: list[Record] = field(default_factory=list)  # the simulator's own records, when kept


class SimServer:
    """The market's venues on loopback. Use as a context manager; :meth:`serve` steps and publishes."""

    def __init__(self, config: RunConfig, *, port: int = 0, keep_records: bool = False):
        self.market = Market(config)
        names = [spec.name for spec in config.venues]
        unknown = [name for name in names if name not in DIALECTS]
        if unknown:
            raise ValueError(f"no fake venue speaks for simulated venue(s) {unknown} (known: {sorted(DIALECTS)})")
        ports = venue_ports(port, names)
        self.venues = {name: BackgroundVenue(DIALECTS[name](), port=ports[name]) for name in names}
        self.keep_records = keep_records
        self.served = Served()

    def __enter__(self) -> SimServer:
        started: list[BackgroundVenue] = []
        try:
            for venue in self.venues.values():
                venue.__enter__()
                started.append(venue)
                venue.venue.clock = self._clock
            self._publish_tiers()
        except BaseException:
            for venue in started:
                venue.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for venue in self.venues.values():
            venue.__exit__(kind, error, trace)

    def _publish_tiers(self) -> None:
        """Each venue's margin table, as its tier endpoint serves it: the collector stores the brackets the
        simulator liquidates with, as it would store a real venue's."""
        for spec in self.market.config.venues:
            event = MarginTiersEvent(BASE, self.market.ts, spec.table.brackets)
            self.venues[spec.name].publish_all([event])

    def _clock(self) -> int:
        return self.market.ts  # the venues' server time is the simulated time

    def urls(self) -> dict[str, tuple[str, str]]:
        """Venue -> (REST base URL, websocket base URL)."""
        return {name: (venue.venue.rest_url, venue.venue.websocket_url) for name, venue in self.venues.items()}

    def warm_up(self, seconds: float) -> None:
        """Step ``seconds`` of simulated time unpaced and publish it, so the venues have history and current
        values (open interest, marks) before any client asks."""
        for _ in range(round(seconds / self.market.config.step_s)):
            self.publish(self.market.step())

    def wait_for_clients(self, stop: threading.Event, all_within_s: float = 3.0, settle_s: float = 0.5) -> list[str]:
        """Block until a websocket client connects to any venue, then up to ``all_within_s`` for the others (a
        collector opens them together) and ``settle_s`` for subscriptions: what is streamed before a client
        listens is lost to it. Returns the venues with a client."""
        while not stop.is_set() and not self._connected():
            stop.wait(0.05)
        deadline = time.monotonic() + all_within_s
        while not stop.is_set() and len(self._connected()) < len(self.venues) and time.monotonic() < deadline:
            stop.wait(0.05)
        stop.wait(settle_s)
        return self._connected()

    def _connected(self) -> list[str]:
        return [name for name, venue in self.venues.items() if venue.venue.connections]

    def serve(
        self,
        speed: float,
        steps: int | None = None,
        stop: threading.Event | None = None,
        hourly: Callable[[Market], None] | None = None,
    ) -> int:
        """Step and publish on the wall clock at ``speed``; ``steps`` of them (None: until ``stop``), calling
        ``hourly`` every simulated hour. Returns the steps served."""
        served = 0
        steps_per_hour = max(round(3600 / self.market.config.step_s), 1)
        for result in paced(self.market, speed, steps):
            self.publish(result)
            served += 1
            if hourly is not None and self.market.step_number % steps_per_hour == 0:
                hourly(self.market)
            if stop is not None and stop.is_set():
                break
        return served

    def publish(self, result: StepResult) -> None:
        self.served.steps += 1
        self.served.liquidations += len(result.liquidations)
        if self.keep_records:
            self.served.records.extend(result.records)
        by_venue: dict[str, list[Event]] = {}
        for venue, event in events_of(result.records):
            by_venue.setdefault(venue, []).append(event)
        for venue, events in by_venue.items():
            self.venues[venue].publish_all(events)
            self.served.events += len(events)
