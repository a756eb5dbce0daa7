"""The heatmap, map and signal endpoints against the service layer on a simulated market."""

from __future__ import annotations

import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from perpscope.analytics.heatmap.config import HeatmapConfig
from perpscope.analytics.heatmap.outputs import Heatmap
from perpscope.api import Perpscope
from perpscope.service import heatmap as service
from perpscope.web import grids
from perpscope.web.app import create_app, shared
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


def _grid(times: list[int], long: list[list[float]]) -> Heatmap:
    values = np.array(long)
    candles = np.tile([100.0, 101.0, 99.0, 100.5], (len(times), 1))
    return Heatmap(("binance",), "BTC-USDT-PERP", np.array(times), 4_600, 0.001, values, values * 2, candles, ())


def test_heatmap_window_by_hand_in_time_order_and_not() -> None:
    minute = 60_000
    rows = [[1, 2, 3, 4, 5, 6], [10, 20, 30, 40, 50, 60], [30, 40, 50, 60, 70, 80], [7, 7, 7, 7, 7, 7]]
    ordered = _grid([0, minute, 2 * minute, 3 * minute], rows)
    edges = ordered.edges  # bins 1..3 exactly: one price row each
    window = grids.heatmap_window(ordered, minute, minute, 3 * minute, 1, 100, edges[1], edges[4])
    assert window["times"].tolist() == [minute] and window["column_ms"] == 2 * minute
    # the mean of columns 1 and 2 (the grid holds states), bin by bin: (20+40)/2, (30+50)/2, (40+60)/2
    assert window["long"].tolist() == [[30, 40, 50]]
    assert window["short"].tolist() == [[60, 80, 100]]
    # the same columns stored out of time order are chosen by time all the same
    shuffled = _grid([3 * minute, 0, minute, 2 * minute], [rows[3], rows[0], rows[1], rows[2]])
    again = grids.heatmap_window(shuffled, minute, minute, 3 * minute, 1, 100, edges[1], edges[4])
    assert again["long"].tolist() == [[30, 40, 50]] and again["times"].tolist() == [minute]
    assert grids.heatmap_window(ordered, minute, 3 * minute, minute, 1, 100)["times"] == []  # an empty window


def test_the_default_heatmap_is_warmed_at_start(market_api: Perpscope) -> None:
    app = create_app(shared(market_api), push=False, warm=True)
    with TestClient(app) as client:
        cache = app.state.web.cache
        deadline = time.monotonic() + 30
        while cache.held("heatmap") == 0:
            assert time.monotonic() < deadline, "the warm-up stored nothing"
            time.sleep(0.05)
        answer = client.get("/api/heatmap", params={"symbol": "BTC", "range": "24h"})
        assert answer.status_code == 200
        assert (cache.hits, cache.misses) == (1, 1)  # the request used the run made at start
        other = client.get("/api/heatmap", params={"symbol": "BTC", "range": "3d"})
        assert other.status_code == 200 and cache.misses == 2  # any other range is run on demand, as before
