"""Every signal kind fired and not fired (perpscope.analytics.signals), on constructed grids."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from perpscope.analytics import waves
from perpscope.analytics.signals import Signal, SignalKind, SignalThresholds, detect, strength
from perpscope.times import MS_PER_HOUR

H = MS_PER_HOUR
T = 1_760_054_400_000  # 2025-10-10 00:00 UTC
TH = SignalThresholds()
VENUES = ["binance", "bybit", "okx"]

DEFAULTS: dict[str, Any] = {
    "high": 100.0,
    "low": 100.0,
    "close": 100.0,
    "funding_simple_8h": 0.0001,
    "funding_weighted_8h": None,
    "funding_max_8h": 0.0001,
    "funding_venues": VENUES,
    "venues_negative": 0,
    "venues_positive": 3,
    "oi_usd": 1e9,
    "oi_change_fraction": 0.0,
    "price_change_fraction": 0.0,
}


def grid(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """One row per hour from T + 1 h; each row's values over the defaults (a bar without a range spans its close)."""
    full = []
    for i, row in enumerate(rows):
        flat = {"high": row["close"], "low": row["close"]} if "close" in row else {}
        full.append(DEFAULTS | {"time": T + (i + 1) * H, "open_time": T + i * H} | flat | row)
    schema: dict[str, Any] = {
        name: pl.Float64 for name in DEFAULTS if name not in ("funding_venues", "venues_negative", "venues_positive")
    }
    schema |= {"funding_venues": pl.List(pl.String), "venues_negative": pl.Int64, "venues_positive": pl.Int64}
    return pl.DataFrame(full, schema=schema | {"time": pl.Int64, "open_time": pl.Int64})


NEGATIVE = {"funding_simple_8h": -0.0002, "funding_max_8h": -0.0001, "venues_negative": 3, "venues_positive": 0}


def test_strength_scale() -> None:
    assert strength(1.0, 1.0) == pytest.approx(1 / 3)
    assert strength(3.0, 6.0) == 1.0
    assert strength(-1.0) == 0.0


def test_short_squeeze_setup_fires_once_on_the_rising_edge() -> None:
    setup = NEGATIVE | {"oi_change_fraction": 0.06, "price_change_fraction": -0.01}
    found = detect.short_squeeze_setups(grid([{}, setup, setup, {}]), "BTC", TH)
    assert [(s.time, s.kind) for s in found] == [(T + 2 * H, SignalKind.SHORT_SQUEEZE_SETUP)]
    signal = found[0]
    # strength: mean(0.0002 / 0.0001, 0.06 / 0.03) / 3 = 2 / 3
    assert signal.strength == pytest.approx(2 / 3, abs=1e-4)
    assert signal.evidence["funding_venues"] == VENUES
    assert signal.evidence["oi_change_fraction"] == 0.06
    assert signal.sentence == (
        "Funding negative on all 3 venues (binance, bybit and okx; mean -0.0200% per 8 h, settled) while open "
        "interest rose +6.0% and price held (-1.0%) over 24 h to 2025-10-10 02:00 UTC: shorts are building into a "
        "market that does not fall."
    )


@pytest.mark.parametrize(
    "row",
    [
        NEGATIVE | {"venues_negative": 2, "oi_change_fraction": 0.06},  # one venue still positive
        NEGATIVE | {"oi_change_fraction": 0.02},  # OI not rising enough
        NEGATIVE | {"oi_change_fraction": 0.06, "price_change_fraction": -0.03},  # price not holding
        NEGATIVE | {"funding_venues": ["okx"], "venues_negative": 1, "oi_change_fraction": 0.06},  # one venue
    ],
)
def test_short_squeeze_setup_not_fired(row: dict[str, Any]) -> None:
    assert detect.short_squeeze_setups(grid([{}, row]), "BTC", TH) == []


def test_long_squeeze_risk_uses_the_oi_weighted_rate() -> None:
    hot = {"funding_weighted_8h": 0.0008, "funding_simple_8h": 0.0003, "oi_change_fraction": 0.10}
    found = detect.long_squeeze_risks(grid([{}, hot]), "BTC", TH)
    assert len(found) == 1 and found[0].kind is SignalKind.LONG_SQUEEZE_RISK
    # mean(0.0008 / 0.0005, 0.10 / 0.05) / 3 = (1.6 + 2) / 6 = 0.6
    assert found[0].strength == pytest.approx(0.6)
    assert "+0.0800% per 8 h (OI-weighted over binance, bybit and okx, settled; 8.0x the 0.01% baseline)" in (
        found[0].sentence
    )
    # the simple mean stands in only when no OI weights exist
    assert detect.long_squeeze_risks(grid([{}, hot | {"funding_weighted_8h": None}]), "BTC", TH) == []
    assert detect.long_squeeze_risks(grid([{}, hot | {"oi_change_fraction": 0.04}]), "BTC", TH) == []


def test_cooldown_keeps_a_flickering_condition_to_one_signal() -> None:
    hot = {"funding_weighted_8h": 0.0008, "oi_change_fraction": 0.10}
    found = detect.long_squeeze_risks(grid([{}, hot, {}, hot] + [{}] * 22 + [hot]), "BTC", TH)
    assert [s.time for s in found] == [T + 2 * H, T + 27 * H]  # the edge at T + 4 h is within 24 h


def test_oi_price_divergence_both_ways() -> None:
    rally = {"price_change_fraction": 0.03, "oi_change_fraction": -0.06, "oi_usd": 2.2e9}
    drop = {"price_change_fraction": -0.03, "oi_change_fraction": 0.06}
    found = detect.oi_price_divergences(grid([{}, rally] + [{}] * 30 + [drop]), "BTC", TH)
    assert [s.evidence["reading"] for s in found] == ["short covering", "new shorts building"]
    assert found[0].sentence == (
        "Price +3.0% while open interest -6.0% ($2.2B now) over 24 h to 2025-10-10 02:00 UTC: short covering: "
        "the rally is not new buying."
    )
    together = {"price_change_fraction": 0.03, "oi_change_fraction": 0.06}  # same direction: no divergence
    assert detect.oi_price_divergences(grid([{}, together]), "BTC", TH) == []


def wave(side: str, start: int, end: int, notional: float = 50e6) -> pl.DataFrame:
    row = {"wave": 1, "side": side, "start": start, "end": end, "price_first": 101_000.0, "price_last": 97_000.0}
    row |= {"price_low": 97_000.0, "price_high": 101_000.0, "vwap": 99_000.0, "notional_usd": notional}
    row |= {"events": 40, "venues": ["bybit"], "lower_bound": False}
    return pl.DataFrame([row], schema=waves.WAVE_SCHEMA)


def test_flip_after_long_liquidations() -> None:
    rows = grid([{}, {}, {}, {"funding_simple_8h": -0.00005}, {"funding_simple_8h": -0.0001}])
    found = detect.flips_after_liquidations(rows, wave("long", T + H, T + 2 * H), "BTC", TH)
    assert [(s.time, s.kind) for s in found] == [(T + 4 * H, SignalKind.FLIP_AFTER_LIQUIDATIONS)]
    evidence = found[0].evidence
    assert (evidence["funding_before_8h"], evidence["funding_after_8h"]) == (0.0001, -0.00005)
    assert found[0].sentence == (
        "After $50.0M of longs were liquidated between $97,000 and $101,000 (2025-10-10 01:00 UTC to 2025-10-10 "
        "02:00 UTC), mean settled funding over binance, bybit and okx turned negative: +0.0100% per 8 h to "
        "-0.0050% per 8 h by 2025-10-10 04:00 UTC."
    )


def test_waves_leading_to_one_flip_make_one_signal() -> None:
    rows = grid([{"funding_simple_8h": -0.0001}] * 4 + [{"funding_simple_8h": 0.0001}])
    first, second = wave("short", T + H, T + 2 * H, 10e6), wave("short", T + 3 * H, T + 4 * H, 20e6)
    found = detect.flips_after_liquidations(rows, pl.concat([first, second]), "BTC", TH)
    assert len(found) == 1
    evidence = found[0].evidence
    assert (evidence["wave_count"], evidence["wave_notional_usd"], evidence["wave_events"]) == (2, 30e6, 80)
    assert (evidence["wave_start"], evidence["wave_end"]) == (T + H, T + 4 * H)
    assert found[0].sentence.startswith("After $30.0M of shorts were liquidated in 2 waves between $97,000")


def test_no_flip_when_the_sign_does_not_change_or_comes_too_late() -> None:
    negative_already = grid([{"funding_simple_8h": -0.0001}] * 5)
    assert detect.flips_after_liquidations(negative_already, wave("long", T + H, T + 2 * H), "BTC", TH) == []
    wrong_way = grid([{"funding_simple_8h": -0.0001}] * 3 + [{"funding_simple_8h": 0.0001}])
    assert detect.flips_after_liquidations(wrong_way, wave("long", T + H, T + 2 * H), "BTC", TH) == []
    late = grid([{}] * 27 + [{"funding_simple_8h": -0.0001}])  # 26 h after the wave
    assert detect.flips_after_liquidations(late, wave("long", T + H, T + 2 * H), "BTC", TH) == []
    # after shorts are squeezed, funding turning positive is the flip
    squeezed = grid([{"funding_simple_8h": -0.0001}] * 3 + [{"funding_simple_8h": 0.0001}])
    assert len(detect.flips_after_liquidations(squeezed, wave("short", T + H, T + 2 * H), "BTC", TH)) == 1


def cluster(vwap: float, last_time: int, notional: float = 20e6) -> pl.DataFrame:
    row = {"side": "short", "price_low": vwap - 250, "price_high": vwap + 250, "notional_usd": notional}
    row |= {"events": 10, "vwap": vwap, "first_time": last_time - H, "last_time": last_time, "venues": ["bybit"]}
    return pl.DataFrame([row | {"lower_bound": True}], schema=waves.CLUSTER_SCHEMA)


def test_liquidity_sweep_through_a_cluster_and_back() -> None:
    bars = grid(
        [
            {"close": 96_000.0, "high": 96_200.0, "low": 95_800.0},
            {"close": 97_400.0, "high": 97_600.0, "low": 96_000.0},  # runs up through 97,000
            {"close": 96_800.0, "high": 97_500.0, "low": 96_700.0},  # closes back below: the sweep
        ]
    )
    found = detect.liquidity_sweeps(bars, cluster(97_000.0, T - H), "BTC", TH)
    assert [(s.time, s.kind) for s in found] == [(T + 3 * H, SignalKind.LIQUIDITY_SWEEP)]
    assert found[0].evidence["run_extreme"] == 97_600.0
    assert found[0].evidence["direction"] == "up"
    assert "where at least $20.0M of shorts had been liquidated" in found[0].sentence


def test_no_sweep_without_a_reversal_a_big_cluster_or_a_finished_cluster() -> None:
    held = grid([{"close": 96_000.0}, {"close": 97_400.0, "high": 97_600.0}] + [{"close": 97_500.0}] * 4)
    assert detect.liquidity_sweeps(held, cluster(97_000.0, T - H), "BTC", TH) == []
    swept = grid([{"close": 96_000.0}, {"close": 96_800.0, "high": 97_600.0}])
    assert detect.liquidity_sweeps(swept, cluster(97_000.0, T - H, notional=0.5e6), "BTC", TH) == []
    # a run of 0.1% past the level is a touch, not a sweep (depth 0.2%: 97,194)
    touched = grid([{"close": 96_000.0}, {"close": 96_800.0, "high": 97_100.0}])
    assert detect.liquidity_sweeps(touched, cluster(97_000.0, T - H), "BTC", TH) == []
    # a cluster still forming when the bar opens is not yet a realized level
    assert detect.liquidity_sweeps(swept, cluster(97_000.0, T + H + 1), "BTC", TH) == []
    assert len(detect.liquidity_sweeps(swept, cluster(97_000.0, T - H), "BTC", TH)) == 1


def test_a_quiet_market_gives_no_signal() -> None:
    quiet = grid([{}] * 48)
    empty_waves, empty_clusters = pl.DataFrame(schema=waves.WAVE_SCHEMA), pl.DataFrame(schema=waves.CLUSTER_SCHEMA)
    assert detect.detect_all(quiet, empty_waves, empty_clusters, "BTC", TH) == []


def test_signal_is_a_typed_record() -> None:
    signal = detect.oi_price_divergences(
        grid([{}, {"price_change_fraction": 0.03, "oi_change_fraction": -0.06}]), "BTC", TH
    )[0]
    assert isinstance(signal, Signal)
    assert (signal.symbol, signal.kind.value, signal.evidence["window_h"]) == ("BTC", "oi_price_divergence", 24.0)
