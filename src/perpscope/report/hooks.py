"""Where the report meets the analysis layers that land separately: signals and liquidation waves
(``perpscope.service.analysis``) and the estimated liquidation heatmap and map (``perpscope.service.heatmap``).

HOOK: each function below looks for its layer at run time, because those layers land separately from the report.
When a layer is not installed the report says so (signals: None) or uses the plain stand-in defined here (waves:
the busiest hours by liquidated notional), so the text never claims an analysis that did not run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

import polars as pl

from perpscope.api import Perpscope
from perpscope.report.data import Signal, Wave, Window
from perpscope.times import MS_PER_HOUR

BUSIEST_HOURS = 3
BUSIEST_HOURS_METHOD = "busiest hours by liquidated notional (hourly buckets)"
WAVES_METHOD = "bursts of one side's liquidations, docs/analytics.md"
SIGNALS_SOURCE = "perpscope signals on the stored funding, open interest, candles and liquidations"


def _layer(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _function(module: str, name: str) -> Callable[..., Any] | None:
    layer = _layer(module)
    found = getattr(layer, name, None) if layer is not None else None
    return found if callable(found) else None


def signals(api: Perpscope, window: Window) -> tuple[Signal, ...] | None:
    """Active signals in the window, worded by the analysis layer; None when that layer is absent."""
    detect = _function("perpscope.service.analysis", "signals")
    if detect is None:
        return None
    found = detect(api.store, window.symbol, window.start, window.end)
    return tuple(
        Signal(name=str(item.kind), time=int(item.time), sentence=str(item.sentence), source=SIGNALS_SOURCE)
        for item in sorted(found, key=lambda item: item.time)
    )


def waves(api: Perpscope, window: Window, events: pl.DataFrame) -> tuple[Wave, ...]:
    """Liquidation waves in the window: the analysis layer's bursts of one side's liquidations, or where that
    layer is absent the busiest hours."""
    detect = _function("perpscope.analytics.waves", "waves")
    if detect is None:
        return busiest_hours(events)
    found: pl.DataFrame = detect(events)
    return tuple(
        Wave(
            start=row["start"],
            end=row["end"],
            long_usd=row["notional_usd"] if row["side"] == "long" else 0.0,
            short_usd=row["notional_usd"] if row["side"] == "short" else 0.0,
            events=row["events"],
            low_price=row["price_low"],
            high_price=row["price_high"],
            lower_bound=row["lower_bound"],
            method=WAVES_METHOD,
        )
        for row in found.iter_rows(named=True)
    )


def busiest_hours(events: pl.DataFrame, count: int = BUSIEST_HOURS) -> tuple[Wave, ...]:
    """The ``count`` UTC hours with the most liquidated notional, oldest first."""
    if events.is_empty():
        return ()
    hours = events.with_columns(hour=pl.col("ts_event") // MS_PER_HOUR * MS_PER_HOUR)
    long, short = pl.col("side") == "long", pl.col("side") == "short"
    grouped = hours.group_by("hour").agg(
        pl.col("notional_usd").filter(long).sum().alias("long_usd"),
        pl.col("notional_usd").filter(short).sum().alias("short_usd"),
        pl.col("notional_usd").sum().alias("total_usd"),
        pl.len().alias("events"),
        pl.col("price").min().alias("low_price"),
        pl.col("price").max().alias("high_price"),
        (~pl.col("complete")).any().alias("lower_bound"),
    )
    top = grouped.sort("total_usd", "hour", descending=[True, False]).head(count).sort("hour")
    return tuple(
        Wave(
            start=row["hour"],
            end=row["hour"] + MS_PER_HOUR,
            long_usd=row["long_usd"],
            short_usd=row["short_usd"],
            events=row["events"],
            low_price=row["low_price"],
            high_price=row["high_price"],
            lower_bound=row["lower_bound"],
            method=BUSIEST_HOURS_METHOD,
        )
        for row in top.iter_rows(named=True)
    )


def liquidation_map(api: Perpscope, window: Window) -> Any | None:
    """The estimated liquidation map at the window's end. HOOK: perpscope.service.heatmap."""
    layer = _layer("perpscope.service.heatmap")
    if layer is None:
        return None
    return None  # HOOK: wire once the heatmap service's interface lands


def map_sentences(api: Perpscope, window: Window) -> tuple[str, ...]:
    """The heatmap layer's "a move to $X would put $Y of shorts at risk" sentences (estimated)."""
    return ()
