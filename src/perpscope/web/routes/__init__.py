"""Thin routes over the service layer: parse and bound the parameters, call it, shape the answer. No SQL here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request

from perpscope.api import Perpscope
from perpscope.errors import QueryError
from perpscope.service import dashboard as board
from perpscope.web.limits import SYMBOL_PATTERN, TIME_MAX_LENGTH, VENUE_PATTERN, WINDOW_PATTERN, moment


def context(request: Request):  # type: ignore[no-untyped-def]
    from perpscope.web.app import WebContext  # the app module imports the routes

    web: WebContext = request.app.state.web
    return web


def opened(request: Request) -> Iterator[Perpscope]:
    """The service layer for one request, opened by the app's opener and closed when the request ends."""
    with context(request).opener() as api:
        yield api


Api = Annotated[Perpscope, Depends(opened)]
Symbol = Annotated[
    str, Query(pattern=SYMBOL_PATTERN, description="A base (BTC: every venue's BTC-*-PERP) or BTC-USDT-PERP")
]
Window = Annotated[str, Query(pattern=WINDOW_PATTERN, description="A duration up to 366d: 30m, 24h, 7d")]
Time = Annotated[
    str | None,
    Query(max_length=TIME_MAX_LENGTH, description="ISO 8601 (UTC unless an offset is given), epoch s or ms, or 7d ago"),
]
Venues = Annotated[list[str] | None, Query(max_length=8, description="Venue names (repeat the parameter for several)")]
VENUE_ITEM_PATTERN = VENUE_PATTERN


def at_or_present(api: Perpscope, symbol: str, at: str | None) -> int:
    """``at`` when given, else the data's present for ``symbol`` (newest stored event); 404 when nothing is."""
    chosen = moment(at, "at")
    if chosen is not None:
        return chosen
    found = board.present(api.store, symbol)
    if found is None:
        bases = ", ".join(api.bases("funding")) or "none"
        raise QueryError(f"no data for {symbol.upper()}; symbols with funding: {bases}")
    return found
