"""Gather a market report's figures: one call, :func:`gather`, over the service layer.

Everything the report shows is computed here, once, into a :class:`~perpscope.report.data.ReportData`; the
narrative, charts and pages only format it. The window is ``[end - length, end]``, both ends included, so the
figures "as of" ``end`` include the prints stamped exactly at ``end`` (a settlement at 00:00 UTC).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import polars as pl

from perpscope.analytics import liquidations as liquidation_math
from perpscope.api import Perpscope, Span
from perpscope.config import load_settings
from perpscope.errors import QueryError
from perpscope.report import analysis, estimated, series
from perpscope.report.data import (
    Coverage,
    DayRange,
    FundingSection,
    LiquidationSection,
    OpenInterestSection,
    Point,
    PriceSection,
    ReportData,
    StoredGap,
    VenueFunding,
    VenueLiquidations,
    VenueOpenInterest,
    VenuePrice,
    Window,
    is_simulated,
)
from perpscope.store import Store
from perpscope.times import MS_PER_DAY, MS_PER_HOUR, format_ms

Step = Callable[[str], None]


def gather(
    source: Perpscope | Store,
    symbol: str = "BTC",
    end: int | None = None,
    length: Span = "7d",
    on_step: Step | None = None,
) -> ReportData:
    """Every figure of the report on ``symbol`` (a base such as ``BTC``, or one canonical symbol) for the
    ``length`` up to ``end`` (int ms UTC; None: the newest stored print of the symbol, the data's own present).
    ``on_step`` hears the name of each stage, for progress display."""
    api = _polars_api(source)
    step = on_step or (lambda _name: None)
    end = series.newest_time(api, symbol) if end is None else end
    window = Window(symbol.upper(), end - Perpscope._span(length), end, _label(length))
    frames = _read(api, window, step)
    funding_rows, oi_rows = frames["funding"], frames["open_interest"]
    candle_rows, liquidation_rows = frames["candles"], frames["liquidations"]
    step("analysis")
    price = price_section(candle_rows)
    signals, signals_absent = analysis.signals(api, window)
    funding = funding_section(api, window, funding_rows)
    turns = analysis.funding_turns(api, window) if funding.venues else ()
    regimes = analysis.regime_changes(api, window) if funding.venues else ()
    step("heatmap")
    modelled = estimated.gather(api, window)
    return ReportData(
        window=window,
        funding=funding,
        open_interest=open_interest_section(oi_rows),
        price=price,
        liquidations=liquidation_section(api, window, liquidation_rows),
        signals=signals,
        signals_absent=signals_absent,
        funding_turns=turns,
        regime_changes=regimes,
        estimated=modelled,
        coverage=coverage(frames, window),
        stored_gaps=stored_gaps(api, window),
        sources={name: _sources(frame) for name, frame in frames.items() if not frame.is_empty()},
        simulated=any(is_simulated(_sources(frame)) for frame in frames.values()),
        series=frames,
    )


def _read(api: Perpscope, window: Window, step: Step) -> dict[str, pl.DataFrame]:
    """The window's rows per channel; an error naming the symbols present when there are none at all."""
    step("funding")
    funding_rows = series.funding(api, window)
    step("open interest")
    oi_rows = series.open_interest(api, window)
    step("prices")
    candle_rows = series.candles(api, window)
    step("liquidations")
    liquidation_rows = series.liquidations(api, window)
    if all(frame.is_empty() for frame in (funding_rows, oi_rows, candle_rows, liquidation_rows)):
        raise QueryError(
            f"no funding, open interest, candles or liquidations for {window.symbol} between "
            f"{format_ms(window.start)} and {format_ms(window.end)}; symbols present: "
            f"{', '.join(api.bases('funding') + api.bases('candles')) or 'none'}"
        )
    return {
        "funding": funding_rows,
        "open_interest": oi_rows,
        "candles": candle_rows,
        "liquidations": liquidation_rows,
    }


def _polars_api(source: Perpscope | Store) -> Perpscope:
    if isinstance(source, Perpscope):
        return source if source.dataframes == "polars" else Perpscope(source.store, source.settings)
    return Perpscope(source, load_settings())


def _label(length: Span) -> str:
    return length if isinstance(length, str) else f"{Perpscope._span(length) / MS_PER_HOUR:g}h"


def _sources(frame: pl.DataFrame) -> tuple[str, ...]:
    if frame.is_empty() or "source" not in frame.columns:
        return ()
    return tuple(sorted({str(source) for source in frame["source"].drop_nulls().to_list()}))


def _point(frame: pl.DataFrame, index: int, column: str) -> Point:
    return Point(float(frame[column][index]), int(frame["ts_event"][index]))


def _extremes(frame: pl.DataFrame, column: str) -> tuple[Point, Point]:
    """(lowest, highest) of ``column``: the first time each is reached."""
    values = frame[column]
    return _point(frame, int(values.arg_min() or 0), column), _point(frame, int(values.arg_max() or 0), column)


# -- funding ---------------------------------------------------------------------------------------------------


def funding_section(api: Perpscope, window: Window, rows: pl.DataFrame) -> FundingSection:
    venues = []
    for (venue, symbol), group in rows.group_by("venue", "symbol", maintain_order=True):
        group = group.sort("ts_event")
        low, high = _extremes(group, "rate_8h")
        venues.append(
            VenueFunding(
                venue=str(venue),
                symbol=str(symbol),
                interval_h=float(group["interval_h"][-1]),
                prints=group.height,
                first=_point(group, 0, "rate_8h"),
                latest=_point(group, group.height - 1, "rate_8h"),
                low=low,
                high=high,
                mean_8h=float(group["rate_8h"].mean()),  # type: ignore[arg-type]
                negative_prints=int((group["rate_8h"] < 0).sum()),
                latest_apr=float(group["apr"][-1]),
                sources=_sources(group),
            )
        )
    weighted, included, plain = None, (), None
    if venues:
        aggregate = api.funding_aggregate(window.symbol, at=window.end).row(0, named=True)
        weighted, plain = aggregate["oi_weighted_rate_8h"], aggregate["simple_mean_rate_8h"]
        included = tuple(aggregate["venues_included"])
    return FundingSection(tuple(sorted(venues, key=lambda v: v.venue)), weighted, included, plain)


# -- open interest ---------------------------------------------------------------------------------------------


def open_interest_section(rows: pl.DataFrame) -> OpenInterestSection:
    venues = [
        _venue_open_interest(group.sort("ts_event"))
        for _key, group in rows.group_by("venue", "symbol", maintain_order=True)
    ]
    venues.sort(key=lambda venue: -venue.last.value)
    start, end, counted = _oi_totals(venues, rows)
    return OpenInterestSection(tuple(venues), start, end, counted)


def _venue_open_interest(group: pl.DataFrame) -> VenueOpenInterest:
    low, high = _extremes(group, "oi_usd")
    peak, trough = _largest_fall(group, "oi_usd", "oi_usd")
    return VenueOpenInterest(
        venue=str(group["venue"][0]),
        symbol=str(group["symbol"][0]),
        prints=group.height,
        first=_point(group, 0, "oi_usd"),
        last=_point(group, group.height - 1, "oi_usd"),
        high=high,
        low=low,
        peak=peak,
        trough=trough,
        steepest=_steepest_run(group),
        derived=bool(group["oi_usd_derived"].any()),
        sources=_sources(group),
    )


def _largest_fall(group: pl.DataFrame, high: str, low: str) -> tuple[Point, Point]:
    """The largest fall from a ``high`` to a later (or the same bar's) ``low``, as a fraction of the high."""
    running = group[high].cum_max()
    fall = (group[low] - running) / running
    trough_index = int(fall.arg_min() or 0)
    peak_index = int(group[high].head(trough_index + 1).arg_max() or 0)
    return _point(group, peak_index, high), _point(group, trough_index, low)


def _steepest_run(group: pl.DataFrame) -> tuple[Point, Point] | None:
    """The run of consecutive falling prints around the largest single fall between prints at most two
    hours apart (a hole in the series does not pass for a move): where a crash took the open interest."""
    values, times = group["oi_usd"].to_list(), group["ts_event"].to_list()
    steps = [
        (values[index] - values[index - 1], index)
        for index in range(1, len(values))
        if times[index] - times[index - 1] <= 2 * MS_PER_HOUR
    ]
    if not steps or min(steps)[0] >= 0:
        return None
    start = end = min(steps)[1]
    start -= 1
    while start > 0 and values[start - 1] > values[start] and times[start] - times[start - 1] <= 2 * MS_PER_HOUR:
        start -= 1
    while end + 1 < len(values) and values[end + 1] < values[end] and times[end + 1] - times[end] <= 2 * MS_PER_HOUR:
        end += 1
    return _point(group, start, "oi_usd"), _point(group, end, "oi_usd")


def _oi_totals(
    venues: list[VenueOpenInterest], rows: pl.DataFrame
) -> tuple[float | None, float | None, tuple[str, ...]]:
    """Summed over the venues whose series covers both ends of the window (first and last print within two
    hours of the window's first and last print): a venue that starts late would otherwise pass for growth."""
    if not venues:
        return None, None, ()
    first, last = int(rows["ts_event"].min()), int(rows["ts_event"].max())  # type: ignore[arg-type]
    tolerance = 2 * MS_PER_HOUR
    both = [v for v in venues if v.first.time - first <= tolerance and last - v.last.time <= tolerance]
    if not both:
        return None, None, ()
    return sum(v.first.value for v in both), sum(v.last.value for v in both), tuple(sorted(v.venue for v in both))


# -- prices ----------------------------------------------------------------------------------------------------


def price_section(rows: pl.DataFrame) -> PriceSection:
    venues = [_venue_price(group.sort("ts_event")) for _key, group in rows.group_by("venue", "symbol")]
    if not venues:
        return PriceSection(None, (), (), None, None)
    venues.sort(key=lambda venue: (-venue.bars, venue.venue))
    reference = venues[0]
    bars = rows.filter(pl.col("venue") == reference.venue, pl.col("symbol") == reference.symbol).sort("ts_event")
    peak, trough = _largest_fall(bars, "high", "low")
    return PriceSection(reference, tuple(venues), _widest_day(rows, bars), peak, trough)


def _venue_price(group: pl.DataFrame) -> VenuePrice:
    return VenuePrice(
        venue=str(group["venue"][0]),
        symbol=str(group["symbol"][0]),
        interval=str(group["interval"][0]),
        bars=group.height,
        open=_point(group, 0, "open"),
        close=_point(group, group.height - 1, "close"),
        high=_extremes(group, "high")[1],
        low=_extremes(group, "low")[0],
        sources=_sources(group),
    )


def _widest_day(rows: pl.DataFrame, reference: pl.DataFrame) -> tuple[DayRange, ...]:
    """The UTC day with the widest high-low range (as a fraction of the high) on the reference venue; that
    day's high and low on every venue."""
    by_day = reference.with_columns(day=pl.col("ts_event") // MS_PER_DAY * MS_PER_DAY)
    ranges = by_day.group_by("day").agg(
        ((pl.col("high").max() - pl.col("low").min()) / pl.col("high").max()).alias("r")
    )
    day = int(ranges.sort("r", "day", descending=[True, False])["day"][0])
    inside = rows.filter(pl.col("ts_event").is_between(day, day + MS_PER_DAY - 1))
    days = []
    for (venue,), group in inside.sort("ts_event").group_by("venue", maintain_order=True):
        low, high = _extremes(group, "low")[0], _extremes(group, "high")[1]
        days.append(DayRange(str(venue), day, high, low))
    return tuple(sorted(days, key=lambda item: item.venue))


# -- liquidations ----------------------------------------------------------------------------------------------


def liquidation_section(api: Perpscope, window: Window, events: pl.DataFrame) -> LiquidationSection:
    totals = liquidation_math.totals_by_venue(events)
    venues = tuple(
        VenueLiquidations(
            venue=row["venue"],
            symbol=row["symbol"],
            long_usd=row["long_usd"],
            short_usd=row["short_usd"],
            long_count=row["long_count"],
            short_count=row["short_count"],
            lower_bound=row["lower_bound"],
            sources=tuple(row["sources"]),
        )
        for row in totals.iter_rows(named=True)
    )
    return LiquidationSection(venues, analysis.waves(api, window), api.latest_time("liquidations", window.symbol))


# -- coverage and gaps -----------------------------------------------------------------------------------------


def coverage(frames: dict[str, pl.DataFrame], window: Window) -> tuple[Coverage, ...]:
    """Per channel and venue: the rows held and the holes, spans longer than twice the series' usual (median)
    spacing with no row, including a late start or an early end against the window's edges. Liquidations come
    when they happen, so only their span is given."""
    found = []
    for channel, frame in frames.items():
        if frame.is_empty():
            continue
        for (venue,), group in frame.sort("ts_event").group_by("venue", maintain_order=True):
            times = group["ts_event"].unique().sort()
            # A candle opened at the window's end has not closed by then, so candles end one bar earlier.
            closes = channel == "candles"
            holes = () if channel == "liquidations" else _holes(times, window, closes)
            found.append(Coverage(channel, str(venue), int(times[0]), int(times[-1]), group.height, holes))
    return tuple(found)


def _holes(times: pl.Series, window: Window, bars: bool = False) -> tuple[tuple[int, int], ...]:
    """Spans of more than twice the median spacing without a row, the window's edges counting as rows one
    spacing outside it (so a series that starts late has a hole from the window's start); for ``bars`` the end
    counts at the window's end itself, since the bar opened then is still open."""
    if times.len() < 3:
        return ()
    spacing = int(times.diff().drop_nulls().median())  # type: ignore[arg-type]
    edges = [window.start - spacing, *[int(time) for time in times], window.end + (0 if bars else spacing)]
    holes = []
    for before, after in itertools.pairwise(edges):
        if after - before > 2 * spacing:
            holes.append((max(before, window.start), min(after, window.end)))
    return tuple(holes)


def stored_gaps(api: Perpscope, window: Window) -> tuple[StoredGap, ...]:
    rows = series.stored_gaps(api, window)
    return tuple(
        StoredGap(row["venue"], row["symbol"], row["channel"], row["ts_event"], row["ts_end"], row["reason"])
        for row in rows.iter_rows(named=True)
    )
