"""Venue name -> its connector. Each venue package's ``connector`` module exposes ``connector(settings, http,
transport, **options)``, the options being that venue's own, read from the ``[collect]`` settings by the module's
``options(collect)`` when it has one (Binance: its API key and liquidation stream); venues without a connector yet
are listed so the CLI can say so instead of failing obscurely."""

from __future__ import annotations

import importlib
import importlib.util

import httpx

from perpscope.collect.connector import Connector, ConnectorSettings
from perpscope.collect.http import DEFAULT_HTTP, HttpSettings
from perpscope.config import CollectSettings
from perpscope.errors import InputError

VENUES = ("binance", "okx", "bybit", "hyperliquid")


def available() -> list[str]:
    """Venues whose connector is installed."""
    return [venue for venue in VENUES if importlib.util.find_spec(f"perpscope.venues.{venue}.connector") is not None]


def make(
    venue: str,
    settings: ConnectorSettings,
    http: HttpSettings = DEFAULT_HTTP,
    transport: httpx.AsyncBaseTransport | None = None,
    collect: CollectSettings | None = None,
) -> Connector:
    name = venue.strip().lower()
    if name not in available():
        known = ", ".join(available()) or "none"
        raise InputError(f"no collector for venue {venue!r}; venues that can be collected: {known}")
    module = importlib.import_module(f"perpscope.venues.{name}.connector")
    options = module.options(collect) if collect is not None and hasattr(module, "options") else {}
    made: Connector = module.connector(settings, http, transport, **options)
    return made
