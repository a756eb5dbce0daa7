"""The report on the simulator's scenarios (seed 1, the runs of tests/analytics/test_sim_scenarios.py): the
long-cascade's waves and its estimated heatmap and map, and a quiet market with no signal.

Each scenario is simulated once per module into its own DuckDB (about 12 s each) and reported on over its whole
span. Figures are checked against what the service itself returns for the same store, and the waves against
the scenario's design (the fall at hour 20 liquidates the crowded longs)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from report_checks import markdown_figures_without_unit, png_size

from perpscope.analytics.heatmap.outputs import default_targets
from perpscope.api import Perpscope
from perpscope.config import load_settings
from perpscope.report import ReportFiles, write_report
from perpscope.report import format as fmt
from perpscope.report.estimated import level
from perpscope.sim.market import START_MS, RunConfig
from perpscope.sim.run import run_to_store
from perpscope.sim.scenarios import scenario
from perpscope.store import DuckDBStore
from perpscope.times import MS_PER_HOUR

H = MS_PER_HOUR


def reported(
    tmp_path_factory: pytest.TempPathFactory, name: str, hours: int
) -> Iterator[tuple[ReportFiles, Perpscope]]:
    folder = tmp_path_factory.mktemp(name)
    store = DuckDBStore(folder / "sim.duckdb")
    run_to_store(RunConfig(scenario=scenario(name), seed=1), hours / 24, store)
    api = Perpscope(store, load_settings())
    # No end given: the report ends at the newest stored print, the simulator's last settlement.
    yield write_report(api, folder / "out", "BTC", None, f"{hours}h"), api
    store.close()


@pytest.fixture(scope="module")
def cascade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ReportFiles, Perpscope]]:
    yield from reported(tmp_path_factory, "long-cascade", 24)


@pytest.fixture(scope="module")
def quiet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ReportFiles, Perpscope]]:
    yield from reported(tmp_path_factory, "quiet", 30)


def test_long_cascade_window_and_simulated_label(cascade: tuple[ReportFiles, Perpscope]) -> None:
    files, _api = cascade
    window = files.data.window
    assert (window.start, window.end) == (START_MS, START_MS + 24 * H)
    text = files.markdown.read_text(encoding="utf-8")
    assert text.startswith("# BTC perpetuals: simulated market report, 24 hours to 2025-01-02 00:00 UTC\n")


def test_long_cascade_waves(cascade: tuple[ReportFiles, Perpscope]) -> None:
    files, api = cascade
    waves = files.data.liquidations.waves
    expected = api.liquidation_waves("BTC", START_MS, START_MS + 24 * H + 1)
    assert len(waves) == expected.height > 1
    for wave, row in zip(waves, expected.iter_rows(named=True), strict=True):
        assert (wave.start, wave.end, wave.side, wave.notional_usd, wave.events) == (
            row["start"],
            row["end"],
            row["side"],
            row["notional_usd"],
            row["events"],
        )
        assert (wave.low_price, wave.high_price, list(wave.venues)) == (
            row["price_low"],
            row["price_high"],
            row["venues"],
        )
    big = max(waves, key=lambda wave: wave.notional_usd)
    # the scenario's fall at hour 20 liquidates the crowded longs in one burst on all three venues
    assert big.side == "long" and 20 * H <= big.start - START_MS < 20 * H + 10 * 60_000
    assert big.notional_usd > 50e6 and big.venues == ("binance", "bybit", "okx") and not big.lower_bound
    text = files.markdown.read_text(encoding="utf-8")
    assert (
        f"The window had {len(waves)} liquidation waves (bursts of one side's liquidations, docs/analytics.md); the "
        f"largest liquidated {fmt.usd(big.notional_usd)} of longs in {big.events:,} events from {fmt.when(big.start)} "
        f"to {fmt.clock(big.end)}" in text
    )
    row = (
        f"| {fmt.when(big.start)} | {fmt.clock(big.end)} | longs | {fmt.usd(big.notional_usd)} | {big.events} | "
        f"{fmt.price(big.high_price)} | {fmt.price(big.low_price)} | Binance, Bybit, OKX |"
    )
    assert row in text


def test_long_cascade_map_sentence_in_the_headline(cascade: tuple[ReportFiles, Perpscope]) -> None:
    files, _api = cascade
    found = files.data.estimated.map
    assert found is not None and found.map.venues == ("binance", "bybit")  # OKX has no margin table
    chosen = found.map
    assert chosen.at == START_MS + 24 * H - 2 * 60_000  # the last closed 1-minute bar before the end
    up, down = default_targets(chosen.price, 0.05)
    assert found.targets == (up, down) and up == round(chosen.price * 1.05, -3)
    (up_target, up_side, up_usd), (down_target, down_side, down_usd) = found.at_risk
    assert (up_target, up_side, down_target, down_side) == (up, "short", down, "long")
    assert up_usd == pytest.approx(float(chosen.short_usd[chosen.short_prices <= up].sum()))
    assert down_usd == pytest.approx(float(chosen.long_usd[chosen.long_prices >= down].sum()))
    assert up_usd > 0 and down_usd > 0
    sentence = (
        f"Estimated liquidation map at the last modelled bar (opened {fmt.when(chosen.at)}) on Binance and Bybit, "
        f"price {fmt.price(chosen.price)}: a move to {level(up)} would put about {fmt.usd(up_usd)} of shorts at risk; "
        f"a drop to {level(down)} about {fmt.usd(down_usd)} of longs."
    )
    text = files.markdown.read_text(encoding="utf-8")
    summary = text.split("## Summary", 1)[1].split("##", 1)[0]
    assert sentence in summary
    assert f"| +5% | {level(up)} | shorts | {fmt.usd(up_usd)} |" in text
    assert f"| −5% | {level(down)} | longs | {fmt.usd(down_usd)} |" in text
    assert "Not modelled: OKX (the model notes below say why)." in text
    assert "- okx BTC-USDT-PERP skipped: no margin table for okx BTC-USDT-PERP" in text


def test_long_cascade_heatmap_over_the_window(cascade: tuple[ReportFiles, Perpscope]) -> None:
    files, _api = cascade
    section = files.data.estimated
    assert section.heatmap is not None and section.absent == ()
    grid = section.heatmap.heatmap
    assert section.column == "15m" and grid.times.size == 96  # 24 h in 15-minute columns
    assert int(grid.times[0]) == START_MS and grid.venues == ("binance", "bybit")
    last_long = grid.long[-1]
    index = int(last_long.argmax())
    densest = f"longs around {level(round(float(grid.centers[index])))} (about {fmt.usd(float(last_long[index]))})"
    text = files.markdown.read_text(encoding="utf-8")
    assert f"the densest estimated levels were {densest}" in text
    assert "per 0.1% price bin in 15m columns" in text


def test_long_cascade_charts_are_images(cascade: tuple[ReportFiles, Perpscope]) -> None:
    files, _api = cascade
    assert sorted(files.charts) == ["funding", "heatmap", "liquidation_map", "open_interest", "price"]
    assert png_size(files.charts["heatmap"]) == (1430, 770)
    assert png_size(files.charts["liquidation_map"]) == (1210, 550)
    text = files.markdown.read_text(encoding="utf-8")
    for path in files.charts.values():
        assert path.stat().st_size > 20_000 and f"]({path.name})" in text
    page = files.html.read_text(encoding="utf-8")
    assert len(re.findall(r'<img alt="[^"]*" src="data:image/png;base64,iVBORw0KGgo', page)) == 5


def test_long_cascade_every_figure_has_a_unit(cascade: tuple[ReportFiles, Perpscope]) -> None:
    files, _api = cascade
    assert markdown_figures_without_unit(files.markdown.read_text(encoding="utf-8")) == []


def test_quiet_says_no_signal(quiet: tuple[ReportFiles, Perpscope]) -> None:
    files, api = quiet
    assert files.data.signals == () and files.data.signals_absent is None
    assert api.signals("BTC", START_MS, START_MS + 30 * H) == []
    text = files.markdown.read_text(encoding="utf-8")
    signals = text.split("## Signals", 1)[1].split("##", 1)[0]
    assert signals.strip() == (
        "No signal was active in the window (the five signals and their thresholds: docs/analytics.md)."
    )
    assert markdown_figures_without_unit(text) == []
