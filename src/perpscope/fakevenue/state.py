"""What a fake venue remembers of its market: REST history and the latest values, per base."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypeVar

from perpscope.fakevenue.market import (
    CandleEvent,
    Event,
    FundingSettlement,
    LiquidationEvent,
    MarkEvent,
    OpenInterestEvent,
    RatioEvent,
    TakerEvent,
)
from perpscope.models import MarginBracket


@dataclass
class MarketState:
    funding: dict[str, list[FundingSettlement]] = field(default_factory=lambda: defaultdict(list))
    open_interest: dict[str, list[OpenInterestEvent]] = field(default_factory=lambda: defaultdict(list))
    marks: dict[str, MarkEvent] = field(default_factory=dict)
    liquidations: dict[str, list[LiquidationEvent]] = field(default_factory=lambda: defaultdict(list))
    candles: dict[str, list[CandleEvent]] = field(default_factory=lambda: defaultdict(list))
    ratios: dict[str, list[RatioEvent]] = field(default_factory=lambda: defaultdict(list))
    takers: dict[str, list[TakerEvent]] = field(default_factory=lambda: defaultdict(list))
    tiers: dict[str, tuple[MarginBracket, ...]] = field(default_factory=dict)  # base -> the latest published

    def apply(self, event: Event) -> None:
        if isinstance(event, FundingSettlement):
            self.funding[event.base].append(event)
        elif isinstance(event, OpenInterestEvent):
            self.open_interest[event.base].append(event)
        elif isinstance(event, MarkEvent):
            self.marks[event.base] = event
        elif isinstance(event, LiquidationEvent):
            self.liquidations[event.base].append(event)
        elif isinstance(event, CandleEvent):
            self.candles[event.base].append(event)
        elif isinstance(event, RatioEvent):
            self.ratios[event.base].append(event)
        elif isinstance(event, TakerEvent):
            self.takers[event.base].append(event)
        else:
            self.tiers[event.base] = event.brackets


Row = TypeVar("Row", FundingSettlement, OpenInterestEvent, CandleEvent, RatioEvent, TakerEvent)


def window(rows: list[Row], start: int | None, end: int | None, limit: int, *, newest_first: bool = False) -> list[Row]:
    """Rows with ``start <= ts <= end``, as venues page history. Oldest first: the first ``limit`` from ``start``
    when it is given, else the last ``limit`` up to ``end``. Newest first: the last ``limit`` up to ``end``."""
    chosen = [row for row in rows if (start is None or row.ts >= start) and (end is None or row.ts <= end)]
    if newest_first:
        return list(reversed(chosen[-limit:]))
    return chosen[:limit] if start is not None else chosen[-limit:]
