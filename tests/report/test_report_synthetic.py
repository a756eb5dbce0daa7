"""The report on a small hand-built market: simulated wording, lower bounds, waves, recorded gaps, escaping.

Every record is written here, so every expected figure is computed by hand in the comments."""

from __future__ import annotations

import re
from typing import Any

import pytest
from report_checks import markdown_figures_without_unit

from perpscope.api import Perpscope
from perpscope.config import load_settings
from perpscope.models import Candle, FundingRate, Gap, Liquidation, OIUnit, OpenInterest, Side
from perpscope.report import ReportFiles, write_report
from perpscope.report import format as fmt
from perpscope.store import DuckDBStore, schema
from perpscope.times import MS_PER_HOUR, iso_to_ms

END = iso_to_ms("2026-01-08T00:00Z")
START = END - 48 * MS_PER_HOUR
SOURCE = "sim long-cascade <img src=x onerror=alert(1)>"  # a hostile string must stay text everywhere


def _ids(venue: str) -> dict[str, Any]:
    symbol = "BTC-USDT-PERP"
    return {"venue": venue, "symbol": symbol, "native_symbol": "BTCUSDT", "ts_recv": END, "source": SOURCE}


def _market() -> list[object]:
    records: list[object] = []
    rates = {"okx": (0.0001, 0.00005, -0.00002), "bybit": (-0.0001, -0.00005, 0.00002)}
    for venue, values in rates.items():
        for index, rate in enumerate(values):
            time = END - (2 - index) * 8 * MS_PER_HOUR
            records.append(FundingRate(**_ids(venue), ts_event=time, rate=rate, interval_h=8.0, funding_time=time))
    for hour in range(49):
        time = START + hour * MS_PER_HOUR
        okx_oi, bybit_oi = 1e9 + hour * 1e7, 5e8  # OKX: $1.00B -> $1.48B; Bybit flat at $500.0M
        records.append(OpenInterest(**_ids("okx"), ts_event=time, oi_usd=okx_oi, reported=OIUnit.USD))
        records.append(OpenInterest(**_ids("bybit"), ts_event=time, oi_usd=bybit_oi, reported=OIUnit.USD))
        if hour < 48:
            price = 100_000.0 + hour * 100
            bar: dict[str, Any] = {"open": price, "high": price + 50, "low": price - 50, "close": price + 100}
            records.append(Candle(**_ids("okx"), ts_event=time, interval="1h", **bar))
    burst = END - 5 * MS_PER_HOUR
    for second in range(6):  # six longs of $250,000 within 5 s at $104,300: one wave of $1.5M
        records.append(
            Liquidation(
                **_ids("okx"),
                ts_event=burst + second * 1000,
                side=Side.LONG,
                price=104_300.0,
                quantity=250_000 / 104_300,
                notional_usd=250_000.0,
                complete=False,
            )
        )
    records.append(
        Liquidation(
            **_ids("okx"),
            ts_event=END - 3 * MS_PER_HOUR,
            side=Side.SHORT,
            price=104_500.0,
            quantity=50_000 / 104_500,
            notional_usd=50_000.0,
            complete=False,
        )
    )
    gap: dict[str, Any] = {**_ids("okx"), "ts_event": END - 10 * MS_PER_HOUR}
    records.append(Gap(**gap, channel="liquidations", ts_end=END - 9 * MS_PER_HOUR, reason="reconnect"))
    return records


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    tmp_path = tmp_path_factory.mktemp("synthetic")
    store = DuckDBStore(tmp_path / "synthetic.duckdb")
    store.write(schema.records_to_arrow(_market()))  # type: ignore[arg-type]
    try:
        return write_report(Perpscope(store, load_settings()), tmp_path / "out", "BTC", END, "2d")
    finally:
        store.close()


def test_simulated_everywhere(report: ReportFiles) -> None:
    text = report.markdown.read_text(encoding="utf-8")
    assert report.data.simulated
    assert text.startswith("# BTC perpetuals: simulated market report, 2 days to 2026-01-08 00:00 UTC\n")
    assert "SIMULATED DATA: every figure in this report comes from perpscope's market simulator" in text
    assert "In this simulated market, BTC rose" in text
    assert 'class="banner"' in report.html.read_text(encoding="utf-8")


def test_funding_and_open_interest_sentence(report: ReportFiles) -> None:
    text = report.markdown.read_text(encoding="utf-8")
    # OKX 0.01% -> −0.002%; Bybit −0.01% -> 0.002%; OI total $1.50B -> $1.98B = +32.0%.
    assert (
        "Funding across OKX (−0.0020%) turned negative and Bybit (0.0020%) turned positive (latest settled rates, "
        "% per 8 h), while open interest on Bybit and OKX rose 32.0% over the 2 days." in text
    )
    section = report.data.funding
    # OI-weighted at the end: (−0.00002 × 1.48e9 + 0.00002 × 5e8) / 1.98e9.
    assert section.oi_weighted_8h == pytest.approx((-0.00002 * 1.48e9 + 0.00002 * 5e8) / 1.98e9)
    assert "open-interest-weighted funding rate was −0.0010% per 8 h over Bybit and OKX" in text
    oi = report.data.open_interest
    assert oi.total_start_usd == pytest.approx(1.5e9) and oi.total_end_usd == pytest.approx(1.98e9)


def test_liquidations_are_lower_bounds_with_a_wave(report: ReportFiles) -> None:
    text = report.markdown.read_text(encoding="utf-8")
    section = report.data.liquidations
    assert (section.long_usd, section.short_usd, section.lower_bound) == (1_500_000.0, 50_000.0, True)
    assert "Liquidations came to at least $1.5M of longs and at least $50.0K of shorts on OKX." in text
    assert "OKX publishes a throttled feed that drops events, so its figures are lower bounds" in text
    assert len(section.waves) == 1
    wave = section.waves[0]
    assert (wave.start, wave.end, wave.side, wave.notional_usd, wave.events) == (
        END - 5 * MS_PER_HOUR,
        END - 5 * MS_PER_HOUR + 5000,
        "long",
        1_500_000.0,
        6,
    )
    assert (wave.low_price, wave.high_price, wave.venues, wave.lower_bound) == (104_300.0, 104_300.0, ("okx",), True)
    assert (
        "The window had 1 liquidation wave (bursts of one side's liquidations, docs/analytics.md); the largest "
        "liquidated at least $1.5M of longs in 6 events from 2026-01-07 19:00 UTC to 19:00:05 UTC (5 s)"
    ) in text
    assert (
        "| 2026-01-07 19:00 UTC | 19:00:05 UTC | longs | at least $1.5M | 6 | $104,300.0 | $104,300.0 | OKX |" in text
    )
    assert "| OKX | BTC-USDT-PERP | $1.5M | $50.0K | 6 | 1 | throttled: lower bound |" in text


def test_short_squeeze_setup_signal(report: ReportFiles) -> None:
    # At 16:00 Bybit settled −0.005% and OKX's next rate, −0.002%, is already known (OKX fixes it one interval
    # early, docs/analytics.md): mean −0.0035% per 8 h. OI rose from $1.66B (hour 16) to $1.90B (hour 40), +14.5%.
    text = report.markdown.read_text(encoding="utf-8")
    signals = report.data.signals
    assert [(signal.kind, signal.time) for signal in signals] == [("short_squeeze_setup", END - 8 * MS_PER_HOUR)]
    assert f"2026-01-07 16:00 UTC, short-squeeze setup: {signals[0].sentence}" in text
    assert signals[0].sentence.startswith(
        "Funding negative on all 2 venues (bybit and okx; mean -0.0035% per 8 h, settled) while open interest rose "
        "+14.5%"
    )


def test_recorded_gap_in_footer(report: ReportFiles) -> None:
    text = report.markdown.read_text(encoding="utf-8")
    assert (
        "- Recorded gap: OKX liquidations (BTC-USDT-PERP) from 2026-01-07 14:00 UTC to 2026-01-07 15:00 UTC, "
        "reconnect; figures over it are incomplete." in text
    )


def test_hostile_source_is_escaped(report: ReportFiles) -> None:
    page = report.html.read_text(encoding="utf-8")
    assert "<img src=x" not in page
    assert "sim long-cascade &lt;img src=x onerror=alert(1)&gt;" in page
    text = report.markdown.read_text(encoding="utf-8")
    assert not re.search(r"(?<!\\)<img", text) and r"sim long-cascade \<img src=x onerror=alert(1)\>" in text


def test_every_figure_has_a_unit(report: ReportFiles) -> None:
    text = report.markdown.read_text(encoding="utf-8")
    assert markdown_figures_without_unit(text.replace(r"alert(1)", "alert")) == []


def test_number_formats() -> None:
    assert [fmt.usd(4_857_303_424.19), fmt.usd(-2_232_339_734.4), fmt.usd(435_850_522), fmt.usd(950)] == [
        "$4.86B",
        "−$2.23B",
        "$435.9M",
        "$950",
    ]
    assert [fmt.price(101_516.5), fmt.rate(-0.00014131), fmt.rate(-1e-9), fmt.percent(0.32, plus=True)] == [
        "$101,516.5",
        "−0.0141%",
        "0.0000%",
        "+32.0%",
    ]
    assert (fmt.when(iso_to_ms("2025-10-10T21:00Z")), fmt.span(7 * 24 * MS_PER_HOUR)) == (
        "2025-10-10 21:00 UTC",
        "7 days",
    )
    assert fmt.and_list(["A", "B", "C"]) == "A, B and C"
