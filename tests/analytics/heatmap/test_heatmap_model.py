"""The heatmap model: hand-computed tiny cases, the crossing search, and equality with the reference and the
incremental engine on random series under several configs.

Hand cases use one leverage (10x), a representative position of 1 BTC at 100,000 USD (Binance bracket 2: MMR 0.5%,
cum 50), so the levels are METHOD.md §3's vectors: long (100,000 x 0.9 - 50) / 0.995 = 90,402.01,
short (100,000 x 1.1 + 50) / 1.005 = 109,502.49.
"""

from __future__ import annotations

import numpy as np
import pytest
from heatmap_series import START, hand_bars, random_bars

from perpscope.analytics.heatmap.bars import build_bars
from perpscope.analytics.heatmap.config import HeatmapConfig, naive_baseline
from perpscope.analytics.heatmap.incremental import replay
from perpscope.analytics.heatmap.model import first_crossings, run_model
from perpscope.analytics.heatmap.outputs import Heatmap, heatmap_grid, liquidation_map
from perpscope.analytics.heatmap.reference import reference_heatmap, reference_map

LONG_LEVEL = (100_000 * 0.9 - 50) / 0.995  # 90,402.01
SHORT_LEVEL = (100_000 * 1.1 + 50) / 1.005  # 109,502.49
TEN_X = HeatmapConfig(
    leverage_mix=((10.0, 1.0),), position_notional_usd=100_000.0, entry_price="close", column_ms=60_000
)


def test_one_rise_creates_a_level_at_the_exact_binance_price() -> None:
    # OI 1,000 -> 1,010 BTC at bar 1: 10 BTC new, half long (share 0.5): 5 BTC at 90,402.01 and 5 BTC short.
    bars = hand_bars([99_000, 99_000, 95_000], [101_000, 101_000, 105_000], [1_000, 1_010, 1_010])
    run = run_model(bars, TEN_X, "binance")
    assert run.longs.price.tolist() == pytest.approx([LONG_LEVEL], rel=1e-12)
    assert run.longs.price[0] == pytest.approx(90_402.01, abs=0.005)  # METHOD.md §3 vector
    assert run.shorts.price.tolist() == pytest.approx([SHORT_LEVEL], rel=1e-12)
    assert run.longs.quantity.tolist() == [5.0]
    assert run.longs.created.tolist() == [1]
    assert run.longs.consumed.tolist() == [3]  # never crossed: len(bars)
    at_end = liquidation_map(run, 2)
    assert at_end.long_usd.tolist() == pytest.approx([5 * LONG_LEVEL], rel=1e-12)  # 452,010.05 USD
    assert at_end.short_usd.tolist() == pytest.approx([5 * SHORT_LEVEL], rel=1e-12)


def test_a_level_is_consumed_when_the_low_reaches_it_and_not_before() -> None:
    lows = [99_000, 99_000, 90_402.02, LONG_LEVEL, 99_000]  # bar 2 stops 1 cent above; bar 3 touches it
    bars = hand_bars(lows, [101_000] * 5, [1_000, 1_010, 1_010, 1_010, 1_010])
    run = run_model(bars, TEN_X, "binance")
    assert run.longs.consumed.tolist() == [3]
    heatmap = heatmap_grid(run)
    assert heatmap.long.sum(axis=1).tolist() == pytest.approx([0, 5 * LONG_LEVEL, 5 * LONG_LEVEL, 0, 0], abs=1e-6)
    assert heatmap.short.sum(axis=1)[3] == pytest.approx(5 * SHORT_LEVEL)  # the short side is untouched


def test_a_level_created_in_a_bar_is_not_consumed_by_that_bar() -> None:
    bars = hand_bars([99_000, 80_000, 99_000], [101_000] * 3, [1_000, 1_010, 1_010])  # bar 1's own low is far below
    assert run_model(bars, TEN_X, "binance").longs.consumed.tolist() == [3]


def test_a_short_is_consumed_when_the_high_reaches_it() -> None:
    bars = hand_bars([99_000] * 4, [101_000, 101_000, 109_502.0, 110_000], [1_000, 1_010, 1_010, 1_010])
    run = run_model(bars, TEN_X, "binance")
    assert run.shorts.consumed.tolist() == [3]  # 109,502.0 is below 109,502.49; 110,000 crosses


def test_open_interest_falls_remove_proportionally() -> None:
    # 1,010 -> 808 BTC keeps 80%: the 5 BTC long level becomes 4 BTC (361,608.04 USD).
    bars = hand_bars([99_000] * 3, [101_000] * 3, [1_000, 1_010, 808])
    run = run_model(bars, TEN_X, "binance")
    assert liquidation_map(run, 2).long_usd.tolist() == pytest.approx([4 * LONG_LEVEL], rel=1e-12)
    assert heatmap_grid(run).long.sum(axis=1)[2] == pytest.approx(4 * LONG_LEVEL, rel=1e-12)


def test_decay_halves_a_level_per_half_life() -> None:
    config = TEN_X.replace(decay_half_life_h=1 / 60)  # one minute: each bar halves
    bars = hand_bars([99_000] * 4, [101_000] * 4, [1_000, 1_010, 1_010, 1_010])
    assert liquidation_map(run_model(bars, config, "binance"), 3).long_usd.tolist() == pytest.approx(
        [5 * LONG_LEVEL / 4], rel=1e-12
    )


def test_live_quantity_is_capped_at_open_interest() -> None:
    # No removal: 10 BTC long stays while OI drops to 5 BTC, so the side is scaled by 5 / 10.
    config = TEN_X.replace(oi_drop_removal="none")
    bars = hand_bars([99_000] * 3, [101_000] * 3, [10, 20, 5], long_share=1.0)
    run = run_model(bars, config, "binance")
    assert run.shorts.price.size == 0  # share 1: nothing on the short side
    assert liquidation_map(run, 1).long_usd.tolist() == pytest.approx([10 * LONG_LEVEL], rel=1e-12)
    assert liquidation_map(run, 2).long_usd.tolist() == pytest.approx([5 * LONG_LEVEL], rel=1e-12)
    assert heatmap_grid(run).long.sum(axis=1)[2] == pytest.approx(5 * LONG_LEVEL, rel=1e-12)
    uncapped = run_model(bars, config.replace(cap_at_open_interest=False), "binance")
    assert liquidation_map(uncapped, 2).long_usd.tolist() == pytest.approx([10 * LONG_LEVEL], rel=1e-12)


def test_naive_pricing_is_one_minus_one_over_leverage() -> None:
    config = naive_baseline(TEN_X)
    bars = hand_bars([99_000] * 2, [101_000] * 2, [1_000, 1_003], long_share=1.0)  # what a green candle gives
    run = run_model(bars, config, "binance")
    assert sorted(run.longs.price.tolist()) == pytest.approx([80_000.0, 95_000.0, 99_000.0])
    assert run.longs.quantity.tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert run.shorts.price.size == 0


def test_the_long_share_by_split_method() -> None:
    opens, closes = [100.0, 100.0, 100.0, 100.0], [101.0, 99.0, 100.0, 101.0]
    buys, sells = [3.0, 1.0, np.nan, 2.0], [1.0, 3.0, np.nan, 2.0]
    funding = [np.nan, np.nan, 0.0006, np.nan]  # 0.05% over the 0.01% baseline: 0.5 + tanh(1) / 2
    ratio = [np.nan, 0.4, 0.7, np.nan]

    def shares(config: HeatmapConfig) -> list[float]:
        bars = build_bars(
            np.arange(4), opens, [102.0] * 4, [98.0] * 4, closes, [1.0] * 4, config,
            taker_buy=buys, taker_sell=sells, ratio_long_share=ratio, funding_8h=funding,
        )  # fmt: skip
        return bars.long_share.tolist()

    assert shares(HeatmapConfig(side_split="candle")) == [1.0, 0.0, 0.5, 1.0]
    assert shares(HeatmapConfig(side_split="taker")) == [0.75, 0.25, 0.5, 0.5]  # no taker data: even
    assert shares(HeatmapConfig()) == pytest.approx([0.75, 0.25, 0.7, 0.5])  # auto: taker, else ratio, else ...
    assert shares(HeatmapConfig(side_split="funding"))[2] == pytest.approx(0.5 + np.tanh(1.0) / 2)
    assert shares(HeatmapConfig(side_split="taker", split_strength=0.5)) == [0.625, 0.375, 0.5, 0.5]


def test_first_crossings_by_hand() -> None:
    lows = np.array([10.0, 9.0, 12.0, 8.0, 11.0, 7.0])
    found = first_crossings(np.array([1, 1, 1, 3, 5, 6]), np.array([9.0, 8.5, 6.0, 8.0, 6.5, 100.0]), lows, 1)
    assert found.tolist() == [1, 3, 6, 3, 6, 6]  # from index 1: 9 <= 9 at 1; 8.5 first at 3; 6 never (6)
    highs = np.array([10.0, 11.0, 9.0, 13.0])
    assert first_crossings(np.array([0, 2, 1]), np.array([10.5, 12.0, 14.0]), highs, -1).tolist() == [1, 3, 4]


def test_first_crossings_equal_a_scan_on_random_paths() -> None:
    rng = np.random.default_rng(3)
    path = np.cumsum(rng.normal(0, 1, 3_000))
    starts = rng.integers(0, 3_000, 2_000)
    prices = path[np.minimum(starts, 2_999)] - rng.uniform(0, 20, 2_000)
    expected = []
    for start, price in zip(starts, prices, strict=True):
        hits = np.flatnonzero(path[start:] <= price)
        expected.append(int(start + hits[0]) if hits.size else 3_000)
    assert first_crossings(starts, prices, path, 1).tolist() == expected


CONFIGS = {
    "default": HeatmapConfig(column_ms=600_000),
    "no removal, decay, 5-minute columns": HeatmapConfig(
        column_ms=300_000, oi_drop_removal="none", decay_half_life_h=2.0
    ),
    "naive baseline": naive_baseline(HeatmapConfig(column_ms=600_000)),
    "even split, typical price, big positions": HeatmapConfig(
        column_ms=900_000, side_split="even", entry_price="typical", position_notional_usd=5_000_000.0
    ),
}


def assert_same_heatmap(first: Heatmap, second: Heatmap) -> None:
    assert first.first_bin == second.first_bin
    assert first.times.tolist() == second.times.tolist()
    assert first.long.shape == second.long.shape
    scale = max(first.long.max(), first.short.max())
    np.testing.assert_allclose(first.long, second.long, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(first.short, second.short, rtol=0, atol=1e-9 * scale)
    np.testing.assert_array_equal(first.candles, second.candles)


@pytest.mark.parametrize("venue", ["binance", "bybit", "hyperliquid"])
@pytest.mark.parametrize("name", CONFIGS)
def test_model_equals_the_reference(name: str, venue: str) -> None:
    config = CONFIGS[name]
    bars = random_bars(300, config)
    run = run_model(bars, config, venue)
    assert len(run.longs) > 100 and run.longs.consumed.min() < len(bars)  # levels were made and crossed
    assert_same_heatmap(heatmap_grid(run), reference_heatmap(bars, config, venue))
    ours, theirs = liquidation_map(run, 250), reference_map(bars, config, venue, 250)
    order = np.argsort(ours.long_prices, kind="stable")
    np.testing.assert_allclose(ours.long_prices[order], theirs.long_prices, rtol=1e-15)
    np.testing.assert_allclose(np.sort(ours.long_usd), np.sort(theirs.long_usd), rtol=1e-9)
    np.testing.assert_allclose(np.sort(ours.short_usd), np.sort(theirs.short_usd), rtol=1e-9)


@pytest.mark.parametrize("name", CONFIGS)
def test_incremental_equals_the_batch_model(name: str) -> None:
    config = CONFIGS[name]
    bars = random_bars(2_500, config, seed=11)  # more levels than the engine's buffer: merges happen
    run = run_model(bars, config, "binance")
    live = replay(bars, config, "binance")
    assert_same_heatmap(heatmap_grid(run), live.heatmap())
    ours, theirs = live.map(), liquidation_map(run, len(bars) - 1)
    assert ours.long_prices.size == theirs.long_prices.size
    np.testing.assert_allclose(np.sort(ours.long_usd), np.sort(theirs.long_usd), rtol=1e-9)
    np.testing.assert_allclose(np.sort(ours.short_usd), np.sort(theirs.short_usd), rtol=1e-9)


def test_columns_are_hours_from_the_epoch() -> None:
    config = HeatmapConfig()
    bars = random_bars(150, config)  # START is an exact hour: 60 + 60 + 30 bars
    heatmap = heatmap_grid(run_model(bars, config, "binance"))
    assert heatmap.times.tolist() == [START, START + 3_600_000, START + 7_200_000]
    assert heatmap.candles[0].tolist() == [
        bars.open[0],
        bars.high[:60].max(),
        bars.low[:60].min(),
        bars.close[59],
    ]
