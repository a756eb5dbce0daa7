"""Loaders for the real recorded venue messages in ``../shared/data/messages`` (read in place, never copied).

``tardis`` reads one message out of a tardis-node file (one JSON object per venue: lists of messages in their
original order); ``nautilus`` reads one nautilus_trader fixture file as the raw bytes a venue would send.
Both skip (through the ``shared_data`` fixture) where ../shared/data is absent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest


@pytest.fixture(scope="session")
def tardis(shared_data: Path) -> Callable[[str, str, int], bytes]:
    """``tardis("bybit.json", "messagesV5", 10)`` -> that message, re-encoded as the bytes a socket delivers."""
    cache: dict[str, Any] = {}

    def load(file: str, array: str, position: int) -> bytes:
        if file not in cache:
            cache[file] = json.loads((shared_data / "messages" / "tardis-node" / file).read_text())
        return msgspec.json.encode(cache[file][array][position])

    return load


@pytest.fixture(scope="session")
def nautilus(shared_data: Path) -> Callable[[str], bytes]:
    """``nautilus("binance/liquidation_stream.json")`` -> the file's bytes."""

    def load(path: str) -> bytes:
        return (shared_data / "messages" / "nautilus_trader" / path).read_bytes()

    return load
