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


# -- OI against price ------------------------------------------------------------------------------------------

QUADRANTS = {
    ("up", "up"): "new longs building",  # price up, OI up: buyers opening
    ("down", "up"): "new shorts building",  # price down, OI up: sellers opening
    ("up", "down"): "short covering",  # price up, OI down: shorts closing
    ("down", "down"): "long unwinding",  # price down, OI down: longs closing or liquidated
}
"""(price direction, OI direction) -> reading. A move smaller than its flat band is ``flat`` and gets no reading."""

FLAT_PRICE = 0.005  # |price change| below 0.5% is flat
FLAT_OI = 0.01  # |OI change| below 1% is flat


def direction_expr(column: str, flat: float) -> pl.Expr:
    """``up`` / ``down`` / ``flat`` for a fractional change (null stays null)."""
    value = pl.col(column)
    return (
        pl.when(value.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(value >= flat)
        .then(pl.lit("up"))
        .when(value <= -flat)
        .then(pl.lit("down"))
        .otherwise(pl.lit("flat"))
    )


def with_quadrant(
    frame: pl.DataFrame,
    price_change: str = "price_change_fraction",
    oi_change: str = "oi_change_fraction",
    flat_price: float = FLAT_PRICE,
    flat_oi: float = FLAT_OI,
) -> pl.DataFrame:
    """Add ``price_direction``, ``oi_direction`` and ``quadrant`` (a :data:`QUADRANTS` reading, null when either
    move is flat or unknown)."""
    directed = frame.with_columns(
        price_direction=direction_expr(price_change, flat_price), oi_direction=direction_expr(oi_change, flat_oi)
    )
    reading = pl.lit(None, dtype=pl.String)
    for (price, oi), label in QUADRANTS.items():
        both = (pl.col("price_direction") == price) & (pl.col("oi_direction") == oi)
        reading = pl.when(both).then(pl.lit(label)).otherwise(reading)
    return directed.with_columns(quadrant=reading)


def change_from_extremes(
    series: pl.DataFrame, value: str = "oi_usd", time: str = "time"
) -> dict[str, float | int | None]:
    """The latest ``value`` of a series against its lowest and highest point (the first one on ties):
    ``latest``, ``low``, ``low_time``, ``high``, ``high_time``, ``from_low_fraction`` (+0.31 = "+31% from the
    low") and ``from_high_fraction``. Nulls are skipped; all None for an empty series."""
    known = series.filter(pl.col(value).is_not_null()).sort(time)
    if known.is_empty():
        names = ("latest", "latest_time", "low", "low_time", "high", "high_time")
        return dict.fromkeys((*names, "from_low_fraction", "from_high_fraction"))
    latest, low, high = known.row(-1, named=True), _extreme(known, value, False), _extreme(known, value, True)
    return {
        "latest": latest[value],
        "latest_time": latest[time],
        "low": low[value],
        "low_time": low[time],
        "high": high[value],
        "high_time": high[time],
        "from_low_fraction": latest[value] / low[value] - 1 if low[value] else None,
        "from_high_fraction": latest[value] / high[value] - 1 if high[value] else None,
    }


def _extreme(known: pl.DataFrame, value: str, highest: bool) -> dict[str, float | int]:
    index = known[value].arg_max() if highest else known[value].arg_min()
    return known.row(int(index or 0), named=True)


def with_base_units(history: pl.DataFrame, bars: pl.DataFrame) -> pl.DataFrame:
    """Fill ``oi_base`` where only USD is stored: ``oi_usd / close`` of the latest bar that closed at or before the
    print (``bars``: ``time``, ``close``); ``oi_base_basis`` says ``stored`` or ``oi_usd ÷ close``."""
    closes = bars.select(pl.col("time").alias("close_time"), "close").sort("close_time")
    joined = history.sort("ts_event").join_asof(closes, left_on="ts_event", right_on="close_time")
    derived = pl.col("oi_base").is_null() & pl.col("oi_usd").is_not_null() & pl.col("close").is_not_null()
    return joined.with_columns(
        oi_base=pl.when(derived).then(pl.col("oi_usd") / pl.col("close")).otherwise(pl.col("oi_base")),
        oi_base_basis=pl.when(derived)
        .then(pl.lit("oi_usd ÷ close"))
        .when(pl.col("oi_base").is_not_null())
        .then(pl.lit("stored"))
        .otherwise(pl.lit(None, dtype=pl.String)),
    ).drop("close_time", "close")
