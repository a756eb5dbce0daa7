"""Funding, open interest and liquidations: current figures, history and the feed."""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query

from perpscope.analytics import liquidations as liquidation_math
from perpscope.service import dashboard as board
from perpscope.web import limits
from perpscope.web.responses import JSON, rows
from perpscope.web.routes import Api, Symbol, Time, Venues, Window, at_or_present

router = APIRouter(prefix="/api", tags=["market"])

FUNDING_UNITS = {
    "rate": "fraction per interval_h hours, as the venue publishes it (0.0001 = 0.01%)",
    "interval_h": "hours",
    "rate_8h": "fraction per 8 hours (rate x 8 / interval_h)",
    "apr": "fraction per year, simple (rate x 8760 / interval_h)",
    "oi_usd": "USD",
    "weight": "fraction of the OI-weighted figure",
    "times": "int ms UTC",
}
OI_UNITS = {
    "oi_usd": "USD",
    "oi_base": "base units (BTC for BTC-USDT-PERP)",
    "change_usd": "USD",
    "change_fraction": "fraction of the value at the window's start",
    "times": "int ms UTC",
}
LIQUIDATION_UNITS = {
    "long_usd": "USD notional of liquidated long positions",
    "short_usd": "USD notional of liquidated short positions",
    "price": "USD",
    "quantity": "base units",
    "notional_usd": "USD",
    "lower_bound": "true: the venue's feed drops events, so the sum is at least this much",
    "times": "int ms UTC",
}


@router.get("/symbols", summary="Bases with data, and the venues of each")
def symbols(api: Api) -> JSON:
    venues = board.markets(api.store)
    return JSON({"bases": list(venues), "venues": venues})


@router.get("/funding", summary="Latest settled funding per venue, with the predicted next rate")
def funding(api: Api, symbol: Symbol = "BTC", at: Time = None) -> JSON:
    frame = api.funding(symbol, limits.moment(at, "at"))
    return JSON({"symbol": symbol.upper(), "rows": rows(frame), "units": FUNDING_UNITS})


@router.get("/funding/aggregate", summary="Cross-venue funding per base (OI-weighted and simple mean)")
def funding_aggregate(api: Api, symbol: Symbol = "BTC", at: Time = None) -> JSON:
    frame = api.funding_aggregate(symbol, limits.moment(at, "at"))
    return JSON({"symbol": symbol.upper(), "rows": rows(frame), "units": FUNDING_UNITS})


@router.get("/funding/history", summary="Settled funding per venue, 8-hour normalised, bucketed")
def funding_history(
    api: Api,
    symbol: Symbol = "BTC",
    window: Window = "30d",
    since: Time = None,
    until: Time = None,
    venue: Venues = None,
) -> JSON:
    """``[since, until)``; by default the ``window`` that ends at the data's present."""
    span = limits.time_range(since, until, at_or_present(api, symbol, None), limits.window_ms(window))
    bucket = limits.bucket_for(span.span)
    frame = board.funding_series(api.store, symbol, span.since, span.until, limits.venues(venue), bucket)
    units = {"rate_8h": "fraction per 8 hours, mean of the settled prints in the bucket", "time": "int ms UTC"}
    return JSON({**_span(symbol, span, bucket), "series": _by_venue(frame, "rate_8h"), "units": units})


@router.get("/open-interest", summary="Latest open interest per venue in USD, with its change over the window")
def open_interest(api: Api, symbol: Symbol = "BTC", window: Window = "24h", at: Time = None) -> JSON:
    span = limits.window_ms(window)
    moment = limits.moment(at, "at")
    frame, totals = api.open_interest_with_totals(symbol, moment, span)
    return JSON(
        {"symbol": symbol.upper(), "window": window, "rows": rows(frame), "totals": rows(totals), "units": OI_UNITS}
    )


@router.get("/open-interest/history", summary="Open interest per venue in USD, bucketed")
def open_interest_history(
    api: Api,
    symbol: Symbol = "BTC",
    window: Window = "7d",
    since: Time = None,
    until: Time = None,
    venue: Venues = None,
) -> JSON:
    """``[since, until)``; by default the ``window`` that ends at the data's present."""
    span = limits.time_range(since, until, at_or_present(api, symbol, None), limits.window_ms(window))
    bucket = limits.bucket_for(span.span)
    frame = board.open_interest_series(api.store, symbol, span.since, span.until, limits.venues(venue), bucket)
    units = {"oi_usd": "USD, mean of the prints in the bucket", "time": "int ms UTC"}
    return JSON({**_span(symbol, span, bucket), "series": _by_venue(frame, "oi_usd"), "units": units})


@router.get("/liquidations", summary="Liquidation totals per venue and side over the window")
def liquidations(api: Api, symbol: Symbol = "BTC", window: Window = "24h", at: Time = None) -> JSON:
    span = limits.window_ms(window)
    end = at_or_present(api, symbol, at)
    totals = api.liquidations(symbol, span, end)
    aggregates = api.liquidation_aggregates(symbol, span, end)
    return JSON(
        {
            "symbol": symbol.upper(),
            "window": window,
            "window_start": end - span,
            "window_end": end,
            "rows": rows(totals),
            "total": liquidation_math.grand_total(totals) if totals.height else None,
            "third_party": rows(aggregates),
            "units": LIQUIDATION_UNITS,
        }
    )


@router.get("/liquidations/feed", summary="The newest individual liquidations, newest first")
def liquidation_feed(
    api: Api,
    symbol: Symbol = "BTC",
    since: Time = None,
    until: Time = None,
    venue: Venues = None,
    limit: Annotated[int, Query(ge=1, le=limits.MAX_ROWS)] = 100,
) -> JSON:
    start, end = limits.moment(since, "since"), limits.moment(until, "until")
    frame = board.latest_liquidations(api.store, symbol, start, end, limits.venues(venue), limit)
    return JSON({"symbol": symbol.upper(), "rows": rows(frame), "limit": limit, "units": LIQUIDATION_UNITS})


def _span(symbol: str, span: limits.TimeRange, bucket: int) -> dict[str, Any]:
    return {"symbol": symbol.upper(), "since": span.since, "until": span.until, "bucket_ms": bucket}


def _by_venue(frame: pl.DataFrame, value: str) -> list[dict[str, Any]]:
    """One series per venue and symbol: ``{"venue", "symbol", "time": [...], value: [...]}``."""
    series = []
    for (venue, name), group in frame.group_by("venue", "symbol", maintain_order=True):
        series.append({"venue": venue, "symbol": name, "time": group["time"], value: group[value]})
    return sorted(series, key=lambda item: (item["venue"], item["symbol"]))
