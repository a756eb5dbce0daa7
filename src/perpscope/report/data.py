"""The typed content of a market report: every figure the text, tables and charts show, with its unit and source.

:func:`perpscope.report.build.gather` fills a :class:`ReportData`; narrative, charts and render only read it, so
each figure is computed once. Conventions as in :mod:`perpscope.models`: times are int milliseconds UTC, money is
USD, funding rates are fractions (``rate_8h`` per 8 hours). ``sources`` hold the stored rows' ``source`` strings;
``simulated`` is true when any of them starts with ``sim`` (the simulator's rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from perpscope.models import is_simulated_source
from perpscope.service.heatmap import HeatmapResult, MapResult


def is_simulated(sources: tuple[str, ...] | list[str]) -> bool:
    return any(is_simulated_source(source) for source in sources)


@dataclass(frozen=True)
class Point:
    """One value at one time (``value`` in the unit of the section it belongs to)."""

    value: float
    time: int


@dataclass(frozen=True)
class Window:
    symbol: str  # the base, ``BTC``: every venue's ``BTC-*-PERP``
    start: int  # inclusive
    end: int  # inclusive: the report is "as of" this time
    label: str  # as the user asked: ``7d``


@dataclass(frozen=True)
class VenueFunding:
    """One venue's settled funding in the window, every rate a fraction per 8 h (``rate × 8 / interval_h``)."""

    venue: str
    symbol: str
    interval_h: float  # of the latest print
    prints: int
    first: Point  # the first settled print in the window
    latest: Point  # the last one at or before the window's end
    low: Point
    high: Point
    mean_8h: float
    negative_prints: int
    latest_apr: float  # fraction per year, simple
    sources: tuple[str, ...]


@dataclass(frozen=True)
class FundingSection:
    venues: tuple[VenueFunding, ...]
    oi_weighted_8h: float | None  # at the window's end, over the venues with fresh OI (docs/views.md)
    oi_weighted_venues: tuple[str, ...]
    simple_mean_8h: float | None
    unit: str = "fraction per 8 h"


@dataclass(frozen=True)
class VenueOpenInterest:
    """One venue's open interest in USD over the window (hourly or finer prints as stored)."""

    venue: str
    symbol: str
    prints: int
    first: Point
    last: Point
    high: Point
    low: Point
    peak: Point  # the largest fall in the window: from this peak ...
    trough: Point  # ... to this later low
    steepest: tuple[Point, Point] | None  # the run of falling prints around the largest single fall
    derived: bool  # some values were converted to USD from base units (docs/views.md)
    sources: tuple[str, ...]

    @property
    def change_usd(self) -> float:
        return self.last.value - self.first.value

    @property
    def change_fraction(self) -> float | None:
        return self.change_usd / self.first.value if self.first.value else None

    @property
    def drawdown_fraction(self) -> float | None:
        return (self.trough.value - self.peak.value) / self.peak.value if self.peak.value else None


@dataclass(frozen=True)
class OpenInterestSection:
    venues: tuple[VenueOpenInterest, ...]
    total_start_usd: float | None  # summed over the venues with a print at both ends
    total_end_usd: float | None
    total_venues: tuple[str, ...]
    unit: str = "USD"


@dataclass(frozen=True)
class VenuePrice:
    venue: str
    symbol: str
    interval: str
    bars: int
    open: Point
    close: Point
    high: Point
    low: Point
    sources: tuple[str, ...]

    @property
    def change_fraction(self) -> float:
        return (self.close.value - self.open.value) / self.open.value


@dataclass(frozen=True)
class DayRange:
    """One UTC day's high and low on one venue's candles."""

    venue: str
    day: int  # midnight UTC
    high: Point
    low: Point


@dataclass(frozen=True)
class PriceSection:
    reference: VenuePrice | None  # the venue whose candles the headline quotes
    venues: tuple[VenuePrice, ...]
    widest_day: tuple[DayRange, ...]  # the UTC day with the widest range on the reference venue, every venue
    peak: Point | None  # the reference venue's largest fall: highest high ...
    trough: Point | None  # ... and the lowest low after it
    unit: str = "USD per base unit"


@dataclass(frozen=True)
class VenueLiquidations:
    venue: str
    symbol: str
    long_usd: float
    short_usd: float
    long_count: int
    short_count: int
    lower_bound: bool
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Wave:
    """A burst of one side's liquidations (``Perpscope.liquidation_waves``, docs/analytics.md): ``side`` is the
    liquidated positions' side, ``notional_usd`` their USD notional, ``start``/``end`` the first and last event."""

    start: int
    end: int
    side: str  # long or short
    notional_usd: float
    events: int
    low_price: float
    high_price: float
    venues: tuple[str, ...]
    lower_bound: bool  # some event came from a throttled feed: the true notional is at least this


@dataclass(frozen=True)
class LiquidationSection:
    venues: tuple[VenueLiquidations, ...]
    waves: tuple[Wave, ...]
    latest_stored: int | None  # the newest stored event for the symbol, said when the window has none
    unit: str = "USD notional"

    @property
    def long_usd(self) -> float:
        return sum(venue.long_usd for venue in self.venues)

    @property
    def short_usd(self) -> float:
        return sum(venue.short_usd for venue in self.venues)

    @property
    def lower_bound(self) -> bool:
        return any(venue.lower_bound for venue in self.venues)


@dataclass(frozen=True)
class Signal:
    """An active signal as the analysis layer words it (``Perpscope.signals``, docs/analytics.md)."""

    kind: str  # short_squeeze_setup, flip_after_liquidations, ...
    time: int  # when everything it rests on was known
    strength: float  # 0-1: 1/3 exactly at the thresholds
    sentence: str


@dataclass(frozen=True)
class FundingTurn:
    """A moment every venue's settled funding had the same sign after it had not (``Perpscope.funding_flips``,
    ``cross_venue``): judged when the last of them became known."""

    time: int
    sign: str  # negative or positive
    venues: tuple[str, ...]
    first_since: int | None  # the previous moment all of them had that sign; None: never before in the data


@dataclass(frozen=True)
class RegimeChange:
    """A venue's settled print entering or leaving the overheated funding regime (``Perpscope.regime_events``)."""

    venue: str
    time: int
    rate_8h: float
    event: str  # enter or leave
    regime: str  # the regime of this print


@dataclass(frozen=True)
class EstimatedSection:
    """The estimated liquidation heatmap over the window and the map at its end (docs/heatmap.md); both are
    model outputs, never observations. ``absent`` says in one line each why one of them is missing."""

    heatmap: HeatmapResult | None
    map: MapResult | None
    column: str  # the heatmap's column width, ``1h``
    absent: tuple[str, ...]

    @property
    def venues(self) -> tuple[str, ...]:
        """The venues the model ran on."""
        if self.heatmap is not None:
            return self.heatmap.heatmap.venues
        return self.map.map.venues if self.map is not None else ()

    @property
    def notes(self) -> tuple[str, ...]:
        """The model's notes (margin tables, open-interest sampling, venues skipped), each once."""
        found = (self.heatmap.notes if self.heatmap else ()) + (self.map.notes if self.map else ())
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class Coverage:
    """What one venue's series holds in the window, and the holes in it."""

    channel: str  # funding, open_interest, candles, liquidations
    venue: str
    first: int
    last: int
    rows: int
    holes: tuple[tuple[int, int], ...]  # spans longer than 2 × the series' usual spacing with no row


@dataclass(frozen=True)
class StoredGap:
    """A span the collector recorded as lost (``gaps`` table, :class:`perpscope.models.Gap`)."""

    venue: str
    symbol: str
    channel: str
    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class ReportData:
    window: Window
    funding: FundingSection
    open_interest: OpenInterestSection
    price: PriceSection
    liquidations: LiquidationSection
    signals: tuple[Signal, ...]
    signals_absent: str | None  # why signals could not be computed (the service's error), else None
    funding_turns: tuple[FundingTurn, ...]
    regime_changes: tuple[RegimeChange, ...]
    estimated: EstimatedSection
    coverage: tuple[Coverage, ...]
    stored_gaps: tuple[StoredGap, ...]
    sources: dict[str, tuple[str, ...]]  # channel -> distinct sources
    simulated: bool
    series: dict[str, pl.DataFrame] = field(default_factory=dict, compare=False, repr=False)
    """The window's rows per channel (``funding``, ``open_interest``, ``candles``, ``liquidations``) for charts."""
