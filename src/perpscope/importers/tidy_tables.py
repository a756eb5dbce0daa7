"""Turning a parsed tidy file (one row per venue, coin and time) into store tables.

Every builder receives a polars frame with ``ts`` (ms), ``venue``, ``coin``, ``quote``, ``native``, ``_line`` and
the file's value columns already checked and typed, and returns Arrow tables matching :mod:`perpscope.store.schema`.
"""

from __future__ import annotations

import dataclasses
import math

import polars as pl
import pyarrow as pa

from perpscope.errors import ParseError
from perpscope.importers.base import LINE_COLUMN, ImportOptions, SkipFile
from perpscope.models import CandleKind, FundingKind, OIUnit, Side
from perpscope.times import MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE
from perpscope.venues import catalog

FUNDING_INTERVALS_H = (1.0, 2.0, 4.0, 8.0)
CANDLE_INTERVALS = {
    MS_PER_MINUTE: "1m",
    3 * MS_PER_MINUTE: "3m",
    5 * MS_PER_MINUTE: "5m",
    15 * MS_PER_MINUTE: "15m",
    30 * MS_PER_MINUTE: "30m",
    MS_PER_HOUR: "1h",
    2 * MS_PER_HOUR: "2h",
    4 * MS_PER_HOUR: "4h",
    6 * MS_PER_HOUR: "6h",
    8 * MS_PER_HOUR: "8h",
    12 * MS_PER_HOUR: "12h",
    MS_PER_DAY: "1d",
}

# Liquidation ``side`` values of this source, per venue. OKX publishes the liquidation ORDER's side (buy = a short
# was closed). For Hyperliquid the source writes B/S for the liquidated POSITION (B = bought = long, S = sold short):
# of the sample's 468 BTC "S" events, 290 (60% of the notional) filled above Binance's 1-minute high in the same
# minute and only 4 below its low, 91% of the notional fell in minutes where BTC rose, and the USD-weighted fill is
# 14.7 bp above Binance's close — forced buys, i.e. shorts liquidated into rising prices. docs/importing.md has
# the full evidence and its caveat (other coins' "S" bursts also occur in falling markets).
SIDES: dict[tuple[str, str], Side] = {
    ("okx", "buy"): Side.SHORT,
    ("okx", "sell"): Side.LONG,
    ("hyperliquid", "b"): Side.LONG,
    ("hyperliquid", "s"): Side.SHORT,
    ("*", "long"): Side.LONG,
    ("*", "short"): Side.SHORT,
}


@dataclasses.dataclass(frozen=True)
class Context:
    file: str
    label: str  # the ``source`` column
    options: ImportOptions
    candle_hint: str | None  # interval named in the file name (``..._1h_...``), if any
    candle_kind: CandleKind


def _common(frame: pl.DataFrame, context: Context) -> list[pl.Expr]:
    return [
        pl.col("venue"),
        (pl.col("coin").str.to_uppercase() + "-" + pl.col("quote") + "-PERP").alias("symbol"),
        pl.col("native").alias("native_symbol"),
        pl.col("ts").alias("ts_event"),
        pl.lit(context.options.ts_recv, dtype=pl.Int64).alias("ts_recv"),
        pl.lit(context.label).alias("source"),
    ]


def _arrow(frame: pl.DataFrame) -> pa.Table:
    return frame.to_arrow()


def funding(frame: pl.DataFrame, context: Context) -> dict[str, pa.Table]:
    """Settled prints; ``interval_h`` per (venue, coin) from the median spacing of consecutive prints."""
    spacing = (
        frame.sort("ts")
        .group_by("venue", "coin")
        .agg(pl.col("ts").diff().median().alias("spacing"))
        .with_columns(pl.struct("venue", "spacing").map_elements(_interval_h, return_dtype=pl.Float64).alias("hours"))
    )
    joined = frame.join(spacing.select("venue", "coin", "hours"), on=["venue", "coin"], how="left")
    table = joined.select(
        *_common(joined, context),
        pl.col("funding_rate").alias("rate"),
        pl.col("hours").alias("interval_h"),
        pl.lit(FundingKind.SETTLED.value).alias("kind"),
        pl.col("ts").alias("funding_time"),
        pl.col(LINE_COLUMN),
    )
    return {"funding": _arrow(table)}


def _interval_h(group: dict[str, object]) -> float:
    """The known interval nearest (by ratio) to the median spacing; the venue's usual one for a single print."""
    spacing = group["spacing"]
    if not isinstance(spacing, int | float) or spacing <= 0:
        facts = catalog.facts(str(group["venue"]))
        return facts.funding_interval_h if facts else 8.0
    hours = spacing / MS_PER_HOUR
    return min(FUNDING_INTERVALS_H, key=lambda known: abs(math.log(hours / known)))


def daily_mean(frame: pl.DataFrame, context: Context) -> dict[str, pa.Table]:
    """A third party's mean of one UTC day's settled Binance rates (8-hourly in that history)."""
    table = frame.select(
        *_common(frame, context),
        pl.col("funding_mean").alias("rate"),
        pl.lit(8.0).alias("interval_h"),
        pl.lit(FundingKind.DAILY_MEAN.value).alias("kind"),
        pl.col("ts").alias("funding_time"),
        pl.col(LINE_COLUMN),
    )
    return {"funding": _arrow(table)}


def candles(frame: pl.DataFrame, context: Context) -> dict[str, pa.Table]:
    interval = context.candle_hint or _candle_interval(frame, context)
    volume = pl.col("v") if "v" in frame.columns else pl.lit(None, dtype=pl.Float64)
    table = frame.select(
        *_common(frame, context),
        pl.lit(interval).alias("interval"),
        pl.lit(context.candle_kind.value).alias("kind"),
        pl.col("o").alias("open"),
        pl.col("h").alias("high"),
        pl.col("l").alias("low"),
        pl.col("c").alias("close"),
        volume.alias("volume"),
        pl.lit(None, dtype=pl.Float64).alias("quote_volume"),
        pl.col(LINE_COLUMN),
    )
    return {"candles": _arrow(table)}


def _candle_interval(frame: pl.DataFrame, context: Context) -> str:
    spacing = frame.sort("ts").select(pl.col("ts").diff().over("venue", "coin").median()).item()
    if spacing is not None and int(spacing) in CANDLE_INTERVALS:
        return CANDLE_INTERVALS[int(spacing)]
    raise ParseError(
        f"cannot tell the candle interval: bars are {spacing} ms apart (name it in the file name, e.g. _1h_)",
        file=context.file,
    )


def open_interest(frame: pl.DataFrame, context: Context) -> dict[str, pa.Table]:
    table = frame.select(
        *_common(frame, context),
        pl.lit(None, dtype=pl.Float64).alias("oi_contracts"),
        pl.lit(None, dtype=pl.Float64).alias("oi_base"),
        pl.col("oi_usd"),
        pl.lit(OIUnit.USD.value).alias("reported"),
        pl.lit(None, dtype=pl.Float64).alias("conversion_price"),
        pl.col(LINE_COLUMN),
    )
    return {"open_interest": _arrow(table)}


def liquidations(frame: pl.DataFrame, context: Context) -> dict[str, pa.Table]:
    """``size_usd`` is price x size as the source recorded it; for venues that size in contracts (OKX) that size
    was a contract count, so the notional is ``size_usd x contract size``."""
    sides, multipliers, complete = [], [], []
    rows = frame.select("venue", "coin", "side", LINE_COLUMN).iter_rows()
    for venue, coin, side, line in rows:
        sides.append(_side(venue, side, context.file, line).value)
        multipliers.append(_multiplier(venue, coin, context.file, line))
        facts = catalog.facts(venue)
        complete.append(bool(facts and facts.complete_liquidations))
    extra = pl.DataFrame({"_side": sides, "_multiplier": multipliers, "_complete": complete})
    wide = pl.concat([frame, extra], how="horizontal")
    notional = pl.col("size_usd") * pl.col("_multiplier")
    table = wide.select(
        *_common(wide, context),
        pl.col("_side").alias("side"),
        pl.col("price"),
        (notional / pl.col("price")).alias("quantity"),
        notional.alias("notional_usd"),
        pl.col("_complete").alias("complete"),
        pl.col(LINE_COLUMN),
    )
    return {"liquidations": _arrow(table)}


def _side(venue: str, value: str, file: str, line: int | None) -> Side:
    key = value.strip().lower()
    side = SIDES.get((venue, key)) or SIDES.get(("*", key))
    if side is None:
        known = ", ".join(sorted({v for (where, v) in SIDES if where in (venue, "*")}))
        raise ParseError(f"unknown side {value!r} for {venue} (known: {known})", file=file, line=line, field="side")
    return side


def _multiplier(venue: str, coin: str, file: str, line: int | None) -> float:
    if venue not in catalog.CONTRACT_SIZED_VENUES:
        return 1.0
    size = catalog.contract_size(venue, coin)
    if size is None:
        reason = f"{venue} sizes are in contracts and the contract size of {coin} is not in perpscope's catalog"
        raise ParseError(reason, file=file, line=line, field="size_usd")
    return size


def liquidation_totals(frame: pl.DataFrame, context: Context) -> dict[str, pa.Table]:
    """Daily long/short liquidated USD; ``total_usd`` is not stored (it exceeds long + short in the source)."""
    spacing = frame.sort("ts").select(pl.col("ts").unique().sort().diff().median()).item()
    period = CANDLE_INTERVALS.get(int(spacing), "1d") if spacing else "1d"
    count = pl.col("liq_count").cast(pl.Int64) if "liq_count" in frame.columns else pl.lit(None, dtype=pl.Int64)
    table = frame.select(
        *_common(frame, context),
        pl.lit(period).alias("period"),
        pl.col("long_usd"),
        pl.col("short_usd"),
        count.alias("count"),
        pl.col(LINE_COLUMN),
    )
    return {"liquidation_totals": _arrow(table)}


def orderbook_depth(frame: pl.DataFrame, context: Context) -> dict[str, pa.Table]:
    raise SkipFile(
        "order-book depth snapshots (no time column, one row per venue and coin) have no table in perpscope's "
        "store; nothing imported"
    )
