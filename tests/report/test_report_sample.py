"""The report on the real sample week 2025-10-07..2025-10-14: the October-10 crash in figures and in words.

The expected values were read from the sample files themselves (hourly rows quoted in the comments)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from report_checks import markdown_figures_without_unit, png_size

from perpscope.api import Perpscope
from perpscope.config import load_settings
from perpscope.importers import import_paths
from perpscope.report import ReportFiles, write_report
from perpscope.store import DuckDBStore
from perpscope.times import iso_to_ms

SAMPLE_FILES = (
    "multivenue_btc_funding_*.csv.gz",
    "multivenue_btc_candles_1h_*.csv.gz",
    "hyperliquid_lighter_btc_open_interest_1h_*.csv.gz",
    "okx_hyperliquid_btc_liquidation_events.csv.gz",
)
END = iso_to_ms("2025-10-14T00:00Z")


def ms(text: str) -> int:
    return iso_to_ms(text + "Z")


@pytest.fixture(scope="module")
def report(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportFiles]:
    folder = tmp_path_factory.mktemp("report")
    store = DuckDBStore(folder / "sample.duckdb")
    sample = shared_data / "sample"
    import_paths(store, [next(sample.glob(pattern)) for pattern in SAMPLE_FILES])
    steps: list[str] = []
    files = write_report(Perpscope(store, load_settings()), folder / "out", "BTC", END, "7d", steps.append)
    assert steps == ["funding", "open interest", "prices", "liquidations", "analysis", "heatmap", "charts", "pages"]
    yield files
    store.close()


@pytest.fixture(scope="module")
def text(report: ReportFiles) -> str:
    return report.markdown.read_text(encoding="utf-8")


def test_window(report: ReportFiles, text: str) -> None:
    window = report.data.window
    assert (window.symbol, window.start, window.end) == ("BTC", ms("2025-10-07T00:00"), END)
    assert text.startswith("# BTC perpetuals: market report, 7 days to 2025-10-14 00:00 UTC\n")
    assert not report.data.simulated and "simulated" not in text.lower()


def test_hyperliquid_open_interest_crash(report: ReportFiles, text: str) -> None:
    hyperliquid = next(venue for venue in report.data.open_interest.venues if venue.venue == "hyperliquid")
    # Hourly oi_usd rows: 10-10 10:00 4,857,303,424 (the window's high); 10-10 20:00 4,425,234,272;
    # 21:00 2,995,8xx,xxx; 22:00 2,192,894,538; 10-11 08:00 2,114,471,466 (the low).
    assert hyperliquid.prints == 169
    assert hyperliquid.peak.value == pytest.approx(4_857_303_424.19, abs=0.01)
    assert hyperliquid.peak.time == ms("2025-10-10T10:00")
    assert hyperliquid.trough.value == pytest.approx(2_114_471_465.84, abs=0.01)
    assert hyperliquid.trough.time == ms("2025-10-11T08:00")
    assert hyperliquid.drawdown_fraction == pytest.approx(2_114_471_465.84 / 4_857_303_424.19 - 1)
    assert hyperliquid.steepest is not None
    top, bottom = hyperliquid.steepest
    assert (top.time, bottom.time) == (ms("2025-10-10T20:00"), ms("2025-10-10T22:00"))
    assert top.value == pytest.approx(4_425_234_272.05, abs=0.01)
    assert bottom.value == pytest.approx(2_192_894_537.60, abs=0.01)
    assert hyperliquid.first.value == pytest.approx(4_344_968_967.22, abs=0.01)
    assert hyperliquid.last.value == pytest.approx(3_042_233_254.34, abs=0.01)
    assert (
        "Hyperliquid open interest fell from $4.86B (2025-10-10 10:00 UTC) to $2.11B (2025-10-11 08:00 UTC), −56.5%."
        in text
    )
    assert "from $4.43B at 2025-10-10 20:00 UTC to $2.19B at 2025-10-10 22:00 UTC (−$2.23B in 2 h)" in text
    assert "went from $4.34B to $3.04B over the 7 days (−30.0%" in text
    # Lighter starts late (10-10 12:00), so the total counts Hyperliquid alone.
    assert report.data.open_interest.total_venues == ("hyperliquid",)


def test_price_drop(report: ReportFiles, text: str) -> None:
    price = report.data.price
    assert price.reference is not None and price.reference.venue == "binance" and price.reference.bars == 169
    day = {item.venue: item for item in price.widest_day}
    assert all(item.day == ms("2025-10-10T00:00") for item in day.values())
    # 1 h candles of 10-10: highs at 13:00, lows in the bar opened at 21:00.
    assert (day["binance"].high.value, day["binance"].low.value) == (122_497.0, 101_516.5)
    assert (day["bybit"].high.value, day["bybit"].low.value) == (122_490.0, 101_045.9)
    assert (day["lighter"].high.value, day["lighter"].low.value) == (122_547.8, 103_555.0)
    assert day["binance"].low.time == ms("2025-10-10T21:00")
    assert (price.peak and price.peak.value, price.trough and price.trough.value) == (125_098.0, 101_516.5)
    assert price.reference.open.value == 124_628.6 and price.reference.close.value == 114_904.1
    assert "The widest day was 2025-10-10: the price went from $122,497.0 to $101,516.5 on Binance" in text
    assert "$122,490.0 to $101,045.9 on Bybit and $122,547.8 to $103,555.0 on Lighter" in text
    assert "BTC fell 7.8% over the 7 days, from $124,628.6 to $114,904.1 (Binance 1h candles)" in text


def test_funding_moves_per_venue(report: ReportFiles, text: str) -> None:
    venues = {venue.venue: venue for venue in report.data.funding.venues}
    assert sorted(venues) == ["binance", "bybit", "hyperliquid", "kraken", "lighter"]
    binance, bybit, kraken = venues["binance"], venues["bybit"], venues["kraken"]
    # Binance: 0.01% at 10-07 00:00, −0.004041% at 10-14 00:00 (8 h prints).
    assert (binance.first.value, binance.latest.value, binance.prints) == (0.0001, -4.041e-05, 22)
    assert (binance.low.value, binance.low.time) == (-0.00010915, ms("2025-10-12T16:00"))
    # Bybit's settlement right after the crash: −0.014131% at 10-11 00:00.
    assert (bybit.low.value, bybit.low.time) == (-0.00014131, ms("2025-10-11T00:00"))
    # Kraken prints hourly: its 10-10 22:00 rate restated per 8 h is −0.1418%.
    assert kraken.interval_h == 1.0
    assert kraken.low.value == pytest.approx(-0.0014183357, abs=1e-10)
    assert kraken.low.time == ms("2025-10-10T22:00")
    assert venues["hyperliquid"].high.time == ms("2025-10-10T21:00")
    assert venues["hyperliquid"].high.value == pytest.approx(0.00087368476, abs=1e-11)
    assert "Funding across Binance (−0.0040%) turned negative and Bybit (0.0078%)" in text
    assert "Kraken −0.1418% (2025-10-10 22:00 UTC)" in text
    assert "Bybit −0.0141% (2025-10-11 00:00 UTC)" in text
    assert "Hyperliquid 0.0874% (2025-10-10 21:00 UTC)" in text
    assert "Lighter's at 2025-10-12 09:00 UTC" in text  # its series stops early: not called current


def test_liquidations_absent_and_said(report: ReportFiles, text: str) -> None:
    assert report.data.liquidations.venues == () and report.data.liquidations.waves == ()
    assert (
        "No liquidation events are stored for BTC in the window (latest stored event: 2026-03-05 11:17:55 UTC)" in text
    )


def test_heatmap_absent_in_one_line(report: ReportFiles, text: str) -> None:
    # The sample's candles are 1 h on Binance, Bybit and Lighter; its open interest is Hyperliquid's and
    # Lighter's. Only Lighter has both, and no margin table is stored or shipped for it.
    section = report.data.estimated
    assert (section.heatmap, section.map) == (None, None)
    part = text.split("## Liquidation heatmap and map (estimated)\n\n", 1)[1].split("\n\n## ", 1)[0]
    assert "\n" not in part.strip()
    assert part.startswith(
        "No estimated liquidation heatmap or map: the model needs one venue with candles, open interest and a "
        "margin table in the window; no venue could be modelled for BTC: "
    )
    assert "lighter BTC-USD-PERP skipped: no margin table for lighter BTC-USD-PERP" in part
    assert "binance BTC-USDT-PERP skipped: no open interest for binance BTC-USDT-PERP in the window" in part


def test_signals_and_overheated_funding(report: ReportFiles, text: str) -> None:
    assert report.data.signals == () and report.data.signals_absent is None
    assert "No signal was active in the window" in text
    # Hyperliquid 10-10 21:00 print 0.0874% per 8 h (overheated from 0.07%), 22:00 print −0.0050% (negative).
    changes = [(c.venue, c.time, c.event) for c in report.data.regime_changes if c.venue == "hyperliquid"]
    assert changes == [
        ("hyperliquid", ms("2025-10-10T21:00"), "enter"),
        ("hyperliquid", ms("2025-10-10T22:00"), "leave"),
    ]
    assert (
        "Overheated funding (at least 0.0700% per 8 h, docs/analytics.md): Hyperliquid entered it at 2025-10-10 "
        "21:00 UTC (0.0874%) and left it at 2025-10-10 22:00 UTC (−0.0050%, now negative); Lighter entered it at "
        "2025-10-10 22:00 UTC (0.3791%)" in text
    )
    # Every venue positive together several times, never all negative: no turn is worth a sentence.
    assert report.data.funding_turns == ()


def test_footer_sources_and_gaps(report: ReportFiles, text: str) -> None:
    footer = text.split("## Data sources and gaps", 1)[1]
    assert (
        "- Funding: import multivenue_btc_funding_2025-03-08_2026-03-07.csv.gz (Binance, Bybit, Hyperliquid" in footer
    )
    assert "- Liquidations: none stored for BTC in the window." in footer
    assert "- Lighter open interest: no rows from 2025-10-07 00:00 UTC to 2025-10-10 12:00 UTC." in footer
    assert "- Open interest: none stored for Binance, Bybit and Kraken in the window." in footer


def test_every_figure_has_a_unit(text: str) -> None:
    assert markdown_figures_without_unit(text) == []


def test_html_is_self_contained(report: ReportFiles) -> None:
    page = report.html.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert "<script" not in page.lower() and "<link" not in page.lower()
    images = re.findall(r'<img alt="[^"]*" src="([^"]*)"', page)
    assert len(images) == 3
    assert all(image.startswith("data:image/png;base64,iVBORw0KGgo") for image in images)  # the PNG signature
    assert "Hyperliquid open interest fell from $4.86B" in page


def test_charts_are_png_images(report: ReportFiles, text: str) -> None:
    assert sorted(report.charts) == ["funding", "open_interest", "price"]
    for name, path in report.charts.items():
        assert path.parent == report.markdown.parent
        assert png_size(path) == (1210, 550)
        assert path.stat().st_size > 20_000, f"{name} looks empty"
        assert f"]({path.name})" in text
