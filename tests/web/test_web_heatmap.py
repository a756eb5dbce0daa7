"""The heatmap, map and signal endpoints against the service layer on a simulated market."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from perpscope.analytics.heatmap.config import HeatmapConfig
from perpscope.api import Perpscope
from perpscope.service import heatmap as service
from perpscope.web.limits import HEATMAP_RANGES


def test_heatmap_window_adds_up_to_the_model_grid(market_client: TestClient, market_api: Perpscope) -> None:
    found = market_client.get("/api/heatmap", params={"range": "24h", "columns": 100, "rows": 50}).json()
    end = service.latest_bar_time(market_api.store, "BTC") + 1
    model = service.heatmap(
        market_api.store, "BTC", end - 86_400_000, end, HeatmapConfig(column_ms=HEATMAP_RANGES["24h"])
    )
    grid = model.heatmap
    assert (found["range_since"], found["range_until"]) == (end - 86_400_000, end)
    assert found["label"] == "estimated" and found["venues"] == list(grid.venues)
    long = np.array(found["long"])
    assert long.shape[0] <= 100 and long.shape[1] <= 50
    assert len(found["price_edges"]) == long.shape[1] + 1
    # Every column shown is the mean of the model columns it merges; price rows sum the model bins inside them.
    keep = grid.times >= end - 86_400_000
    centers = grid.centers
    inside = (centers >= found["price_edges"][0]) & (centers < found["price_edges"][-1])
    group = found["column_ms"] // HEATMAP_RANGES["24h"]
    first = grid.long[keep][:group, inside].sum(axis=1).mean()
    assert long[0].sum() == pytest.approx(first, rel=1e-6, abs=long.shape[1])  # rounding to whole USD per cell
    assert found["candles"]["close"][-1] == pytest.approx(grid.candles[-1, 3])


def test_zooming_keeps_the_run_and_narrows_the_window(market_client: TestClient) -> None:
    full = market_client.get("/api/heatmap", params={"range": "24h"}).json()
    middle = (full["range_since"] + full["range_until"]) // 2
    zoomed = market_client.get(
        "/api/heatmap",
        params={
            "range": "24h",
            "since": str(middle),
            "until": str(full["range_until"]),
            "price_min": 90_000,
            "price_max": 100_000,
        },
    ).json()
    assert zoomed["since"] == middle and zoomed["times"][0] >= middle
    assert zoomed["price_edges"][0] == pytest.approx(90_000) and zoomed["price_edges"][-1] == pytest.approx(100_000)
    three_days = market_client.get("/api/heatmap", params={"range": "3d"}).json()
    assert three_days["range_until"] - three_days["range_since"] == 3 * 86_400_000
    assert three_days["column_ms"] >= HEATMAP_RANGES["3d"]


def test_map_sentences_are_the_service_sentences(market_client: TestClient, market_api: Perpscope) -> None:
    found = market_client.get("/api/heatmap/map").json()
    at = service.latest_bar_time(market_api.store, "BTC")
    expected = service.liquidation_map(market_api.store, "BTC", at)  # default targets: 5% either side
    assert found["at"] == expected.map.at and found["price"] == pytest.approx(expected.map.price)
    assert found["sentences"][1] == expected.sentence
    assert found["sentences"][1].startswith("A move to $")
    five = [item for item in found["targets"] if item["fraction"] == 0.05]
    assert [(item["target"], item["side"], pytest.approx(item["usd"])) for item in five] == [
        (target, side, pytest.approx(usd)) for target, side, usd in expected.at_risk
    ]
    assert sum(found["long_usd"]) <= expected.map.long_usd.sum() + 1e-6


def test_signals_name_their_sentence(market_client: TestClient) -> None:
    found = market_client.get("/api/signals", params={"window": "2d"}).json()
    assert found["signals"], "the long cascade fires at least one signal"
    assert all(signal["sentence"] and signal["symbol"] == "BTC" for signal in found["signals"])
    assert [signal["time"] for signal in found["signals"]] == sorted(
        (s["time"] for s in found["signals"]), reverse=True
    )
