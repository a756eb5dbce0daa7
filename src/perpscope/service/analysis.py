"""Analysis services: regimes, flips, the market grid, OI extremes, liquidation waves and clusters, ratios, the
positioning index and signals. Each takes a :class:`~perpscope.store.Store` and returns polars or records.

The SQL here is the common subset of DuckDB and PostgreSQL with ``?`` placeholders (like :mod:`perpscope.queries`,
whose public functions are reused where they fit). Times are int ms UTC; ``[since, until)`` is half-open.
Definitions and defaults: docs/analytics.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from perpscope import queries
from perpscope.analytics import funding as funding_math
from perpscope.analytics import market, regimes, sentiment, waves
from perpscope.analytics import open_interest as oi_math
from perpscope.analytics.signals import DEFAULT_THRESHOLDS as DEFAULT_SIGNAL_THRESHOLDS
from perpscope.analytics.signals import Signal, SignalThresholds
from perpscope.analytics.signals.detect import detect_all
from perpscope.errors import QueryError
from perpscope.models import base_of
from perpscope.store import Store, schema
from perpscope.times import MS_PER_HOUR, format_ms

_CANDLE_INTERVALS_MS = {"1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000}


def _rows(store: Store, table: str, symbol: str, since: int | None, until: int | None, extra: str = "") -> pl.DataFrame:
    condition, params = queries.symbol_condition(symbol)
    conditions: list[str] = [condition]
    if since is not None:
        conditions.append("ts_event >= ?")
        params.append(since)
    if until is not None:
        conditions.append("ts_event < ?")
        params.append(until)
    if extra:
        conditions.append(extra)
    columns = ", ".join(schema.table(table).column_names)
    sql = f"SELECT {columns} FROM {table} WHERE {' AND '.join(conditions)} ORDER BY ts_event, venue, symbol"
    return store.query(sql, params)


# -- funding ---------------------------------------------------------------------------------------------------


def settled_funding(store: Store, symbol: str, since: int | None, until: int | None) -> pl.DataFrame:
    """Settled prints in ``[since, until)`` with ``rate_8h``, ``apr`` and ``known_at``."""
    rows = queries.funding_history(store, symbol, since, until)
    return regimes.with_known_at(funding_math.normalise(rows))


def funding_regimes(
    store: Store,
    symbol: str,
    since: int,
    until: int,
    thresholds: regimes.RegimeThresholds = regimes.DEFAULT_THRESHOLDS,
    zscore: regimes.ZScoreWindow = regimes.DEFAULT_ZSCORE,
) -> pl.DataFrame:
    """Settled prints in ``[since, until)`` with ``regime`` and ``zscore`` (the trailing window reaches before
    ``since``, so the first prints have one too)."""
    rows = settled_funding(store, symbol, since - zscore.window_ms, until)
    judged = regimes.with_regimes(rows, thresholds, zscore)
    return judged.filter(pl.col("funding_time") >= since).sort("funding_time", "venue")


def funding_flips(
    store: Store, symbol: str, since: int, until: int, venues: Sequence[str] | None = None
) -> dict[str, pl.DataFrame]:
    """``venue``: per-venue sign flips in ``[since, until)``; ``cross_venue``: the moments every one of ``venues``
    (default: the venues with settled prints in the range) turned negative or positive together. "First time
    since" looks back through the whole stored history."""
    history = settled_funding(store, symbol, None, until)
    per_venue = regimes.venue_flips(history).filter(pl.col("funding_time") >= since)
    chosen = list(venues) if venues else sorted(set(history.filter(pl.col("funding_time") >= since)["venue"]))
    together = regimes.cross_venue_flips(history, chosen) if chosen else pl.DataFrame()
    if not together.is_empty():
        together = together.filter(pl.col("time") >= since)
    return {"venue": per_venue.sort("funding_time", "venue"), "cross_venue": together}


def regime_events(
    store: Store, symbol: str, since: int, until: int, thresholds: regimes.RegimeThresholds = regimes.DEFAULT_THRESHOLDS
) -> pl.DataFrame:
    """Per venue, entering and leaving ``overheated`` within ``[since, until)``."""
    judged = funding_regimes(store, symbol, since - 30 * 24 * MS_PER_HOUR, until, thresholds)
    return regimes.regime_changes(judged).filter(pl.col("funding_time") >= since)


# -- the market grid ---------------------------------------------------------------------------------------------


def candles_1h(store: Store, symbol: str, since: int | None, until: int | None) -> pl.DataFrame:
    """Hourly last-price candles per venue; a venue with only finer candles has them rolled up to hours
    (first open, highest high, lowest low, last close)."""
    hourly = _rows(store, "candles", symbol, since, until, "interval = '1h' AND kind = 'last'")
    marks = ", ".join(f"'{name}'" for name in _CANDLE_INTERVALS_MS)
    finer = _rows(store, "candles", symbol, since, until, f"interval IN ({marks}) AND kind = 'last'")
    finer = finer.filter(~pl.col("venue").is_in(hourly["venue"].unique().implode()))
    if finer.is_empty():
        return hourly
    rolled = (
        finer.sort("ts_event")
        .with_columns(hour=(pl.col("ts_event") // MS_PER_HOUR) * MS_PER_HOUR)
        .group_by("venue", "symbol", "hour")
        .agg(pl.col("open").first(), pl.col("high").max(), pl.col("low").min(), pl.col("close").last())
        .rename({"hour": "ts_event"})
    )
    return pl.concat([hourly.select(rolled.columns), rolled], how="vertical_relaxed").sort("ts_event", "venue")


def market_grid(store: Store, symbol: str, since: int, until: int, window_ms: int) -> pl.DataFrame:
    """One row per hour close in ``(since, until]``: median price bars, cross-venue funding (simple and
    OI-weighted, settled and current), aggregate OI and its change over ``window_ms``, the price change over
    the same span and the OI/price ``quadrant``. Data from ``window_ms`` + 1 day before ``since`` is read, so
    the first rows have their changes."""
    lookback = since - window_ms - 24 * MS_PER_HOUR
    bars = market.price_bars(candles_1h(store, symbol, lookback, until))
    times = market.hour_frame(lookback, until)
    bars = times.join(bars.drop("open_time"), on="time", how="left").with_columns(
        open_time=pl.col("time") - MS_PER_HOUR
    )
    # The grid's last row is ``until`` itself: prints at that moment belong to it. Funding is read one 8 h
    # interval further, for the rates a venue fixes an interval early (``known_at`` keeps out the rest).
    settled = settled_funding(store, symbol, lookback - 24 * MS_PER_HOUR, until + 8 * MS_PER_HOUR + 1)
    oi = _oi_with_usd(store, symbol, lookback - oi_math.OI_MAX_AGE_MS, until + 1)
    grid = market.market_grid(bars, settled, oi, window_ms)
    return oi_math.with_quadrant(grid.filter(pl.col("time") > since))


def _oi_with_usd(store: Store, symbol: str, since: int, until: int) -> pl.DataFrame:
    """OI history with ``oi_usd`` filled from the print's own conversion price where only base units are stored."""
    rows = queries.open_interest_history(store, symbol, since, until)
    own = pl.col("oi_usd").is_null() & pl.col("oi_base").is_not_null() & pl.col("conversion_price").is_not_null()
    return rows.with_columns(
        oi_usd=pl.when(own).then(pl.col("oi_base") * pl.col("conversion_price")).otherwise("oi_usd")
    )


# -- open interest ------------------------------------------------------------------------------------------------


def oi_extremes(store: Store, symbol: str, since: int, until: int) -> pl.DataFrame:
    """Per venue and symbol over ``[since, until)``: the latest OI in USD (and base units, from the hourly close
    where only USD is stored) against the range's low and high ("+31% from the October low")."""
    history = _oi_with_usd(store, symbol, since, until)
    if history.is_empty():
        raise QueryError(f"no open interest for {symbol.upper()} between {format_ms(since)} and {format_ms(until)}")
    bars = market.price_bars(candles_1h(store, symbol, since - MS_PER_HOUR, until))
    history = oi_math.with_base_units(history, bars)
    rows = []
    for (venue, name), group in history.group_by("venue", "symbol", maintain_order=True):
        usd = oi_math.change_from_extremes(group, "oi_usd", "ts_event")
        base = oi_math.change_from_extremes(group, "oi_base", "ts_event")
        rows.append({"venue": venue, "symbol": name, **usd, "latest_base": base["latest"], "low_base": base["low"]})
    return pl.DataFrame(rows).sort("venue", "symbol")


# -- liquidations -------------------------------------------------------------------------------------------------


def liquidation_events(store: Store, symbol: str, since: int, until: int) -> pl.DataFrame:
    return queries.liquidation_events(store, symbol, since, until)


def liquidation_waves(
    store: Store, symbol: str, since: int, until: int, options: waves.WaveOptions = waves.DEFAULT_WAVES
) -> pl.DataFrame:
    return waves.waves(liquidation_events(store, symbol, since, until), options)


def liquidation_clusters(
    store: Store, symbol: str, since: int, until: int, bucket_usd: float | None = None, fraction: float = 0.005
) -> pl.DataFrame:
    """Clusters by price bucket; ``bucket_usd`` defaults to :func:`nice_bucket` of the events' median price."""
    events = liquidation_events(store, symbol, since, until)
    if events.is_empty():
        return waves.clusters(events, 1.0)
    width = bucket_usd or nice_bucket(float(events["price"].median() or 0.0), fraction)  # type: ignore[arg-type]
    return waves.clusters(events, width)


def nice_bucket(price: float, fraction: float = 0.005) -> float:
    """``fraction`` of ``price`` rounded down to 1, 2 or 5 x a power of ten: $500 for BTC at $100,000."""
    if price <= 0:
        return 1.0
    target = price * fraction
    power = 10.0 ** int(f"{target:e}".split("e")[1])
    return max(step * power for step in (1.0, 2.0, 5.0) if step * power <= target)


def ratios(store: Store, symbol: str, since: int, until: int) -> dict[str, pl.DataFrame]:
    """``long_short``: account ratios with ``ratio``; ``taker``: taker buy/sell volume with ``ratio``."""
    long_short = waves.ratio_view(_rows(store, "long_short_ratios", symbol, since, until))
    taker = waves.taker_view(_rows(store, "taker_volume", symbol, since, until))
    return {"long_short": long_short, "taker": taker}


# -- sentiment and signals ---------------------------------------------------------------------------------------


def positioning(store: Store, symbol: str, at: int, window_ms: int = 24 * MS_PER_HOUR) -> sentiment.PositioningIndex:
    """The positioning index at ``at`` from the grid row of the last closed hour, the mean latest long-account
    share per venue (``accounts`` ratios no older than ``window_ms``) and liquidations in the window."""
    hour = at - at % MS_PER_HOUR
    grid = market_grid(store, symbol, hour - MS_PER_HOUR, hour, window_ms)
    row: dict[str, Any] = grid.row(-1, named=True) if not grid.is_empty() else {}
    shares = _rows(store, "long_short_ratios", symbol, at - window_ms, at + 1, "kind = 'accounts'")
    long_share = None
    if not shares.is_empty():
        long_share = float(shares.sort("ts_event").group_by("venue", "symbol").last()["long_share"].mean())  # type: ignore[arg-type]
    events = liquidation_events(store, symbol, at - window_ms, at + 1)
    long_usd = float(events.filter(pl.col("side") == "long")["notional_usd"].sum())
    short_usd = float(events.filter(pl.col("side") == "short")["notional_usd"].sum())
    inputs = {
        "funding": row.get("funding_weighted_8h")
        if row.get("funding_weighted_8h") is not None
        else row.get("funding_simple_8h"),
        "oi_change": row.get("oi_change_fraction"),
        "long_short": long_share,
        "liquidations": sentiment.liquidation_imbalance(long_usd, short_usd),
    }
    return sentiment.positioning_index(at, symbol.upper(), inputs)


FEAR_GREED_MAX_AGE_MS = 2 * 24 * MS_PER_HOUR  # a daily index: an older value is not "the" value at ``at``


def fear_greed(store: Store, symbol: str, at: int) -> dict[str, Any] | None:
    """alternative.me's Fear & Greed value (0-100) for the day containing ``at``, or the latest within two days
    before it: a third party's figure shown beside the positioning index, never part of it."""
    frame = store.query(
        "SELECT ts_event, value, classification, source FROM sentiment "
        "WHERE symbol = ? AND series = 'fear_greed' AND ts_event <= ? AND ts_event > ? ORDER BY ts_event DESC LIMIT 1",
        [base_of(symbol), at, at - FEAR_GREED_MAX_AGE_MS],
    )
    return None if frame.is_empty() else frame.row(0, named=True)


def signals(
    store: Store, symbol: str, since: int, until: int, thresholds: SignalThresholds = DEFAULT_SIGNAL_THRESHOLDS
) -> list[Signal]:
    """Every signal in ``(since, until]``: see :mod:`perpscope.analytics.signals.detect`."""
    grid = market_grid(store, symbol, since, until, thresholds.window_ms)
    lookback = since - thresholds.flip_within_ms
    events = liquidation_events(store, symbol, lookback, until)
    found_waves = waves.waves(events, thresholds.waves)
    median = grid["close"].median() if not grid.is_empty() else None
    bucket = nice_bucket(float(median), thresholds.cluster_bucket_fraction) if median is not None else 1.0  # type: ignore[arg-type]
    found_clusters = waves.clusters(events, bucket)
    return detect_all(grid, found_waves, found_clusters, symbol.upper(), thresholds)
