"""The stored Fear & Greed value is shown beside the positioning index (never inside it), and only while current."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import perpscope
from perpscope import models
from perpscope.store import DuckDBStore, Store
from perpscope.times import MS_PER_DAY, MS_PER_HOUR, iso_to_ms

DAY = iso_to_ms("2025-10-10T00:00:00Z")


def reading(day: int, value: float, label: str) -> models.SentimentIndex:
    return models.SentimentIndex(
        venue="alternative.me", symbol="BTC", native_symbol="fng", ts_event=day, ts_recv=day + MS_PER_HOUR,
        source="alternative.me /fng/", series="fear_greed", value=value, classification=label,
    )  # fmt: skip


def test_the_day_at_hand_and_nothing_stale(any_store: Store) -> None:
    any_store.write_records([reading(DAY - MS_PER_DAY, 64, "Greed"), reading(DAY, 27, "Fear")])
    service = perpscope.api.Perpscope(any_store, perpscope.config.load_settings(environ={}))
    at_crash = service.fear_greed("BTC-USDT-PERP", at=DAY + 20 * MS_PER_HOUR)
    assert at_crash is not None
    assert (at_crash["ts_event"], at_crash["value"], at_crash["classification"]) == (DAY, 27.0, "Fear")
    assert service.fear_greed("BTC", at=DAY - 1)["value"] == 64.0  # type: ignore[index]
    assert service.fear_greed("BTC", at=DAY + 3 * MS_PER_DAY) is None  # more than two days old: not shown
    assert service.fear_greed("ETH", at=DAY) is None  # the index measures Bitcoin's market only


def test_sentiment_command_shows_it_beside_the_index(tmp_path: Path) -> None:
    database = tmp_path / "db.duckdb"
    with DuckDBStore(database) as store:
        store.write_records([reading(DAY, 27, "Fear")])
    command = [sys.executable, "-m", "perpscope.cli", "--db", str(database), "sentiment", "--at", "2025-10-10T20:00Z"]
    printed = subprocess.run([*command, "--json"], capture_output=True, text=True, check=True).stdout
    payload = json.loads(printed)
    assert payload["fear_greed"]["value"] == 27.0
    assert "not part of the index" in payload["units"]["fear_greed"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert "beside it, not in it: Fear & Greed 27/100 (Fear) for 2025-10-10, source alternative.me /fng/" in text
