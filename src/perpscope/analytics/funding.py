"""Funding arithmetic over polars frames (METHOD.md §1): normalisation, the next predicted rate, and the
cross-venue means. Pure functions: frames in, frames out, no store.

Input frames have the ``funding`` table's columns (``venue, symbol, rate, interval_h, funding_time, ...``).
Rates stay fractions (``0.0001`` = 0.01%); percentages are for display only.
"""

from __future__ import annotations

import polars as pl

from perpscope.models import HOURS_PER_YEAR
from perpscope.times import MS_PER_HOUR

BASIS_H = 8.0  # the common basis every venue's rate is restated in (METHOD.md §1)
_PREDICTED = {
    "rate": "predicted_rate",
    "interval_h": "predicted_interval_h",
    "funding_time": "predicted_funding_time",
    "ts_event": "predicted_observed_at",
    "source": "predicted_source",
}


def normalise(funding: pl.DataFrame, prefix: str = "") -> pl.DataFrame:
    """Add ``rate_8h`` (= rate x 8 / interval_h) and ``apr`` (= rate x 8760 / interval_h, simple, a fraction)
    from each row's own interval, so 1 h and 8 h prints compare directly. ``prefix`` picks the columns
    ``{prefix}rate`` / ``{prefix}interval_h`` and names the results ``{prefix}rate_8h`` / ``{prefix}apr``."""
    rate, interval = pl.col(f"{prefix}rate"), pl.col(f"{prefix}interval_h")
    return funding.with_columns(
        (rate * BASIS_H / interval).alias(f"{prefix}rate_8h"),
        (rate * HOURS_PER_YEAR / interval).alias(f"{prefix}apr"),
    )


def with_base(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``base`` (``BTC`` of ``BTC-USDT-PERP``): cross-venue figures are per base."""
    return frame.with_columns(base=pl.col("symbol").str.split("-").list.first())


def with_predicted(settled: pl.DataFrame, predicted: pl.DataFrame) -> pl.DataFrame:
    """Join each venue's next predicted rate onto its latest settled print.

    ``predicted`` holds the latest predicted row per venue and symbol. It is kept only when it is for a
    settlement *after* the settled print (``funding_time`` later): an estimate for a time already settled is
    history, and the next rate is then unknown (null). Adds ``predicted_rate``, ``predicted_interval_h``,
    ``predicted_funding_time``, ``predicted_observed_at``, ``predicted_source``, ``predicted_rate_8h`` and
    ``predicted_apr``.
    """
    renamed = predicted.select("venue", "symbol", *[pl.col(old).alias(new) for old, new in _PREDICTED.items()])
    joined = settled.join(renamed, on=["venue", "symbol"], how="left")
    later = pl.col("predicted_funding_time") > pl.col("funding_time")
    joined = joined.with_columns(
        pl.when(later).then(pl.col(name)).otherwise(None).alias(name) for name in _PREDICTED.values()
    )
    return normalise(joined, prefix="predicted_")


def with_weights(funding: pl.DataFrame, open_interest: pl.DataFrame, as_of: int, max_age_ms: int) -> pl.DataFrame:
    """Decide which rows enter the cross-venue aggregate at the common time ``as_of``.

    ``open_interest`` holds, per venue and symbol, the latest OI at or before ``as_of`` with ``oi_usd`` filled
    (see :func:`perpscope.analytics.open_interest.with_usd`). Adds ``oi_usd``, ``oi_time``, ``oi_usd_basis``,
    ``oi_usd_derived``, ``oi_source``, ``current``, ``in_aggregate`` and ``weight`` (the row's share of its
    base's weights).

    - ``current``: the settled print is still the venue's rate at ``as_of``: no more than one interval plus
      ``max_age_ms`` old (a venue that missed a settlement is not averaged in with a stale rate).
    - ``in_aggregate``: current, and its OI in USD is known and no older than ``max_age_ms`` at ``as_of``.
    """
    oi = open_interest.select(
        *["venue", "symbol", "oi_usd", "oi_usd_basis", "oi_usd_derived"],
        pl.col("ts_event").alias("oi_time"),
        pl.col("source").alias("oi_source"),
    )
    joined = funding.join(oi, on=["venue", "symbol"], how="left")
    age_allowed = pl.col("interval_h") * MS_PER_HOUR + max_age_ms
    oi_fresh = pl.col("oi_usd").is_not_null() & (pl.lit(as_of) - pl.col("oi_time") <= max_age_ms)
    joined = joined.with_columns(current=(pl.lit(as_of) - pl.col("funding_time")) <= age_allowed)
    joined = joined.with_columns(in_aggregate=(pl.col("current") & oi_fresh).fill_null(False))
    weight = pl.when(pl.col("in_aggregate")).then(pl.col("oi_usd")).otherwise(0.0)
    joined = with_base(joined) if "base" not in joined.columns else joined
    return joined.with_columns(weight=pl.when(pl.col("in_aggregate")).then(weight / weight.sum().over("base")))


VIEW_COLUMNS = (
    "base",
    "venue",
    "symbol",
    "native_symbol",
    "rate",
    "interval_h",
    "rate_8h",
    "apr",
    "funding_time",
    "source",
    "current",
    "predicted_rate",
    "predicted_interval_h",
    "predicted_rate_8h",
    "predicted_apr",
    "predicted_funding_time",
    "predicted_observed_at",
    "predicted_source",
    "oi_usd",
    "oi_time",
    "oi_usd_basis",
    "oi_usd_derived",
    "oi_source",
    "in_aggregate",
    "weight",
)
"""The columns of the funding view, in display order (:meth:`perpscope.api.Perpscope.funding`)."""


def oi_weighted_mean(rates_8h: pl.Series, weights_usd: pl.Series) -> float | None:
    """``sum(rate_8h x OI) / sum(OI)`` over the pairs where both are known; None when no weight is left."""
    pairs = pl.DataFrame({"rate": rates_8h, "weight": weights_usd}).drop_nulls()
    total = float(pairs["weight"].sum())
    if pairs.is_empty() or total <= 0:
        return None
    return float((pairs["rate"] * pairs["weight"]).sum()) / total


def simple_mean(rates_8h: pl.Series) -> float | None:
    """The unweighted mean of the known rates: every venue counts once, whatever its size."""
    known = rates_8h.drop_nulls()
    return None if known.is_empty() else float(known.mean())  # type: ignore[arg-type]


def cross_venue(weighted: pl.DataFrame, as_of: int, max_age_ms: int) -> pl.DataFrame:
    """One row per base from a :func:`with_weights` frame: ``oi_weighted_rate_8h`` / ``oi_weighted_apr`` over
    the ``in_aggregate`` rows, ``simple_mean_rate_8h`` / ``simple_mean_apr`` over the ``current`` rows, the
    venue names in and out (a venue with two perps of one base, both weighted, is named once; a venue is
    "out" when any of its rows is), ``weights_total_usd``, ``as_of`` and ``oi_max_age_h``."""
    rows = []
    for (base,), group in weighted.sort("venue", "symbol").group_by("base", maintain_order=True):
        included = group.filter(pl.col("in_aggregate"))
        current = group.filter(pl.col("current"))
        weighted_rate = oi_weighted_mean(included["rate_8h"], included["oi_usd"])
        plain_rate = simple_mean(current["rate_8h"])
        rows.append(
            {
                "base": base,
                "as_of": as_of,
                "oi_weighted_rate_8h": weighted_rate,
                "oi_weighted_apr": _apr_of_8h(weighted_rate),
                "simple_mean_rate_8h": plain_rate,
                "simple_mean_apr": _apr_of_8h(plain_rate),
                "venues_included": _labels(included),
                "venues_excluded": _labels(group.filter(~pl.col("in_aggregate"))),
                "weights_total_usd": float(included["oi_usd"].sum()),
                "oi_max_age_h": max_age_ms / MS_PER_HOUR,
            }
        )
    return pl.DataFrame(rows, schema=_CROSS_VENUE_SCHEMA)


_CROSS_VENUE_SCHEMA: dict[str, pl.DataType] = {
    "base": pl.String(),
    "as_of": pl.Int64(),
    "oi_weighted_rate_8h": pl.Float64(),
    "oi_weighted_apr": pl.Float64(),
    "simple_mean_rate_8h": pl.Float64(),
    "simple_mean_apr": pl.Float64(),
    "venues_included": pl.List(pl.String()),
    "venues_excluded": pl.List(pl.String()),
    "weights_total_usd": pl.Float64(),
    "oi_max_age_h": pl.Float64(),
}


def _apr_of_8h(rate_8h: float | None) -> float | None:
    return None if rate_8h is None else rate_8h * HOURS_PER_YEAR / BASIS_H


def _labels(group: pl.DataFrame) -> list[str]:
    return sorted(set(group["venue"].to_list()))
