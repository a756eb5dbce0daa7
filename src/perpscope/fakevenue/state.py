"""What a fake venue remembers of its market: REST history and the latest values, per base."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
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
    mark_bars: dict[str, list[CandleEvent]] = field(default_factory=lambda: defaultdict(list))  # 1-minute, of marks

    def apply(self, event: Event) -> None:
        if isinstance(event, FundingSettlement):
            self.funding[event.base].append(event)
        elif isinstance(event, OpenInterestEvent):
            self.open_interest[event.base].append(event)
        elif isinstance(event, MarkEvent):
            self.marks[event.base] = event
            self._add_mark(event)
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

    def _add_mark(self, event: MarkEvent) -> None:
        """The mark's 1-minute bar: what a venue's mark-price klines serve (no volume)."""
        bars = self.mark_bars[event.base]
        minute = event.ts // MINUTE_MS * MINUTE_MS
        if bars and bars[-1].ts == minute:
            last = bars[-1]
            bars[-1] = replace(last, high=max(last.high, event.mark), low=min(last.low, event.mark), close=event.mark)
        else:
            bars.append(CandleEvent(event.base, minute, event.mark, event.mark, event.mark, event.mark, 0.0, 0.0))


MINUTE_MS = 60_000
Row = TypeVar("Row", FundingSettlement, OpenInterestEvent, CandleEvent, RatioEvent, TakerEvent)


def window(rows: list[Row], start: int | None, end: int | None, limit: int, *, newest_first: bool = False) -> list[Row]:
    """Rows with ``start <= ts <= end``, as venues page history. Oldest first: the first ``limit`` from ``start``
    when it is given, else the last ``limit`` up to ``end``. Newest first: the last ``limit`` up to ``end``."""
    chosen = [row for row in rows if (start is None or row.ts >= start) and (end is None or row.ts <= end)]
    if newest_first:
        return list(reversed(chosen[-limit:]))
    return chosen[:limit] if start is not None else chosen[-limit:]
