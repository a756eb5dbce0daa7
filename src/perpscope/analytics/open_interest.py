"""Open-interest arithmetic over polars frames: USD values where the venue gave contracts or base units,
freshness, the latest print per venue, and the change over a window. Pure functions, no store.

Input frames have the ``open_interest`` table's columns (``venue, symbol, ts_event, oi_contracts, oi_base,
oi_usd, reported, conversion_price, source``).
"""

from __future__ import annotations

import polars as pl

from perpscope.times import MS_PER_HOUR

OI_MAX_AGE_MS = 2 * MS_PER_HOUR
"""How old an OI print may be, at the time a view is computed for, and still count: two hours. Venues report
OI every few seconds to every hour; an hourly series thus always has a print inside it, and a venue whose
collection stopped drops out instead of weighting the present with the past."""

_KEY = ["venue", "symbol"]


def with_usd(open_interest: pl.DataFrame, prices: pl.DataFrame) -> pl.DataFrame:
    """Fill ``oi_usd`` where the store has none and say how each value was obtained.

    ``prices`` has one row per venue and symbol (``price``, ``price_time``, ``price_kind``, from
    :func:`perpscope.queries.latest_prices`). Adds ``oi_usd_basis``, one of ``reported`` (the venue gave USD),
    ``converted at ingest`` (stored by the importer or collector from another unit), ``oi_base × conversion_price``
    (the row's own price), ``oi_base × mark`` or ``oi_base × candle close`` (the latest price at the view's
    time), or null (unknown); ``oi_usd_derived`` (true unless reported in USD); ``oi_usd_price`` and
    ``oi_usd_price_time`` for the last two cases.
    """
    priced = open_interest.join(prices.select(*_KEY, "price", "price_time", "price_kind"), on=_KEY, how="left")
    stored = pl.col("oi_usd").is_not_null()
    own_price = pl.col("oi_base").is_not_null() & pl.col("conversion_price").is_not_null()
    latest_price = pl.col("oi_base").is_not_null() & pl.col("price").is_not_null()
    basis = (
        pl.when(stored & (pl.col("reported") == "usd"))
        .then(pl.lit("reported"))
        .when(stored)
        .then(pl.lit("converted at ingest"))
        .when(own_price)
        .then(pl.lit("oi_base × conversion_price"))
        .when(latest_price)
        .then(pl.lit("oi_base × ") + pl.col("price_kind"))
    )
    value = (
        pl.when(stored)
        .then(pl.col("oi_usd"))
        .when(own_price)
        .then(pl.col("oi_base") * pl.col("conversion_price"))
        .when(latest_price)
        .then(pl.col("oi_base") * pl.col("price"))
    )
    from_latest = ~stored & ~own_price & latest_price
    priced = priced.with_columns(
        value.alias("oi_usd"),
        basis.alias("oi_usd_basis"),
        pl.when(from_latest).then(pl.col("price")).alias("oi_usd_price"),
        pl.when(from_latest).then(pl.col("price_time")).alias("oi_usd_price_time"),
    )
    derived = pl.col("oi_usd_basis").is_not_null() & (pl.col("oi_usd_basis") != "reported")
    return priced.with_columns(oi_usd_derived=derived).drop("price", "price_time", "price_kind")


def latest_per_venue(history: pl.DataFrame, at: int | None = None) -> pl.DataFrame:
    """The newest row per venue and symbol at or before ``at`` (every row when None), sorted by venue."""
    rows = history if at is None else history.filter(pl.col("ts_event") <= at)
    return rows.sort("ts_event").group_by(_KEY).last().sort(_KEY)


def with_age(frame: pl.DataFrame, as_of: int, max_age_ms: int = OI_MAX_AGE_MS) -> pl.DataFrame:
    """Add ``age_ms`` (``as_of - ts_event``) and ``fresh`` (``age_ms <= max_age_ms``)."""
    age = pl.lit(as_of) - pl.col("ts_event")
    return frame.with_columns(age_ms=age, fresh=age <= max_age_ms)


def with_change(
    latest: pl.DataFrame, earlier: pl.DataFrame, start: int, max_age_ms: int = OI_MAX_AGE_MS
) -> pl.DataFrame:
    """Add the change since ``start`` from ``earlier`` (the latest rows at or before ``start``, USD filled).

    A start value counts only when it is no older than ``max_age_ms`` at ``start``; otherwise the change is
    null rather than measured from some older print. Adds ``start_time``, ``oi_usd_start``, ``oi_base_start``,
    ``change_usd``, ``change_base`` and ``change_fraction`` (``change_usd / oi_usd_start``). In USD the change
    includes the price move when the USD value was derived; ``change_base`` does not.
    """
    usable = earlier.filter(pl.lit(start) - pl.col("ts_event") <= max_age_ms)
    starts = usable.select(
        *_KEY,
        pl.col("ts_event").alias("start_time"),
        pl.col("oi_usd").alias("oi_usd_start"),
        pl.col("oi_base").alias("oi_base_start"),
    )
    joined = latest.join(starts, on=_KEY, how="left")
    change_usd = pl.col("oi_usd") - pl.col("oi_usd_start")
    return joined.with_columns(
        change_usd=change_usd,
        change_base=pl.col("oi_base") - pl.col("oi_base_start"),
        change_fraction=pl.when(pl.col("oi_usd_start") > 0).then(change_usd / pl.col("oi_usd_start")),
    )


def totals(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per base over the ``fresh`` rows with a USD value: ``oi_usd`` summed, ``venues`` counted,
    ``change_usd`` summed over the rows whose change is known (``venues_with_change`` says how many)."""
    with_base = frame.with_columns(base=pl.col("symbol").str.split("-").list.first())
    counted = with_base.filter(pl.col("fresh") & pl.col("oi_usd").is_not_null())
    aggregates = [pl.col("oi_usd").sum(), pl.len().alias("venues")]
    if "change_usd" in frame.columns:
        known = pl.col("change_usd").is_not_null().sum()
        # A sum over no known changes is unknown, not zero.
        aggregates += [
            pl.when(known > 0).then(pl.col("change_usd").sum()).alias("change_usd"),
            known.alias("venues_with_change"),
        ]
    return counted.group_by("base").agg(*aggregates).sort("base")
