"""Validation (clear 4xx), limits, read-only, path traversal, headers, the host check, and the live-push poller."""

from __future__ import annotations

import click
import pytest
from fastapi.testclient import TestClient
from web_samples import HAND_NOW, liquidation

from perpscope.api import Perpscope
from perpscope.cli.serving import check_host
from perpscope.models import Side
from perpscope.web.app import shared
from perpscope.web.push import PushHub


@pytest.mark.parametrize(
    ("path", "params", "status", "words"),
    [
        ("/api/funding", {"symbol": "BTC;DROP TABLE funding"}, 422, "pattern"),
        ("/api/funding", {"symbol": "DOGE"}, 404, "symbols present: BTC"),
        ("/api/liquidations", {"window": "24 hours"}, 422, "pattern"),
        ("/api/liquidations", {"window": "400d"}, 400, "at most 366d"),
        ("/api/liquidations", {"window": "0h"}, 400, "longer than 0"),
        ("/api/funding/history", {"since": "2025-10-10", "until": "2025-10-09"}, 400, "before until"),
        ("/api/funding/history", {"since": "2020-01-01", "until": "2025-01-01"}, 400, "366 days"),
        ("/api/funding/history", {"since": "yesterday-ish"}, 400, "parameter 'since'"),
        ("/api/funding/history", {"since": "1800-01-01"}, 400, "outside"),
        ("/api/funding/history", {"venue": "Bin ance"}, 400, "not a venue name"),
        ("/api/liquidations/feed", {"limit": 5000}, 422, "less than or equal to 1000"),
        ("/api/heatmap", {"range": "5d"}, 422, "12h"),
        ("/api/heatmap", {"columns": 100_000}, 422, "1000"),
    ],
)
def test_bad_parameters_get_a_clear_4xx(
    hand_client: TestClient, path: str, params: dict[str, object], status: int, words: str
) -> None:
    response = hand_client.get(path, params=params)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    assert words in response.text


def test_no_endpoint_writes(hand_client: TestClient) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert hand_client.request(method, "/api/funding").status_code == 405
    paths = hand_client.get("/api/openapi.json").json()["paths"]
    assert all(set(operations) == {"get"} for operations in paths.values())
    assert {"/api/funding", "/api/heatmap", "/api/heatmap/map", "/api/signals", "/api/reports"} <= set(paths)


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/%2e%2e%2fapp.py",
        "/static/..%2f..%2fpyproject.toml",
        "/static//etc/passwd",
        "/reports/../web_samples.py/x.html",
        "/reports/%2e%2e/report.html",
        "/reports/btc/..%2f..%2fhand.duckdb",
        "/reports/btc/report.py",
    ],
)
def test_no_path_traversal(hand_client: TestClient, path: str) -> None:
    response = hand_client.get(path)
    assert response.status_code in (404, 422), (path, response.status_code)
    assert "perpscope" not in response.text.lower() or response.status_code != 200


def test_pages_and_static_files_are_served_locally_with_a_strict_policy(hand_client: TestClient) -> None:
    for page in ("/", "/heatmap", "/history", "/feed", "/reports"):
        response = hand_client.get(page)
        assert response.status_code == 200
        assert "http://" not in response.text and "https://" not in response.text  # nothing from a CDN
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
    script = hand_client.get("/static/heatmapchart.js")
    assert script.status_code == 200 and "class HeatmapChart" in script.text


def test_loopback_by_default_and_a_warning_when_exposed() -> None:
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert check_host(host, allow_remote=False) is None
    with pytest.raises(click.UsageError, match="--allow-remote"):
        check_host("0.0.0.0", allow_remote=False)
    warning = check_host("0.0.0.0", allow_remote=True)
    assert warning is not None and "anyone who can reach this address can read your data" in warning


def test_the_poller_pushes_each_newly_received_row_once(hand_api: Perpscope) -> None:
    hub = PushHub(shared(hand_api))
    assert hub.poll() == []  # the first look only learns where the store is
    fresh = liquidation("okx", Side.SHORT, 103_000.0, 0.25, HAND_NOW + 1_000, received=HAND_NOW + 2_000)
    hand_api.store.write_records([fresh])
    [(kind, row)] = hub.poll()
    assert kind == "liquidation"
    assert (row["venue"], row["side"], row["price"], row["notional_usd"]) == ("okx", "short", 103_000.0, 25_750.0)
    assert hub.poll() == []  # within the 2-second overlap, but already pushed
    # A row committed later with a slightly older receipt time (inside the overlap) is still found.
    late = liquidation("okx", Side.LONG, 97_000.0, 1.0, HAND_NOW + 500, received=HAND_NOW + 1_500)
    hand_api.store.write_records([late])
    assert [(kind, row["side"]) for kind, row in hub.poll()] == [("liquidation", "long")]


def test_the_poller_reads_a_bounded_number_of_rows(hand_api: Perpscope) -> None:
    hub = PushHub(shared(hand_api))
    hub.poll()
    burst = [
        liquidation("okx", Side.LONG, 90_000.0 + step, 0.1, HAND_NOW + step, received=HAND_NOW + 10 + step)
        for step in range(700)
    ]
    hand_api.store.write_records(burst)
    assert len(hub.poll()) == 500  # ROWS_PER_POLL new rows per look; the rest on the next one
    assert len(hub.poll()) == 200
    assert hub.poll() == []
