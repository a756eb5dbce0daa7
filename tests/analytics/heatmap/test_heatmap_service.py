"""The heatmap service and CLI on a store: hand-computed levels through SQL, open-interest interpolation, venues
without a margin table, the CLI's --json values; the real sample and the simulator harnesses.

Hand series: Binance BTCUSDT 1-minute bars at exactly 100,000 USD (VWAP = quote volume / volume = 100,000), open
interest 1,000 BTC, then 1,010 BTC from the second bar. The default config puts half of the 10 BTC on each side
(no split evidence stored) and a 10,000 USD representative position in bracket 1 (MMR 0.4%, cum 0), so a long at
L x is at 100,000 x (1 - 1/L) / 0.996 and a short at 100,000 x (1 + 1/L) / 1.004.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from perpscope.analytics.heatmap import validate
from perpscope.analytics.heatmap.config import HeatmapConfig
from perpscope.cli import cli
from perpscope.cli.heatmaps import COMMANDS
from perpscope.models import Candle, OIUnit, OpenInterest
from perpscope.service import heatmap as service
from perpscope.store import DuckDBStore

START = 1_747_000_800_000  # 2025-05-11 22:00 UTC, an exact hour
MINUTE = 60_000
MIX = dict(HeatmapConfig().leverage_mix)


def long_level(leverage: float) -> float:
    return 100_000 * (1 - 1 / leverage) / 0.996


def short_level(leverage: float) -> float:
    return 100_000 * (1 + 1 / leverage) / 1.004


def write_hand_series(store: DuckDBStore, bars: int = 30) -> None:
    common = {"venue": "binance", "symbol": "BTC-USDT-PERP", "native_symbol": "BTCUSDT", "source": "test"}
    records = []
    for index in range(bars):
        ts = START + index * MINUTE
        records.append(
            Candle(
                **common,
                ts_event=ts,
                ts_recv=ts,
                interval="1m",
                open=100_000.0,
                high=100_100.0,
                low=99_900.0,
                close=100_000.0,
                volume=2.0,
                quote_volume=200_000.0,
            )
        )
    for index in (0, 1, 2, 10):  # at the ends of bars 0, 1, 2 and 10: 1,000 then 1,010 BTC (held)
        ts = START + (index + 1) * MINUTE
        oi = 1_000.0 if index == 0 else 1_010.0
        records.append(OpenInterest(**common, ts_event=ts, ts_recv=ts, oi_base=oi, reported=OIUnit.BASE))
    store.write_records(records)


@pytest.fixture
def hand_store(duckdb_store: DuckDBStore) -> DuckDBStore:
    write_hand_series(duckdb_store)
    return duckdb_store


def test_the_map_from_the_store_holds_the_hand_computed_levels(hand_store: DuckDBStore) -> None:
    result = service.liquidation_map(hand_store, "BTC", START + 29 * MINUTE, [95_000.0, 105_000.0])
    shorts = 5 * sum(MIX[leverage] * short_level(leverage) for leverage in (25.0, 50.0, 100.0))
    longs = 5 * sum(MIX[leverage] * long_level(leverage) for leverage in (25.0, 50.0, 100.0))
    assert result.at_risk == (
        (95_000.0, "long", pytest.approx(longs, rel=1e-12)),
        (105_000.0, "short", pytest.approx(shorts, rel=1e-12)),
    )
    assert result.map.long_prices.tolist() == pytest.approx(sorted(long_level(lev) for lev in MIX), rel=1e-12)
    assert result.map.price == 100_000.0
    assert any("interpolated linearly" in note for note in result.notes)


def test_the_heatmap_from_the_store_equals_the_model_on_the_same_bars(hand_store: DuckDBStore) -> None:
    config = HeatmapConfig(column_ms=10 * MINUTE)
    result = service.heatmap(hand_store, "BTC", START, START + 30 * MINUTE, config)
    heatmap = result.heatmap
    assert heatmap.times.tolist() == [START, START + 10 * MINUTE, START + 20 * MINUTE]
    total_long = 5 * sum(weight * long_level(leverage) for leverage, weight in MIX.items())
    assert heatmap.long.sum(axis=1).tolist() == pytest.approx([total_long] * 3, rel=1e-12)
    assert heatmap.venues == ("binance",) and list(result.per_venue) == ["binance"]


def test_open_interest_is_interpolated_to_bar_ends(duckdb_store: DuckDBStore) -> None:
    write_hand_series(duckdb_store)
    common = {"venue": "binance", "symbol": "BTC-USDT-PERP", "native_symbol": "BTCUSDT", "source": "test"}
    late = START + 21 * MINUTE  # 1,010 at the end of bar 10 -> 1,021 at the end of bar 20: +1.1 BTC per bar
    duckdb_store.write_records(
        [OpenInterest(**common, ts_event=late, ts_recv=late, oi_base=1_021.0, reported=OIUnit.BASE)]
    )
    prepared = service.load_venue(
        duckdb_store, "binance", "BTC-USDT-PERP", "1m", START, START + 30 * MINUTE, HeatmapConfig()
    )
    oi = prepared.bars.open_interest
    assert oi[:3].tolist() == [1_000.0, 1_010.0, 1_010.0]
    assert oi[15] == pytest.approx(1_010.0 + 5 * 1.1)
    assert oi[25] == 1_021.0  # held after the last sample


def test_a_venue_without_a_margin_table_is_left_out_with_a_note(hand_store: DuckDBStore) -> None:
    common = {"venue": "okx", "symbol": "BTC-USDT-PERP", "native_symbol": "BTC-USDT-SWAP", "source": "test"}
    candle = Candle(**common, ts_event=START, ts_recv=START, interval="1m", open=1.0, high=1.0, low=1.0, close=1.0)
    oi = OpenInterest(**common, ts_event=START, ts_recv=START, oi_base=5.0, reported=OIUnit.BASE)
    hand_store.write_records([candle, oi])
    result = service.heatmap(hand_store, "BTC", START, START + 30 * MINUTE)
    assert result.heatmap.venues == ("binance",)
    assert any(note.startswith("okx BTC-USDT-PERP skipped: no margin table") for note in result.notes)


def run_cli(store: DuckDBStore, *arguments: str) -> str:
    group = click.Group("perpscope", params=cli.params, callback=cli.callback, commands={c.name: c for c in COMMANDS})
    path = store.path
    store.close()
    result = CliRunner().invoke(group, ["--db", str(path), *arguments], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_liqmap_json_values(hand_store: DuckDBStore) -> None:
    import json

    payload = json.loads(run_cli(hand_store, "liqmap", "--targets", "105000,95000", "--json"))
    shorts = 5 * sum(MIX[leverage] * short_level(leverage) for leverage in (25.0, 50.0, 100.0))
    assert payload["label"] == "estimated"
    assert payload["price"] == 100_000.0
    assert payload["targets"][0] == {"target": 105_000.0, "side": "short", "usd": pytest.approx(shorts, rel=1e-12)}
    assert payload["targets"][1]["side"] == "long"
    assert payload["total_short_usd"] == pytest.approx(5 * sum(w * short_level(lev) for lev, w in MIX.items()))
    assert payload["units"]["usd"] == "USD notional at the liquidation price"
    assert payload["sentence"].startswith("A move to $105,000 would put about $")


def test_heatmap_json_and_png(hand_store: DuckDBStore, tmp_path: Path) -> None:
    import json

    out = tmp_path / "heatmap.png"
    payload = json.loads(
        run_cli(hand_store, "heatmap", "--range", "30m", "--column", "10m", "--json", "--out", str(out))
    )
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert payload["times"] == [START, START + 10 * MINUTE, START + 20 * MINUTE]
    long_sums = np.asarray(payload["long_usd"]).sum(axis=1)
    total_long = 5 * sum(weight * long_level(leverage) for leverage, weight in MIX.items())
    assert long_sums.tolist() == pytest.approx([total_long] * 3, abs=0.05)  # JSON rounds to cents per bin


def test_realized_validation_on_the_real_sample(shared_data: Path) -> None:
    configs = validate.candidate_configs()
    results = validate.realized(shared_data / "sample", {name: configs[name] for name in ("model", "naive baseline")})
    model, naive = results
    # Hyperliquid's 468 BTC events of 2025-05-25/26 are all shorts (docs/importing.md); none are longs.
    assert model.long.columns == 0 and model.short.columns > 5
    assert model.short.realized_usd + model.short.outside_usd == pytest.approx(
        naive.short.realized_usd + naive.short.outside_usd
    )
    assert -1 <= model.short.rank_correlation <= 1 and 0 <= model.short.top_k_capture <= 1
    assert any("prices from binance" in note for note in model.notes)


def test_simulated_validation_scores_both_sides() -> None:
    configs = validate.candidate_configs()
    chosen = {name: configs[name] for name in ("model", "naive baseline")}
    scores = validate.simulated(chosen, ["long-cascade"], [1], days=0.5, venues=["binance"])
    assert [score.config for score in scores] == ["model", "naive baseline"]
    for score in scores:
        assert score.long.columns == 6  # hours 6-11 of a 12-hour run
        assert -1 <= score.long.correlation <= 1 and 0 <= score.long.top_k <= 1
