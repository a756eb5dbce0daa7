"""Liquidations in time and price: totals per time bucket, the largest events, realized clusters by price bucket,
and waves (bursts found in time and price). Pure functions on frames shaped like the ``liquidations`` table.

Sides are the liquidated position's side. Any event stored with ``complete = false`` comes from a throttled feed
(METHOD.md §4): every figure built from it carries ``lower_bound = true`` ("at least this much").
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from perpscope.times import MS_PER_MINUTE


@dataclass(frozen=True)
class WaveOptions:
    """A wave is a run of one side's liquidations (all venues of a base together) in which no two consecutive
    events are more than ``max_gap_ms`` apart and no event's price is more than ``max_price_jump`` (a fraction)
    away from the previous one; runs below ``min_notional_usd`` or ``min_events`` are not waves."""

    max_gap_ms: int = 5 * MS_PER_MINUTE
    max_price_jump: float = 0.01
    min_notional_usd: float = 1_000_000.0
    min_events: int = 5


DEFAULT_WAVES = WaveOptions()


def totals_by_bucket(events: pl.DataFrame, bucket_ms: int) -> pl.DataFrame:
    """Per time bucket (``bucket_start`` = ``ts_event`` floored to ``bucket_ms``), venue and side: ``notional_usd``,
    ``events``, ``lower_bound``."""
    bucketed = events.with_columns(bucket_start=(pl.col("ts_event") // bucket_ms) * bucket_ms)
    return (
        bucketed.group_by("bucket_start", "venue", "side")
        .agg(
            pl.col("notional_usd").sum(),
            pl.len().cast(pl.Int64).alias("events"),
            (~pl.col("complete")).any().alias("lower_bound"),
        )
        .sort("bucket_start", "venue", "side")
    )


def largest(events: pl.DataFrame, count: int = 10) -> pl.DataFrame:
    """The ``count`` largest single liquidations by ``notional_usd``, largest first."""
    return events.sort("notional_usd", descending=True).head(count)


def clusters(events: pl.DataFrame, bucket_usd: float) -> pl.DataFrame:
    """Realized liquidations by side and price bucket (``price_low`` = price floored to ``bucket_usd``; the
    bucket is ``[price_low, price_low + bucket_usd)``), largest first: ``notional_usd``, ``events``,
    ``vwap`` (notional-weighted price), ``first_time``, ``last_time``, ``venues``, ``lower_bound``."""
    if events.is_empty():
        return pl.DataFrame(schema=CLUSTER_SCHEMA)
    bucketed = events.with_columns(price_low=(pl.col("price") / bucket_usd).floor() * bucket_usd)
    grouped = bucketed.group_by("side", "price_low").agg(
        pl.col("notional_usd").sum(),
        pl.len().cast(pl.Int64).alias("events"),
        ((pl.col("price") * pl.col("notional_usd")).sum() / pl.col("notional_usd").sum()).alias("vwap"),
        pl.col("ts_event").min().alias("first_time"),
        pl.col("ts_event").max().alias("last_time"),
        pl.col("venue").unique().sort().alias("venues"),
        (~pl.col("complete")).any().alias("lower_bound"),
    )
    grouped = grouped.with_columns(price_high=pl.col("price_low") + bucket_usd)
    ordered = grouped.sort(["notional_usd", "price_low"], descending=[True, False])
    return ordered.select(list(CLUSTER_SCHEMA)).cast(CLUSTER_SCHEMA)  # type: ignore[arg-type]


CLUSTER_SCHEMA: dict[str, pl.DataType] = {
    "side": pl.String(),
    "price_low": pl.Float64(),
    "price_high": pl.Float64(),
    "notional_usd": pl.Float64(),
    "events": pl.Int64(),
    "vwap": pl.Float64(),
    "first_time": pl.Int64(),
    "last_time": pl.Int64(),
    "venues": pl.List(pl.String()),
    "lower_bound": pl.Boolean(),
}


def waves(events: pl.DataFrame, options: WaveOptions = DEFAULT_WAVES) -> pl.DataFrame:
    """Bursts of one side's liquidations (see :class:`WaveOptions`), oldest first, numbered from 1.

    Columns: ``wave``, ``side``, ``start``, ``end`` (first and last event time), ``price_first``, ``price_last``,
    ``price_low``, ``price_high``, ``vwap``, ``notional_usd``, ``events``, ``venues``, ``lower_bound``.
    """
    if events.is_empty():
        return pl.DataFrame(schema=WAVE_SCHEMA)
    ordered = events.sort("side", "ts_event", "price")
    previous_time = pl.col("ts_event").shift(1).over("side")
    previous_price = pl.col("price").shift(1).over("side")
    breaks = (
        previous_time.is_null()
        | ((pl.col("ts_event") - previous_time) > options.max_gap_ms)
        | ((pl.col("price") / previous_price - 1).abs() > options.max_price_jump)
    )
    runs = ordered.with_columns(run=breaks.cum_sum().over("side"))
    grouped = runs.group_by("side", "run").agg(
        pl.col("ts_event").min().alias("start"),
        pl.col("ts_event").max().alias("end"),
        pl.col("price").first().alias("price_first"),
        pl.col("price").last().alias("price_last"),
        pl.col("price").min().alias("price_low"),
        pl.col("price").max().alias("price_high"),
        ((pl.col("price") * pl.col("notional_usd")).sum() / pl.col("notional_usd").sum()).alias("vwap"),
        pl.col("notional_usd").sum(),
        pl.len().cast(pl.Int64).alias("events"),
        pl.col("venue").unique().sort().alias("venues"),
        (~pl.col("complete")).any().alias("lower_bound"),
    )
    big = (pl.col("notional_usd") >= options.min_notional_usd) & (pl.col("events") >= options.min_events)
    kept = grouped.filter(big).sort("start", "side")
    kept = kept.with_columns(wave=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    return kept.select(list(WAVE_SCHEMA)).cast(WAVE_SCHEMA)  # type: ignore[arg-type]


WAVE_SCHEMA: dict[str, pl.DataType] = {
    "wave": pl.Int64(),
    "side": pl.String(),
    "start": pl.Int64(),
    "end": pl.Int64(),
    "price_first": pl.Float64(),
    "price_last": pl.Float64(),
    "price_low": pl.Float64(),
    "price_high": pl.Float64(),
    "vwap": pl.Float64(),
    "notional_usd": pl.Float64(),
    "events": pl.Int64(),
    "venues": pl.List(pl.String()),
    "lower_bound": pl.Boolean(),
}


def ratio_view(ratios: pl.DataFrame) -> pl.DataFrame:
    """Long/short account ratios with ``ratio`` = ``long_share / short_share`` (null when no shorts)."""
    ratio = pl.when(pl.col("short_share") > 0).then(pl.col("long_share") / pl.col("short_share"))
    return ratios.with_columns(ratio=ratio)


def taker_view(volume: pl.DataFrame) -> pl.DataFrame:
    """Taker volume with ``ratio`` = ``buy_volume / sell_volume`` (null when no sells) and ``buy_share``."""
    total = pl.col("buy_volume") + pl.col("sell_volume")
    return volume.with_columns(
        ratio=pl.when(pl.col("sell_volume") > 0).then(pl.col("buy_volume") / pl.col("sell_volume")),
        buy_share=pl.when(total > 0).then(pl.col("buy_volume") / total),
    )
