"""The map's cumulative sums and sentences, multi-venue sums, the chart files, and the validation measures."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from perpscope.analytics.heatmap.aggregate import aggregate_heatmaps, aggregate_maps
from perpscope.analytics.heatmap.chart import heatmap_html, heatmap_png
from perpscope.analytics.heatmap.outputs import Heatmap, LiquidationMap, bin_index, format_usd, sentence
from perpscope.analytics.heatmap.realized import score_realized
from perpscope.analytics.heatmap.validation import average_ranks, spearman, top_k_capture, top_k_overlap

HOUR = 3_600_000


def a_map(venue: str = "binance", price: float = 100_000.0) -> LiquidationMap:
    return LiquidationMap(
        venues=(venue,),
        symbol="BTC-USDT-PERP",
        at=0,
        price=price,
        long_prices=np.array([80_000.0, 90_000.0, 95_000.0]),
        long_usd=np.array([3e6, 2e6, 1e6]),
        short_prices=np.array([102_000.0, 105_000.0, 120_000.0]),
        short_usd=np.array([5e5, 1.5e6, 4e6]),
        assumptions=("estimated: test",),
    )


def test_map_sums_every_level_a_move_would_cross() -> None:
    liquidation_map = a_map()
    assert liquidation_map.shorts_at_risk(105_000) == 2e6  # 102k and 105k (at the target counts)
    assert liquidation_map.shorts_at_risk(101_000) == 0.0
    assert liquidation_map.longs_at_risk(90_000) == 3e6  # 95k and 90k
    assert liquidation_map.at_risk(200_000) == ("short", 6e6)
    assert liquidation_map.at_risk(50_000) == ("long", 6e6)
    targets = np.array([50_000.0, 90_000.0, 96_000.0, 100_000.0, 104_999.0, 105_000.0, 130_000.0])
    assert liquidation_map.cumulative(targets).tolist() == [6e6, 3e6, 0.0, 0.0, 5e5, 2e6, 6e6]


def test_the_sentence_names_targets_and_amounts() -> None:
    text = sentence(a_map(), [90_000.0, 105_000.0])
    assert text == (
        "A move to $105,000 would put about $2M of shorts at risk; a drop to $90,000 about $3M of longs "
        "(estimated; BTC-USDT-PERP on binance, price $100,000)."
    )
    assert sentence(a_map(), [80_000.0]).startswith("A drop to $80,000 would put about $6M of longs at risk (")


def test_usd_formatting() -> None:
    assert [format_usd(value) for value in (1.234e9, 340e6, 12_345.0, 512.4)] == ["$1.23B", "$340M", "$12.3K", "$512"]
    assert format_usd(92_000.0, exact=True) == "$92,000"


def test_maps_of_several_venues_are_pooled() -> None:
    both = aggregate_maps([a_map("binance"), a_map("bybit", price=100_050.0)])
    assert both.venues == ("binance", "bybit")
    assert both.price == 100_000.0  # the first venue's price
    assert both.shorts_at_risk(105_000) == 4e6
    assert both.long_prices.tolist() == [80_000.0, 80_000.0, 90_000.0, 90_000.0, 95_000.0, 95_000.0]


def a_heatmap(venue: str, first_bin: int, times: list[int], value: float) -> Heatmap:
    long = np.full((len(times), 3), value)
    return Heatmap(
        venues=(venue,),
        symbol="BTC-USDT-PERP",
        times=np.array(times, dtype=np.int64),
        first_bin=first_bin,
        bin_width=0.001,
        long=long,
        short=2 * long,
        candles=np.full((len(times), 4), 100.0 if venue == "binance" else 200.0),
        assumptions=("estimated",),
    )


def test_heatmaps_of_several_venues_are_summed_on_shared_bins_and_columns() -> None:
    # binance: bins 10-12 in hours 0-1; bybit: bins 11-13 in hours 1-2.
    total = aggregate_heatmaps(
        [a_heatmap("binance", 10, [0, HOUR], 1.0), a_heatmap("bybit", 11, [HOUR, 2 * HOUR], 5.0)]
    )
    assert total.first_bin == 10
    assert total.times.tolist() == [0, HOUR, 2 * HOUR]
    assert total.long.tolist() == [[1, 1, 1, 0], [1, 6, 6, 5], [0, 5, 5, 5]]
    assert total.short.tolist() == [[2, 2, 2, 0], [2, 12, 12, 10], [0, 10, 10, 10]]
    assert total.candles[:, 3].tolist() == [100.0, 100.0, 200.0]  # the first venue that has the column
    with pytest.raises(ValueError, match="bin widths differ"):
        aggregate_heatmaps(
            [a_heatmap("binance", 10, [0], 1.0), Heatmap(**{**a_heatmap("x", 1, [0], 1).__dict__, "bin_width": 0.01})]
        )


def test_chart_files_are_self_contained_and_carry_the_numbers() -> None:
    heatmap = a_heatmap("binance", bin_index(np.array([99.0]), 0.001)[0], [0, HOUR, 2 * HOUR], 1_000.0)
    assert heatmap_png(heatmap)[:8] == b"\x89PNG\r\n\x1a\n"
    page = heatmap_html(heatmap, source="test store")
    assert "http://" not in page and "https://" not in page  # nothing fetched: no CDN
    block = re.search(r'<script type="application/json" id="heatmap-data">(.*?)</script>', page, re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert data["label"] == "estimated"
    assert data["long_usd"] == [[1000.0] * 3] * 3
    assert data["short_usd"][1] == [2000.0] * 3
    assert data["times"] == [0, HOUR, 2 * HOUR]
    assert data["units"]["long_usd"].startswith("USD notional")
    assert len(data["bin_edges"]) == 4


def test_rank_measures_by_hand() -> None:
    assert average_ranks(np.array([10.0, 20.0, 20.0, 5.0])).tolist() == [2.0, 3.5, 3.5, 1.0]
    assert spearman(np.array([1.0, 2.0, 3.0]), np.array([10.0, 30.0, 20.0])) == pytest.approx(0.5)
    assert top_k_overlap(np.array([5.0, 4.0, 0.0, 1.0]), np.array([0.0, 9.0, 8.0, 0.0]), 2) == 0.5
    assert top_k_capture(np.array([5.0, 4.0, 0.0]), np.array([1.0, 0.0, 3.0]), 1) == 0.25


def test_realized_scoring_reads_the_previous_column_on_the_visited_bins() -> None:
    # Bins of 1% from 100 USD: bin k covers [1.01^k, 1.01^(k+1)). Column 1 rises from 100.5 to 103.5: bins 0..3.
    first = bin_index(np.array([100.5]), 0.01)[0]
    long = np.zeros((2, 6))
    short = np.array([[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]], dtype=float)
    short[0, :4] = [0.0, 10.0, 30.0, 20.0]  # the estimate at the end of column 0
    heatmap = Heatmap(
        venues=("hyperliquid",), symbol="BTC-USD-PERP", times=np.array([0, HOUR]), first_bin=first, bin_width=0.01,
        long=long, short=short, candles=np.array([[100.0, 101.0, 99.0, 100.5], [100.5, 103.5, 100.2, 103.0]]),
        assumptions=("estimated",),
    )  # fmt: skip
    edges = 1.01 ** np.arange(first, first + 5)
    prices = np.array([edges[2] * 1.001, edges[2] * 1.002, edges[3] * 1.001, 110.0])  # the last is beyond the high
    scores = score_realized(
        heatmap, np.array([HOUR + 1, HOUR + 2, HOUR + 3, HOUR + 4]), np.full(4, -1.0), prices,
        np.array([100.0, 50.0, 25.0, 7.0]), k=1,
    )  # fmt: skip
    short_score = scores["short"]
    assert (short_score.columns, short_score.pairs) == (1, 4)
    assert short_score.realized_usd == 175.0 and short_score.outside_usd == 7.0
    assert short_score.top_k_capture == pytest.approx(150 / 175)  # the top estimated bin (30) got 150 of 175
    assert short_score.random_capture == pytest.approx(1 / 4)
    assert short_score.rank_correlation == pytest.approx(
        spearman(np.array([0, 10, 30, 20.0]), np.array([0, 0, 150, 25.0]))
    )
    assert scores["long"].columns == 0
