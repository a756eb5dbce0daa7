"""Shapes of a venue's endpoint data, shared by every venue package (the values live in ``<venue>/endpoints.py``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class BaseUrls:
    """Where a venue lives. The collector replaces these to talk to a local fake venue in tests."""

    rest: str
    websocket: str

    def with_overrides(self, *, rest: str | None = None, websocket: str | None = None) -> BaseUrls:
        return dataclasses.replace(self, rest=rest or self.rest, websocket=websocket or self.websocket)


@dataclass(frozen=True)
class RestEndpoint:
    """One public REST call: its path, its parameters and how much one page can hold."""

    path: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    page_limit: int | None = None  # most rows one call returns (the ``limit`` parameter's maximum)
    weight: int = 1  # request weight against the venue's budget (Binance counts weight; others count requests)
    method: str = "GET"
    note: str = ""
