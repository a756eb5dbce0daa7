"""The window's rows per channel, read through the service layer.

Funding, open interest and liquidations come from :class:`~perpscope.api.Perpscope` history methods. Candles and
recorded gaps have no history method yet, so they are read with :meth:`Perpscope.query` (read-only SQL with ``?``
placeholders, the common subset of DuckDB and PostgreSQL).
"""

from __future__ import annotations

import polars as pl

from perpscope import queries
from perpscope.api import Perpscope
from perpscope.errors import QueryError
from perpscope.report.data import Window
from perpscope.times import MS_PER_DAY, parse_duration

_TABLES = ("funding", "open_interest", "candles", "liquidations")
# Candles are read at the interval nearest to this many bars per window: hourly bars for a week.
_BARS_WANTED = 168


def newest_time(api: Perpscope, symbol: str) -> int:
    """The newest ``ts_event`` of the symbol over the report's tables: the data's own present."""
    times = [api.latest_time(table, symbol) for table in _TABLES]
    known = [time for time in times if time is not None]
    if not known:
        raise QueryError(
            f"nothing stored for {symbol.upper()}; symbols present: {', '.join(api.bases('funding')) or 'none'}"
        )
    return max(known)


def funding(api: Perpscope, window: Window) -> pl.DataFrame:
    """Settled funding prints with ``rate_8h`` and ``apr``."""
    frame: pl.DataFrame = api.funding_history(window.symbol, since=window.start, until=window.end + 1)
    return frame


def open_interest(api: Perpscope, window: Window) -> pl.DataFrame:
    """Open-interest prints with ``oi_usd`` filled where the row itself allows it (``oi_base`` × the row's
    ``conversion_price``) and ``oi_usd_derived`` set where the venue did not report USD; rows without a USD
    value are dropped (the coverage section shows what is left)."""
    frame: pl.DataFrame = api.open_interest_history(window.symbol, since=window.start, until=window.end + 1)
    if frame.is_empty():
        return frame.with_columns(oi_usd_derived=pl.lit(None, dtype=pl.Boolean))
    converted = pl.col("oi_base") * pl.col("conversion_price")
    return frame.with_columns(
        oi_usd=pl.coalesce(pl.col("oi_usd"), converted),
        oi_usd_derived=pl.col("reported") != "usd",
    ).drop_nulls("oi_usd")


def liquidations(api: Perpscope, window: Window) -> pl.DataFrame:
    frame: pl.DataFrame = api.liquidation_events(window.symbol, since=window.start, until=window.end + 1)
    return frame


def candles(api: Perpscope, window: Window) -> pl.DataFrame:
    """Last-price candles opened in the window, one interval per venue and symbol: the one nearest to
    :data:`_BARS_WANTED` bars over the window (hourly for a week, daily for half a year)."""
    condition, params = queries.symbol_condition(window.symbol)
    sql = (
        "SELECT venue, symbol, interval, ts_event, open, high, low, close, volume, source FROM candles "
        f"WHERE kind = 'last' AND {condition} AND ts_event >= ? AND ts_event <= ? ORDER BY venue, symbol, ts_event"
    )
    rows: pl.DataFrame = api.query(sql, [*params, window.start, window.end])
    if rows.is_empty():
        return rows
    target = (window.end - window.start) / _BARS_WANTED
    intervals = rows.select("venue", "symbol", "interval").unique()
    intervals = intervals.with_columns(
        distance=pl.col("interval").map_elements(lambda text: abs(_interval_ms(text) - target), return_dtype=pl.Float64)
    )
    chosen = intervals.sort("distance", "interval").group_by("venue", "symbol", maintain_order=True).first()
    return rows.join(chosen.select("venue", "symbol", "interval"), on=["venue", "symbol", "interval"])


def _interval_ms(interval: str) -> float:
    try:
        return float(parse_duration(interval))
    except ValueError:
        return float(MS_PER_DAY)


def stored_gaps(api: Perpscope, window: Window) -> pl.DataFrame:
    """Gaps the collector recorded that overlap the window, for the symbol or for a whole connection (``*``)."""
    condition, params = queries.symbol_condition(window.symbol)
    sql = (
        "SELECT venue, symbol, channel, ts_event, ts_end, reason FROM gaps "
        f"WHERE (symbol = '*' OR {condition}) AND backfilled = false AND ts_end >= ? AND ts_event <= ? "
        "ORDER BY ts_event, venue, channel"
    )
    frame: pl.DataFrame = api.query(sql, [*params, window.start, window.end])
    return frame
