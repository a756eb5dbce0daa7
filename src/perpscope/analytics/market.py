"""One row per bar: price, cross-venue funding and open interest known at the bar's close (docs/analytics.md).

The grid is what signals and the positioning index read. Each row's ``time`` is a bar's *close*; every value on
it was known at that moment: the bar itself, the latest settled funding whose ``known_at`` is at or before it
(and still current), the latest OI print at or before it (no older than ``OI_MAX_AGE_MS``). Nothing later leaks in.
"""

from __future__ import annotations

import polars as pl

from perpscope.analytics.open_interest import OI_MAX_AGE_MS
from perpscope.analytics.regimes import DEFAULT_FLIP, FlipOptions, with_known_at
from perpscope.times import MS_PER_HOUR

BAR_MS = MS_PER_HOUR  # the grid's step: hourly bars, the finest interval every venue's sample history has


def price_bars(candles: pl.DataFrame, bar_ms: int = BAR_MS) -> pl.DataFrame:
    """Cross-venue bars from per-venue candles of one interval: per open time, the *median* over venues of open,
    high, low and close (one venue's bad wick does not move it), and ``price_venues`` (how many). ``time`` is the
    bar's close (open time + ``bar_ms``)."""
    if candles.is_empty():
        return pl.DataFrame(schema=_BAR_SCHEMA)
    grouped = candles.group_by("ts_event").agg(
        pl.col("open").median(),
        pl.col("high").median(),
        pl.col("low").median(),
        pl.col("close").median(),
        pl.col("venue").n_unique().alias("price_venues"),
    )
    bars = grouped.with_columns(time=pl.col("ts_event") + bar_ms).rename({"ts_event": "open_time"})
    return bars.select(list(_BAR_SCHEMA)).cast(_BAR_SCHEMA).sort("time")  # type: ignore[arg-type]


_BAR_SCHEMA: dict[str, pl.DataType] = {
    "open_time": pl.Int64(),
    "time": pl.Int64(),
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
    "price_venues": pl.UInt32(),
}


def venue_grid(times: pl.DataFrame, rows: pl.DataFrame, on: str, by: list[str]) -> pl.DataFrame:
    """Every ``time`` x every venue/symbol of ``rows``, each with its latest row whose ``on`` is at or before it."""
    keys = rows.select(by).unique().sort(by)
    grid = times.select("time").join(keys, how="cross").sort("time")
    return grid.join_asof(rows.sort(on), left_on="time", right_on=on, by=by, check_sortedness=False)


def funding_on_grid(
    times: pl.DataFrame,
    settled: pl.DataFrame,
    oi_per_venue: pl.DataFrame | None = None,
    options: FlipOptions = DEFAULT_FLIP,
) -> pl.DataFrame:
    """Per ``time``: the cross-venue funding from each venue's current settled print known by then.

    Columns: ``funding_simple_8h`` (unweighted mean of ``rate_8h``), ``funding_weighted_8h`` (OI-weighted over
    the venues with a fresh OI on ``oi_per_venue``, see :func:`oi_on_grid`), ``funding_min_8h``,
    ``funding_max_8h``, ``funding_venues`` (list), ``venues_negative``, ``venues_positive``.
    """
    columns = {"time": pl.Int64(), "venue": pl.String(), "symbol": pl.String(), "rate_8h": pl.Float64()}
    current = pl.DataFrame(schema=columns)
    if not settled.is_empty():
        known = with_known_at(settled, options)
        known = known.select("venue", "symbol", "known_at", "funding_time", "interval_h", "rate_8h")
        latest = venue_grid(times, known, "known_at", ["venue", "symbol"])
        allowed = pl.col("interval_h") * MS_PER_HOUR + options.current_slack_ms
        fresh = pl.col("rate_8h").is_not_null() & ((pl.col("time") - pl.col("funding_time")) <= allowed)
        current = latest.filter(fresh).select(list(columns))
    if oi_per_venue is None:
        current = current.with_columns(oi_usd=pl.lit(None, dtype=pl.Float64))
    else:
        current = current.join(oi_per_venue, on=["time", "venue", "symbol"], how="left")
    return _aggregate_funding(current)


def _aggregate_funding(current: pl.DataFrame) -> pl.DataFrame:
    weight = pl.col("oi_usd").fill_null(0.0)
    weighted = (pl.col("rate_8h") * weight).sum() / weight.sum()
    return current.group_by("time").agg(
        pl.col("rate_8h").mean().alias("funding_simple_8h"),
        pl.when(weight.sum() > 0).then(weighted).alias("funding_weighted_8h"),
        pl.col("rate_8h").min().alias("funding_min_8h"),
        pl.col("rate_8h").max().alias("funding_max_8h"),
        pl.col("venue").sort().alias("funding_venues"),
        (pl.col("rate_8h") < 0).sum().cast(pl.Int64).alias("venues_negative"),
        (pl.col("rate_8h") > 0).sum().cast(pl.Int64).alias("venues_positive"),
    )


def oi_on_grid(times: pl.DataFrame, history: pl.DataFrame, max_age_ms: int = OI_MAX_AGE_MS) -> pl.DataFrame:
    """Per ``time`` and venue/symbol, the latest OI print (``oi_usd`` filled) no older than ``max_age_ms``."""
    rows = history.filter(pl.col("oi_usd").is_not_null()).select(
        "venue", "symbol", pl.col("ts_event").alias("oi_time"), "oi_usd"
    )
    if rows.is_empty():
        return pl.DataFrame(schema={"time": pl.Int64, "venue": pl.String, "symbol": pl.String, "oi_usd": pl.Float64})
    latest = venue_grid(times, rows, "oi_time", ["venue", "symbol"])
    fresh = (pl.col("time") - pl.col("oi_time")) <= max_age_ms
    return latest.with_columns(oi_usd=pl.when(fresh).then(pl.col("oi_usd"))).select("time", "venue", "symbol", "oi_usd")


def oi_change(per_venue: pl.DataFrame, window_ms: int, bar_ms: int = BAR_MS) -> pl.DataFrame:
    """Per ``time``: ``oi_usd`` (sum over venues with a fresh print), ``oi_venues``, and the change over
    ``window_ms`` over the venues known at *both* ends (a venue that starts reporting is not growth):
    ``oi_change_usd`` and ``oi_change_fraction`` (change / the same venues' sum at the start)."""
    steps = max(1, window_ms // bar_ms)
    by = ["venue", "symbol"]
    shifted = per_venue.sort(*by, "time").with_columns(
        oi_start=pl.col("oi_usd").shift(steps).over(by), start_time=pl.col("time").shift(steps).over(by)
    )
    # shift() counts rows: it is the start of the window only where the grid has no holes.
    aligned = shifted.with_columns(
        oi_start=pl.when(pl.col("time") - pl.col("start_time") == steps * bar_ms).then(pl.col("oi_start"))
    )
    both = pl.col("oi_usd").is_not_null() & pl.col("oi_start").is_not_null()
    totals = aligned.group_by("time").agg(
        pl.col("oi_usd").sum().alias("oi_usd"),
        pl.col("oi_usd").is_not_null().sum().cast(pl.Int64).alias("oi_venues"),
        (pl.col("oi_usd") - pl.col("oi_start")).filter(both).sum().alias("oi_change_usd"),
        pl.col("oi_start").filter(both).sum().alias("oi_start_usd"),
    )
    fraction = pl.when(pl.col("oi_start_usd") > 0).then(pl.col("oi_change_usd") / pl.col("oi_start_usd"))
    known = pl.col("oi_start_usd") > 0
    return totals.with_columns(
        oi_usd=pl.when(pl.col("oi_venues") > 0).then(pl.col("oi_usd")),
        oi_change_usd=pl.when(known).then(pl.col("oi_change_usd")),
        oi_change_fraction=fraction,
    ).drop("oi_start_usd")


def market_grid(
    bars: pl.DataFrame,
    settled: pl.DataFrame,
    oi_history: pl.DataFrame,
    window_ms: int,
    options: FlipOptions = DEFAULT_FLIP,
) -> pl.DataFrame:
    """Bars joined with :func:`funding_on_grid` and :func:`oi_change`, plus ``price_change_fraction`` over
    ``window_ms`` (close against the close ``window_ms`` earlier; null where the grid has a hole)."""
    times = bars.select("time")
    per_venue = oi_on_grid(times, oi_history)
    funding = funding_on_grid(times, settled, per_venue, options)
    oi = oi_change(per_venue, window_ms)
    grid = bars.join(funding, on="time", how="left").join(oi, on="time", how="left").sort("time")
    earlier = grid.select(pl.col("time") + window_ms, pl.col("close").alias("close_start"))
    grid = grid.join(earlier, on="time", how="left")
    return grid.with_columns(price_change_fraction=pl.col("close") / pl.col("close_start") - 1)


def hour_frame(since: int, until: int, bar_ms: int = BAR_MS) -> pl.DataFrame:
    """Every bar close ``time`` on the ``bar_ms`` grid in ``(since, until]``: bars missing from the data stay as
    rows (with null prices) so window arithmetic counts hours, not rows."""
    first = (since // bar_ms + 1) * bar_ms
    return pl.DataFrame({"time": pl.int_range(first, until + 1, bar_ms, dtype=pl.Int64, eager=True)})
