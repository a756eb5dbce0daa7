"""The estimated liquidation heatmap (a range, zoomable) and the liquidation map with its sentences."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from perpscope.analytics.heatmap.config import HeatmapConfig
from perpscope.analytics.heatmap.outputs import UNITS as HEATMAP_UNITS
from perpscope.api import Perpscope
from perpscope.service import dashboard as board
from perpscope.service import heatmap as service
from perpscope.web import grids, limits
from perpscope.web.cache import ResultCache
from perpscope.web.responses import JSON
from perpscope.web.routes import Api, Symbol, Time, Venues, context

router = APIRouter(prefix="/api", tags=["heatmap"])
log = logging.getLogger(__name__)

Range = Literal["12h", "24h", "3d", "7d", "30d", "90d", "180d", "1y"]
Price = Annotated[float | None, Query(gt=0, lt=1e9, description="USD")]


@router.get("/heatmap", summary="The estimated liquidation heatmap over a range, with price candles")
def heatmap(
    request: Request,
    api: Api,
    symbol: Symbol = "BTC",
    range: Range = "24h",
    venue: Venues = None,
    since: Time = None,
    until: Time = None,
    price_min: Price = None,
    price_max: Price = None,
    columns: Annotated[int, Query(ge=10, le=limits.MAX_COLUMNS)] = 360,
    rows: Annotated[int, Query(ge=10, le=limits.MAX_ROWS_PRICE)] = 200,
) -> JSON:
    """``range`` picks the model run (its end is the newest stored bar); ``since``/``until`` and the price
    bounds zoom into it without running the model again."""
    chosen = limits.venues(venue)
    span = limits.window_ms(range, "range")
    column_ms = limits.HEATMAP_RANGES[range]
    end, result = latest_run(api, context(request).cache, symbol, chosen, range)
    start = max(limits.moment(since, "since") or end - span, end - span)
    stop = min(limits.moment(until, "until") or end, end)
    if start >= stop:
        raise limits.bad_request("since", "the zoom window must lie inside the range and not be empty")
    if price_min is not None and price_max is not None and price_min >= price_max:
        raise limits.bad_request("price_min", "must be below price_max")
    window = grids.heatmap_window(result.heatmap, column_ms, start, stop, columns, rows, price_min, price_max)
    return JSON(
        {
            "symbol": symbol.upper(),
            "venues": list(result.heatmap.venues),
            "range": range,
            "range_since": end - span,
            "range_until": end,
            "label": result.heatmap.label,
            **window,
            "units": {**HEATMAP_UNITS, "long": HEATMAP_UNITS["long_usd"], "short": HEATMAP_UNITS["short_usd"]},
            "assumptions": list(result.heatmap.assumptions),
            "notes": list(result.notes),
        }
    )


def latest_run(
    api: Perpscope, cache: ResultCache, symbol: str, venues: list[str] | None, range: str
) -> tuple[int, service.HeatmapResult]:
    """The model run over ``range`` up to the newest stored bar (its end, ms, and the result), from ``cache`` when
    one less than ``limits.HEATMAP_REFRESH_S`` old is there."""
    span, column_ms = limits.window_ms(range, "range"), limits.HEATMAP_RANGES[range]
    latest = service.latest_bar_time(api.store, symbol, venues) + 1

    def run() -> tuple[int, service.HeatmapResult]:
        config = HeatmapConfig(column_ms=column_ms)
        return latest, service.heatmap(api.store, symbol, latest - span, latest, config, venues)

    key = (symbol.upper(), tuple(venues or ()), range)
    version = board.data_version(api.store, symbol)
    return cache.recent("heatmap", key, version, run, limits.HEATMAP_REFRESH_S)


@router.get("/heatmap/map", summary="The estimated liquidation map at a time, and what a move would put at risk")
def liquidation_map(request: Request, api: Api, symbol: Symbol = "BTC", venue: Venues = None, at: Time = None) -> JSON:
    chosen = limits.venues(venue)
    moment = limits.moment(at, "at")
    at_bar = moment if moment is not None else service.latest_bar_time(api.store, symbol, chosen)
    cache, version = context(request).cache, board.data_version(api.store, symbol)
    if moment is not None:
        key = (symbol.upper(), tuple(chosen or ()), at_bar, version)
        return JSON(cache.get("map", key, lambda: _map(api, symbol, at_bar, chosen)))
    latest = (symbol.upper(), tuple(chosen or ()), "latest")  # the newest bar's map, rerun at most once a refresh
    refresh = limits.HEATMAP_REFRESH_S
    return JSON(cache.recent("map", latest, version, lambda: _map(api, symbol, at_bar, chosen), refresh))


def _map(api: Perpscope, symbol: str, at: int, venues: list[str] | None) -> dict[str, Any]:
    result = service.liquidation_map(api.store, symbol, at, venues=venues)
    units = {"price": "USD", "long_usd": "USD of long levels per bin", "short_usd": "USD of short levels per bin"}
    units["cumulative_usd"] = "USD a move from the price to the bin's middle would cross"
    return {**grids.map_view(result.map), "notes": list(result.notes), "units": units}


def warm(
    opener: Callable[[], AbstractContextManager[Perpscope]], cache: ResultCache, symbol: str = "BTC", range: str = "24h"
) -> None:
    """Run the page's default heatmap (BTC, 24 h, every venue) into ``cache``, so that the first visitor does not
    wait for the model; nothing when the database has no such symbol. Errors are logged: the page still works."""
    try:
        with opener() as api:
            if symbol in board.markets(api.store):
                latest_run(api, cache, symbol, None, range)
    except Exception as error:  # a warm-up must never stop the server; the request will say what is wrong
        log.warning("heatmap warm-up skipped: %s", error)
