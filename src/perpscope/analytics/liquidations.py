"""Liquidation arithmetic over polars frames: totals by venue and side, and third-party aggregates that
overlap a window. Pure functions, no store.

Sides are the liquidated *position's* side (``long``: a long was force-closed by a sell). A venue whose feed is
throttled stores its events with ``complete = false`` (METHOD.md §4): its totals are lower bounds.
"""

from __future__ import annotations

import polars as pl

from perpscope.errors import QueryError
from perpscope.times import parse_duration

_TOTALS_SCHEMA: dict[str, pl.DataType] = {
    "venue": pl.String(),
    "symbol": pl.String(),
    "long_usd": pl.Float64(),
    "short_usd": pl.Float64(),
    "total_usd": pl.Float64(),
    "long_count": pl.Int64(),
    "short_count": pl.Int64(),
    "first_time": pl.Int64(),
    "last_time": pl.Int64(),
    "lower_bound": pl.Boolean(),
    "sources": pl.List(pl.String()),
}


def totals_by_venue(events: pl.DataFrame) -> pl.DataFrame:
    """Per venue and symbol: ``long_usd`` / ``short_usd`` / ``total_usd`` (sums of ``notional_usd``), the
    counts per side, the first and last event time, ``lower_bound`` (any event with ``complete = false``:
    the feed drops events, so the sums are at least this much) and the distinct ``sources``."""
    if events.is_empty():
        return pl.DataFrame(schema=_TOTALS_SCHEMA)
    long, short = pl.col("side") == "long", pl.col("side") == "short"
    grouped = events.group_by("venue", "symbol").agg(
        pl.col("notional_usd").filter(long).sum().alias("long_usd"),
        pl.col("notional_usd").filter(short).sum().alias("short_usd"),
        pl.col("notional_usd").sum().alias("total_usd"),
        long.sum().cast(pl.Int64).alias("long_count"),
        short.sum().cast(pl.Int64).alias("short_count"),
        pl.col("ts_event").min().alias("first_time"),
        pl.col("ts_event").max().alias("last_time"),
        (~pl.col("complete")).any().alias("lower_bound"),
        pl.col("source").unique().sort().alias("sources"),
    )
    return grouped.select(list(_TOTALS_SCHEMA)).cast(_TOTALS_SCHEMA).sort("venue", "symbol")  # type: ignore[arg-type]


def grand_total(totals: pl.DataFrame) -> dict[str, float | int | bool]:
    """Every venue together; ``lower_bound`` when any venue's figure is one."""
    return {
        "long_usd": float(totals["long_usd"].sum()),
        "short_usd": float(totals["short_usd"].sum()),
        "total_usd": float(totals["total_usd"].sum()),
        "long_count": int(totals["long_count"].sum()),
        "short_count": int(totals["short_count"].sum()),
        "lower_bound": bool(totals["lower_bound"].any()),
    }


def overlapping_aggregates(aggregates: pl.DataFrame, since: int, until: int) -> pl.DataFrame:
    """The third-party rows (``liquidation_totals``) whose period ``[ts_event, ts_event + period)`` overlaps
    ``[since, until)``. Adds ``period_end`` and ``overlap_fraction`` (how much of the period lies inside the
    window: a daily figure half inside the window is not half the window's liquidations, so it is shown
    beside, never added to, the event totals)."""
    if aggregates.is_empty():
        return aggregates.with_columns(
            period_end=pl.lit(None, dtype=pl.Int64), overlap_fraction=pl.lit(None, dtype=pl.Float64)
        )
    periods = {period: _period_ms(period) for period in aggregates["period"].unique().to_list()}
    lengths = pl.col("period").replace_strict(periods, return_dtype=pl.Int64)
    ended = aggregates.with_columns(period_end=pl.col("ts_event") + lengths)
    inside = pl.min_horizontal(pl.col("period_end"), pl.lit(until)) - pl.max_horizontal(
        pl.col("ts_event"), pl.lit(since)
    )
    overlapping = ended.filter((pl.col("ts_event") < until) & (pl.col("period_end") > since))
    return overlapping.with_columns(
        overlap_fraction=inside.cast(pl.Float64) / (pl.col("period_end") - pl.col("ts_event")).cast(pl.Float64)
    )


def _period_ms(period: str) -> int:
    try:
        return parse_duration(period)
    except ValueError:
        raise QueryError(f"liquidation_totals: period {period!r} is not a duration such as 1d or 8h") from None
