"""The positioning index (perpscope.analytics.sentiment), by hand. The Fear & Greed Index: tests/venues/alternative."""

from __future__ import annotations

import pytest

from perpscope.analytics import sentiment

COMPONENTS = {component.name: component for component in sentiment.COMPONENTS}


def test_component_scores() -> None:
    funding = COMPONENTS["funding"]
    assert sentiment.score(funding, 0.0001) == 50.0  # the baseline
    assert sentiment.score(funding, 0.0003) == pytest.approx(75.0)  # 50 + 50 x 0.0002 / 0.0004
    assert sentiment.score(funding, 0.0005) == pytest.approx(100.0)
    assert sentiment.score(funding, 0.002) == 100.0  # clamped
    assert sentiment.score(funding, -0.0001) == pytest.approx(25.0)
    assert sentiment.score(COMPONENTS["oi_change"], -0.05) == pytest.approx(25.0)
    assert sentiment.score(COMPONENTS["long_short"], 0.6) == pytest.approx(70.0)  # 50 + 50 x 0.1 / 0.25
    assert sentiment.score(COMPONENTS["liquidations"], -1.0) == 0.0


def test_liquidation_imbalance() -> None:
    assert sentiment.liquidation_imbalance(75.0, 25.0) == pytest.approx(-0.5)
    assert sentiment.liquidation_imbalance(0.0, 0.0) is None


def test_index_with_every_component() -> None:
    inputs = {"funding": 0.0003, "oi_change": 0.05, "long_short": 0.6, "liquidations": -0.5}
    index = sentiment.positioning_index(1, "BTC", inputs)
    # 0.35 x 75 + 0.25 x 75 + 0.20 x 70 + 0.20 x 25 = 26.25 + 18.75 + 14 + 5 = 64
    assert index.value == pytest.approx(64.0)
    assert index.label == "greed"
    assert index.complete is True
    assert [c.name for c in index.components] == ["funding", "oi_change", "long_short", "liquidations"]
    assert [c.score for c in index.components] == pytest.approx([75.0, 75.0, 70.0, 25.0])
    assert [c.weight for c in index.components] == pytest.approx([0.35, 0.25, 0.20, 0.20])


def test_missing_components_renormalise_the_weights() -> None:
    index = sentiment.positioning_index(1, "BTC", {"funding": -0.0002, "oi_change": -0.10, "long_short": None})
    # funding scores 12.5, OI 0; weights 0.35 / 0.60 and 0.25 / 0.60: 12.5 x 0.5833 = 7.29
    assert index.value == pytest.approx(12.5 * 0.35 / 0.60)
    assert index.label == "extreme fear"
    assert index.complete is False
    assert [c.weight for c in index.components] == pytest.approx([0.35 / 0.6, 0.25 / 0.6, 0.0, 0.0])
    assert sentiment.positioning_index(1, "BTC", {}).value is None


def test_labels() -> None:
    assert [sentiment.label(v) for v in (0, 24.9, 25, 44.9, 45, 55, 74.9, 75, 100)] == [
        "extreme fear",
        "extreme fear",
        "fear",
        "fear",
        "neutral",
        "greed",
        "greed",
        "extreme greed",
        "extreme greed",
    ]
