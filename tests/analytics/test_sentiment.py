"""The positioning index (perpscope.analytics.sentiment) and the Fear & Greed parser, by hand."""

from __future__ import annotations

import pytest

from perpscope.analytics import sentiment
from perpscope.errors import ParseError, VenueResponseError
from perpscope.venues.alternative import endpoints
from perpscope.venues.alternative.capabilities import CAPABILITIES
from perpscope.venues.alternative.parse import parse_fear_greed

COMPONENTS = {component.name: component for component in sentiment.COMPONENTS}

# Built from the documented answer of GET https://api.alternative.me/fng/?limit=3 (newest first; values and
# timestamps are strings; only the newest carries time_until_update).
SAVED_ANSWER = b"""{
  "name": "Fear and Greed Index",
  "data": [
    {"value": "24", "value_classification": "Extreme Fear", "timestamp": "1760140800", "time_until_update": "41023"},
    {"value": "64", "value_classification": "Greed", "timestamp": "1760054400"},
    {"value": "70", "value_classification": "Greed", "timestamp": "1759968000"}
  ],
  "metadata": {"error": null}
}"""


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


def test_fear_greed_answer_parses_oldest_first() -> None:
    readings = parse_fear_greed(SAVED_ANSWER, ts_recv=1_760_150_000_000)
    assert [(r.ts_event, r.value, r.classification) for r in readings] == [
        (1_759_968_000_000, 70.0, "Greed"),  # 2025-10-09 00:00 UTC
        (1_760_054_400_000, 64.0, "Greed"),
        (1_760_140_800_000, 24.0, "Extreme Fear"),  # 2025-10-11: the day after the crash
    ]
    newest = readings[-1]
    assert (newest.source, newest.series, newest.time_until_update_s, newest.ts_recv) == (
        "alternative.me",
        "fear_greed",
        41023,
        1_760_150_000_000,
    )
    assert readings[0].time_until_update_s is None


def test_fear_greed_bad_input_names_the_field() -> None:
    bad = SAVED_ANSWER.replace(b'"value": "64"', b'"value": "164"')
    with pytest.raises(ParseError, match=r"data\[1\]\.value.*0-100"):
        parse_fear_greed(bad, ts_recv=0)
    dated = SAVED_ANSWER.replace(b'"timestamp": "1760054400"', b'"timestamp": "10-10-2025"')
    with pytest.raises(ParseError, match=r"data\[1\]\.timestamp"):
        parse_fear_greed(dated, ts_recv=0)
    with pytest.raises(VenueResponseError, match="rate limited"):
        parse_fear_greed(b'{"data": [], "metadata": {"error": "rate limited"}}', ts_recv=0)


def test_fear_greed_request_and_capabilities() -> None:
    assert endpoints.fear_greed_request(30) == {"limit": 30, "format": "json"}
    assert endpoints.fear_greed_request(0) == {"limit": 0, "format": "json"}
    with pytest.raises(ValueError, match="limit"):
        endpoints.fear_greed_request(-1)
    assert endpoints.FEAR_GREED.path == "/fng/"
    assert (CAPABILITIES.period, CAPABILITIES.scale, CAPABILITIES.history_since) == ("1d", (0.0, 100.0), "2018-02-01")
