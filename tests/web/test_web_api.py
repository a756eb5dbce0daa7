"""The JSON API against a hand-written store: every value below is computed by hand from ``hand_records``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from web_samples import HAND_NOW, HOUR, T0


def by_venue(rows: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {row["venue"]: row for row in rows}


def test_symbols_and_venues(hand_client: TestClient) -> None:
    found = hand_client.get("/api/symbols").json()
    assert found == {"bases": ["BTC"], "venues": {"BTC": ["binance", "bybit", "hyperliquid"]}}


def test_funding_per_venue_is_normalised_with_the_predicted_rate(hand_client: TestClient) -> None:
    rows = by_venue(hand_client.get("/api/funding", params={"symbol": "BTC"}).json()["rows"])
    binance, hyperliquid = rows["binance"], rows["hyperliquid"]
    assert binance["rate"] == pytest.approx(0.0004)  # the fourth 8-hourly print
    assert binance["rate_8h"] == pytest.approx(0.0004)
    assert binance["apr"] == pytest.approx(0.0004 * 8760 / 8)  # 0.438
    assert binance["funding_time"] == HAND_NOW
    assert binance["predicted_rate_8h"] == pytest.approx(0.0002)
    assert binance["source"] == "binance test"
    assert hyperliquid["rate"] == pytest.approx(0.00001)
    assert hyperliquid["rate_8h"] == pytest.approx(0.00008)  # 0.001% an hour is 0.008% per 8 h
    assert hyperliquid["apr"] == pytest.approx(0.0876)
    assert hyperliquid["predicted_rate"] is None


def test_funding_aggregate_weights_by_open_interest(hand_client: TestClient) -> None:
    [row] = hand_client.get("/api/funding/aggregate").json()["rows"]
    # (0.0004 x 1.2e9 + 0.00008 x 4e8) / 1.6e9 = 0.00032; simple mean (0.0004 + 0.00008) / 2 = 0.00024
    assert row["oi_weighted_rate_8h"] == pytest.approx(0.00032)
    assert row["simple_mean_rate_8h"] == pytest.approx(0.00024)
    assert row["venues_included"] == ["binance", "hyperliquid"]
    assert row["as_of"] == HAND_NOW


def test_open_interest_and_its_24h_change(hand_client: TestClient) -> None:
    found = hand_client.get("/api/open-interest", params={"window": "24h"}).json()
    rows = by_venue(found["rows"])
    assert rows["binance"]["oi_usd"] == pytest.approx(1.2e9)
    assert rows["binance"]["change_usd"] == pytest.approx(2e8)
    assert rows["binance"]["change_fraction"] == pytest.approx(0.2)
    assert rows["hyperliquid"]["change_fraction"] == pytest.approx(-0.2)
    [total] = found["totals"]
    assert total["oi_usd"] == pytest.approx(1.6e9)
    assert total["change_usd"] == pytest.approx(1e8)
    assert found["units"]["oi_usd"] == "USD"


def test_liquidation_totals_by_side_and_venue_over_24h(hand_client: TestClient) -> None:
    found = hand_client.get("/api/liquidations", params={"window": "24h"}).json()
    assert (found["window_start"], found["window_end"]) == (HAND_NOW - 24 * HOUR, HAND_NOW)
    rows = by_venue(found["rows"])
    assert rows["binance"]["long_usd"] == pytest.approx(200_000 + 49_500)  # 2 BTC at 100k + 0.5 at 99k
    assert rows["binance"]["short_usd"] == pytest.approx(101_000)
    assert rows["binance"]["lower_bound"] is False
    assert rows["bybit"]["short_usd"] == pytest.approx(306_000)  # 3 BTC at 102k; the 30-hour-old long is outside
    assert rows["bybit"]["long_usd"] == 0
    assert rows["bybit"]["lower_bound"] is True  # stored with complete = false
    assert found["total"] == {
        "long_usd": pytest.approx(249_500),
        "short_usd": pytest.approx(407_000),
        "total_usd": pytest.approx(656_500),
        "long_count": 2,
        "short_count": 2,
        "lower_bound": True,
    }


def test_liquidation_feed_is_newest_first_and_limited(hand_client: TestClient) -> None:
    rows = hand_client.get("/api/liquidations/feed", params={"limit": 2}).json()["rows"]
    assert [(row["venue"], row["side"], row["ts_event"]) for row in rows] == [
        ("bybit", "short", HAND_NOW - 30 * 60_000),
        ("binance", "long", HAND_NOW - HOUR),
    ]
    assert rows[0]["notional_usd"] == pytest.approx(306_000)
    everything = hand_client.get("/api/liquidations/feed", params={"venue": "bybit"}).json()["rows"]
    assert [row["side"] for row in everything] == ["short", "long"]


def test_funding_history_is_8h_normalised_per_venue(hand_client: TestClient) -> None:
    found = hand_client.get("/api/funding/history", params={"window": "30d"}).json()
    assert found["bucket_ms"] == HOUR  # 30 days in at most 2,000 points
    series = {item["venue"]: item for item in found["series"]}
    assert series["binance"]["time"] == [T0 + step * 8 * HOUR for step in range(4)]
    assert series["binance"]["rate_8h"] == pytest.approx([0.0001, 0.0002, 0.0003, 0.0004])
    assert len(series["hyperliquid"]["time"]) == 25
    assert series["hyperliquid"]["rate_8h"] == pytest.approx([0.00008] * 25)


def test_open_interest_history_in_buckets(hand_client: TestClient) -> None:
    found = hand_client.get("/api/open-interest/history", params={"window": "2d"}).json()
    assert found["bucket_ms"] == 5 * 60_000  # two days of minutes would be 2,880 points
    series = {item["venue"]: item for item in found["series"]}
    assert series["binance"]["time"] == [T0, HAND_NOW]
    assert series["binance"]["oi_usd"] == pytest.approx([1e9, 1.2e9])
    narrowed = hand_client.get("/api/open-interest/history", params={"since": str(T0 + 1), "until": str(HAND_NOW + 1)})
    assert {item["venue"]: item["oi_usd"] for item in narrowed.json()["series"]} == {
        "binance": pytest.approx([1.2e9]),
        "hyperliquid": pytest.approx([4e8]),
    }


def test_reports_are_listed_and_served(hand_client: TestClient, tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path)) / "reports" / "btc-week"
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("<h1>BTC week</h1>", encoding="utf-8")
    (folder / "report.md").write_text("# BTC week", encoding="utf-8")
    listed = hand_client.get("/api/reports").json()["reports"]
    assert [(item["name"], item["html"], item["markdown"]) for item in listed] == [
        ("btc-week", "/reports/btc-week/report.html", "/reports/btc-week/report.md")
    ]
    page = hand_client.get("/reports/btc-week/report.html")
    assert page.status_code == 200 and page.text == "<h1>BTC week</h1>"
    assert "script-src" not in page.headers["content-security-policy"]  # a report runs no script
