"""The market a fake venue plays: small venue-neutral events that each dialect renders in its wire format.

Symbols are bases (``BTC``); prices in USD, quantities in base units, times in ms UTC. The simulator produces the
same events from a simulated market; tests script them with :func:`scripted`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from perpscope.models import MarginBracket, Side


@dataclass(frozen=True)
class LiquidationEvent:
    base: str
    ts: int
    side: Side  # the liquidated position's side
    price: float
    quantity: float


@dataclass(frozen=True)
class MarkEvent:
    base: str
    ts: int
    mark: float
    index: float
    funding_rate: float  # the venue's estimate for the next settlement, fraction per interval
    next_funding_time: int


@dataclass(frozen=True)
class FundingSettlement:
    base: str
    ts: int  # the settlement time
    rate: float


@dataclass(frozen=True)
class OpenInterestEvent:
    base: str
    ts: int
    oi_base: float
    price: float  # to value it in USD


@dataclass(frozen=True)
class CandleEvent:
    """A closed 1-minute bar of the last traded price; ``ts`` is its open time."""

    base: str
    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float  # base units
    quote_volume: float  # USD


@dataclass(frozen=True)
class RatioEvent:
    """Shares (0..1) of accounts net long and net short over the period starting at ``ts``."""

    base: str
    ts: int
    period: str  # e.g. "5m"
    long_share: float
    short_share: float


@dataclass(frozen=True)
class TakerEvent:
    """Taker buy and sell volume (base units) over the period starting at ``ts``."""

    base: str
    ts: int
    period: str
    buy_volume: float
    sell_volume: float


@dataclass(frozen=True)
class MarginTiersEvent:
    """The margin tiers (risk limits, position tiers) a venue publishes for ``base`` from ``ts`` on, in its own
    unit: USD notional, or base units for venues that tier by position size. Served by REST only."""

    base: str
    ts: int
    brackets: tuple[MarginBracket, ...]


Event = (
    LiquidationEvent
    | MarkEvent
    | FundingSettlement
    | OpenInterestEvent
    | CandleEvent
    | RatioEvent
    | TakerEvent
    | MarginTiersEvent
)


def scripted(bases: tuple[str, ...], count: int, start_ms: int, step_ms: int = 10) -> Iterator[Event]:
    """A deterministic event sequence: per step and base, a mark update; every 3rd step a liquidation, every 5th
    an open-interest print, every 7th a funding settlement. Values are distinct so every record has its own key."""
    for step in range(count):
        ts = start_ms + step * step_ms
        for number, base in enumerate(bases):
            price = 50_000.0 + 1_000 * number + step
            yield MarkEvent(base, ts, price, price - 5.0, 0.0001 + step * 1e-7, ts + 3_600_000)
            if step % 3 == 0:
                side = Side.LONG if step % 2 else Side.SHORT
                yield LiquidationEvent(base, ts, side, price, round(0.001 * (step + 1), 6))
            if step % 5 == 0:
                yield OpenInterestEvent(base, ts, 80_000.0 + step, price)
            if step % 7 == 0:
                yield FundingSettlement(base, ts, 0.0001 * (1 + step % 4))
