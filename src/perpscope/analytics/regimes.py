"""Funding regimes, z-scores, sign flips and regime events over settled prints (METHOD.md §1, §6; docs/analytics.md).

Pure functions on frames shaped like the ``funding`` table after :func:`perpscope.analytics.funding.normalise`
(``venue, symbol, rate, interval_h, funding_time, rate_8h, ...``). Every threshold is on the 8-hour equivalent,
so 1 h and 8 h venues are judged alike, and every judgement is on *settled* rates, never on live estimates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from perpscope.times import MS_PER_DAY, MS_PER_HOUR

NEGATIVE = "negative"
NEUTRAL = "neutral"
ELEVATED = "elevated"
OVERHEATED = "overheated"
REGIMES = (NEGATIVE, NEUTRAL, ELEVATED, OVERHEATED)

# Venues that fix a rate one interval before paying it (METHOD.md §1): the print is *known* that much earlier.
# Kept as a parameter rather than a venue branch; docs/analytics.md lists it.
FIXED_EARLY_INTERVALS: Mapping[str, int] = {"okx": 1, "bitmex": 1}


@dataclass(frozen=True)
class RegimeThresholds:
    """Bounds on ``rate_8h`` (fractions per 8 h). ``negative`` below ``negative_below``; ``neutral`` up to
    ``elevated_from`` (the 0.01% baseline and ordinary premia around it); ``elevated`` up to ``overheated_from``;
    ``overheated`` from there (0.07% per 8 h = 76.65% APR)."""

    negative_below: float = 0.0
    elevated_from: float = 0.0005
    overheated_from: float = 0.0007


@dataclass(frozen=True)
class ZScoreWindow:
    """A z-score compares a print with the same venue's prints of the trailing ``window_ms`` before it (the print
    itself excluded); fewer than ``min_prints`` earlier prints, or no variation among them, give null."""

    window_ms: int = 30 * MS_PER_DAY
    min_prints: int = 10


@dataclass(frozen=True)
class FlipOptions:
    fixed_early: Mapping[str, int] = field(default_factory=lambda: dict(FIXED_EARLY_INTERVALS))
    current_slack_ms: int = 2 * MS_PER_HOUR  # a venue's print counts until one interval plus this has passed


DEFAULT_THRESHOLDS = RegimeThresholds()
DEFAULT_ZSCORE = ZScoreWindow()
DEFAULT_FLIP = FlipOptions()


def regime_expr(thresholds: RegimeThresholds = DEFAULT_THRESHOLDS, column: str = "rate_8h") -> pl.Expr:
    """The regime of ``column`` as a string expression (null where the rate is null)."""
    rate = pl.col(column)
    return (
        pl.when(rate.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(rate < thresholds.negative_below)
        .then(pl.lit(NEGATIVE))
        .when(rate < thresholds.elevated_from)
        .then(pl.lit(NEUTRAL))
        .when(rate < thresholds.overheated_from)
        .then(pl.lit(ELEVATED))
        .otherwise(pl.lit(OVERHEATED))
    )


def with_known_at(settled: pl.DataFrame, options: FlipOptions = DEFAULT_FLIP) -> pl.DataFrame:
    """Add ``known_at``: when the settled rate became public, ``funding_time`` less the venue's early-fixing
    intervals (0 for most venues). Event studies start after this moment (METHOD.md §1)."""
    early = pl.col("venue").replace_strict(dict(options.fixed_early), default=0, return_dtype=pl.Int64)
    lead = (early.cast(pl.Float64) * pl.col("interval_h") * MS_PER_HOUR).cast(pl.Int64)
    return settled.with_columns(known_at=pl.col("funding_time") - lead)


def with_regimes(
    settled: pl.DataFrame,
    thresholds: RegimeThresholds = DEFAULT_THRESHOLDS,
    zscore: ZScoreWindow = DEFAULT_ZSCORE,
) -> pl.DataFrame:
    """Add ``regime`` and ``zscore`` (per venue and symbol, against its own trailing window), sorted by venue,
    symbol and time."""
    ordered = settled.sort("venue", "symbol", "funding_time")
    stamped = ordered.with_columns(at=pl.from_epoch("funding_time", time_unit="ms"))
    window = f"{zscore.window_ms}ms"
    rolling = {"window_size": window, "closed": "left", "min_samples": zscore.min_prints}
    mean = pl.col("rate_8h").rolling_mean_by("at", **rolling).over("venue", "symbol")  # type: ignore[arg-type]
    spread = pl.col("rate_8h").rolling_std_by("at", **rolling).over("venue", "symbol")  # type: ignore[arg-type]
    stamped = stamped.with_columns(trailing_mean_8h=mean, trailing_std_8h=spread)
    varied = pl.col("trailing_std_8h") > 0
    z = pl.when(varied).then((pl.col("rate_8h") - pl.col("trailing_mean_8h")) / pl.col("trailing_std_8h"))
    return stamped.with_columns(regime=regime_expr(thresholds), zscore=z).drop("at")


def _sign(column: str) -> pl.Expr:
    """+1 / -1 for a strictly positive / negative rate, null for zero: a zero neither flips nor breaks a run."""
    value = pl.col(column)
    return pl.when(value > 0).then(1).when(value < 0).then(-1).otherwise(None).cast(pl.Int8)


def venue_flips(settled: pl.DataFrame, options: FlipOptions = DEFAULT_FLIP) -> pl.DataFrame:
    """Per venue and symbol, every settled print whose sign differs from the previous non-zero print.

    Columns: ``venue, symbol, funding_time, known_at, rate_8h, previous_rate_8h, previous_time, to_sign``
    (``positive`` / ``negative``) and ``first_since``: the last print before the run just ended that had the new
    sign ("negative for the first time since ..."); null when the data never had that sign before.
    """
    known = with_known_at(settled.sort("venue", "symbol", "funding_time"), options)
    signed = known.with_columns(sign=_sign("rate_8h")).filter(pl.col("sign").is_not_null())
    by = ["venue", "symbol"]
    signed = signed.with_columns(
        previous_sign=pl.col("sign").shift(1).over(by),
        previous_rate_8h=pl.col("rate_8h").shift(1).over(by),
        previous_time=pl.col("funding_time").shift(1).over(by),
    )
    flips = signed.filter(pl.col("previous_sign").is_not_null() & (pl.col("sign") != pl.col("previous_sign")))
    rows = []
    for flip in flips.iter_rows(named=True):
        same_venue = signed.filter(
            (pl.col("venue") == flip["venue"])
            & (pl.col("symbol") == flip["symbol"])
            & (pl.col("sign") == flip["sign"])
            & (pl.col("funding_time") < flip["previous_time"])
        )
        since = same_venue["funding_time"].max() if not same_venue.is_empty() else None
        rows.append(_flip_row(flip, since))
    return pl.DataFrame(rows, schema=FLIP_SCHEMA, orient="row")


FLIP_SCHEMA: dict[str, pl.DataType] = {
    "venue": pl.String(),
    "symbol": pl.String(),
    "funding_time": pl.Int64(),
    "known_at": pl.Int64(),
    "rate_8h": pl.Float64(),
    "previous_rate_8h": pl.Float64(),
    "previous_time": pl.Int64(),
    "to_sign": pl.String(),
    "first_since": pl.Int64(),
}


def _flip_row(flip: dict[str, object], since: object) -> tuple[object, ...]:
    to_sign = "positive" if flip["sign"] == 1 else "negative"
    names = ("venue", "symbol", "funding_time", "known_at", "rate_8h", "previous_rate_8h", "previous_time")
    return (*[flip[name] for name in names], to_sign, since)


def venue_states(settled: pl.DataFrame, options: FlipOptions = DEFAULT_FLIP) -> pl.DataFrame:
    """The sign of every venue's *current* settled rate at each moment one of them became known.

    One row per ``known_at`` time: ``signs`` (a struct-free list of ``venue:sign``), ``venues`` (those with a
    current print), ``negative`` / ``positive`` (counts). A venue is current at ``t`` when its latest print known
    at ``t`` is no older than its interval plus ``current_slack_ms``.
    """
    known = with_known_at(settled, options).sort("known_at")
    times = known.select(pl.col("known_at").unique().sort().alias("time"))
    venues = known.select("venue", "symbol").unique().sort("venue", "symbol")
    grid = times.join(venues, how="cross").sort("time")
    latest = grid.join_asof(known, left_on="time", right_on="known_at", by=["venue", "symbol"], check_sortedness=False)
    allowed = pl.col("interval_h") * MS_PER_HOUR + options.current_slack_ms
    current = latest.filter(pl.col("rate_8h").is_not_null() & ((pl.col("time") - pl.col("funding_time")) <= allowed))
    current = current.with_columns(sign=_sign("rate_8h"))
    return (
        current.group_by("time")
        .agg(
            pl.col("venue").alias("venues"),
            (pl.col("sign") == -1).sum().alias("negative"),
            (pl.col("sign") == 1).sum().alias("positive"),
            pl.col("rate_8h").mean().alias("simple_mean_rate_8h"),
        )
        .sort("time")
    )


def cross_venue_flips(settled: pl.DataFrame, venues: list[str], options: FlipOptions = DEFAULT_FLIP) -> pl.DataFrame:
    """Moments when every one of ``venues`` became negative (or positive) together, judged when the last of
    them became known. Columns: ``time``, ``to_sign``, ``venues`` and ``first_since`` (the previous moment
    all of them had that sign; null when never before in the data)."""
    wanted = sorted({venue.lower() for venue in venues})
    states = venue_states(settled.filter(pl.col("venue").is_in(wanted)), options)
    everyone = pl.col("venues").list.len() == len(wanted)
    states = states.with_columns(
        state=pl.when(everyone & (pl.col("negative") == len(wanted)))
        .then(pl.lit("negative"))
        .when(everyone & (pl.col("positive") == len(wanted)))
        .then(pl.lit("positive"))
        .otherwise(pl.lit("mixed"))
    )
    rows = []
    previous_state = "mixed"
    last_seen: dict[str, int | None] = {"negative": None, "positive": None}
    for time, state in states.select("time", "state").iter_rows():
        if state != "mixed" and state != previous_state:
            rows.append((time, state, wanted, last_seen[state]))
        if state != "mixed":
            last_seen[state] = time
        previous_state = state
    schema = {"time": pl.Int64(), "to_sign": pl.String(), "venues": pl.List(pl.String()), "first_since": pl.Int64()}
    return pl.DataFrame(rows, schema=schema, orient="row")


def regime_changes(with_regime: pl.DataFrame, regime: str = OVERHEATED) -> pl.DataFrame:
    """Per venue and symbol, the prints where the venue entered or left ``regime``: ``event`` is ``enter`` or
    ``leave``; ``previous_regime`` and ``rate_8h`` show the move."""
    by = ["venue", "symbol"]
    ordered = with_regime.sort(*by, "funding_time").with_columns(previous_regime=pl.col("regime").shift(1).over(by))
    inside, before = pl.col("regime") == regime, pl.col("previous_regime") == regime
    changed = ordered.filter(pl.col("previous_regime").is_not_null() & (inside != before))
    event = pl.when(pl.col("regime") == regime).then(pl.lit("enter")).otherwise(pl.lit("leave"))
    columns = ["venue", "symbol", "funding_time", "rate_8h", "previous_regime", "regime"]
    return changed.with_columns(event=event).select(*columns, "event")
