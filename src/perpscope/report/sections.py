"""The report as a list of plain blocks (headings, paragraphs, tables, images, lists) that
:mod:`perpscope.report.render` writes as Markdown and as HTML. Text here is plain: the renderers escape it.

Table cells carry their unit (``$``, ``%``, ``h``, ``UTC``); the only bare numbers are counts, in columns whose
header names what is counted (:data:`COUNT_HEADERS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from perpscope.report import estimated, narrative
from perpscope.report import format as fmt
from perpscope.report.data import ReportData

COUNT_HEADERS = ("candles", "prints", "negative prints", "long events", "short events", "events")


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str
    note: bool = False  # a source line or a caveat: shown smaller


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Image:
    path: Path
    alt: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


Block = Heading | Paragraph | Table | Image | Bullets

_CHANNEL_NAMES = {
    "funding": "Funding",
    "open_interest": "Open interest",
    "candles": "Candles",
    "liquidations": "Liquidations",
}


def _paragraphs(texts: list[str]) -> list[Block]:
    return [Paragraph(text, note=text.startswith("Source:")) for text in texts if text]


def document(data: ReportData, charts: dict[str, Path], generated: str) -> list[Block]:
    blocks: list[Block] = [Heading(narrative.title(data), 1)]
    if data.simulated:
        blocks.append(Paragraph(narrative.SIMULATED_BANNER))
    window = data.window
    blocks.append(
        Paragraph(f"Window: {fmt.when(window.start)} to {fmt.when(window.end)}, both included. {generated}", note=True)
    )
    blocks += [Heading("Summary"), Paragraph(narrative.headline(data))]
    blocks += [Heading("Price"), *_image(charts, "price", "price candles with liquidations")]
    blocks += [*_paragraphs(narrative.price_text(data)), *_price_table(data)]
    blocks += [Heading("Funding"), *_image(charts, "funding", "funding by venue, % per 8 h")]
    blocks += [*_paragraphs(narrative.funding_text(data)), *_funding_table(data)]
    blocks += [Heading("Open interest"), *_image(charts, "open_interest", "open interest by venue, USD")]
    blocks += [*_paragraphs(narrative.open_interest_text(data)), *_oi_table(data)]
    blocks += [Heading("Liquidations"), *_paragraphs(narrative.liquidation_text(data)), *_liquidation_table(data)]
    if data.liquidations.venues:
        blocks += [*_paragraphs(narrative.waves_text(data.liquidations)), *_waves_table(data)]
    blocks += [Heading("Signals"), *_paragraphs(narrative.signals_text(data))]
    blocks += _estimated(data, charts)
    blocks += [Heading("Data sources and gaps"), Bullets(tuple(source_lines(data))), Bullets(tuple(gap_lines(data)))]
    blocks.append(
        Paragraph(
            "Definitions: docs/report.md (this report), docs/views.md (funding, open interest and liquidation "
            "figures). Funding rates are restated per 8 h as the rate × 8 h ÷ the venue's interval; money is USD.",
            note=True,
        )
    )
    return blocks


def _estimated(data: ReportData, charts: dict[str, Path]) -> list[Block]:
    """The estimated heatmap and map: pictures, sentences, the at-risk table and the model's notes."""
    section = data.estimated
    blocks: list[Block] = [Heading("Liquidation heatmap and map (estimated)")]
    blocks += _image(charts, "heatmap", "estimated liquidation heatmap: candles over modelled levels, USD per bin")
    blocks += _paragraphs(estimated.section_text(section, data))
    blocks += _image(charts, "liquidation_map", "estimated liquidation map: USD at risk by price")
    if section.map is not None:
        headers = ("move from the price", "to", "positions at risk", "estimated at risk")
        blocks.append(Table(headers, estimated.at_risk_rows(section.map)))
    if section.notes:
        blocks += [Paragraph("Model notes (docs/heatmap.md):", note=True), Bullets(section.notes)]
    return blocks


def _image(charts: dict[str, Path], name: str, alt: str) -> list[Block]:
    return [Image(charts[name], alt)] if name in charts else []


def _price_table(data: ReportData) -> list[Block]:
    if not data.price.venues:
        return []
    headers = ("venue", "symbol", "candles", "open", "close", "change", "high", "high at", "low", "low at")
    rows = tuple(
        (
            fmt.venue_name(v.venue),
            v.symbol,
            str(v.bars),
            fmt.price(v.open.value),
            fmt.price(v.close.value),
            fmt.percent(v.change_fraction, 2, plus=True),
            fmt.price(v.high.value),
            fmt.when(v.high.time),
            fmt.price(v.low.value),
            fmt.when(v.low.time),
        )
        for v in data.price.venues
    )
    return [Table(headers, rows)]


def _funding_table(data: ReportData) -> list[Block]:
    if not data.funding.venues:
        return []
    headers = ("venue", "interval", "prints", "first", "latest", "latest APR", "low", "high", "mean", "negative prints")
    rows = tuple(
        (
            fmt.venue_name(v.venue),
            f"{v.interval_h:g} h",
            str(v.prints),
            fmt.rate(v.first.value),
            fmt.rate(v.latest.value),
            fmt.percent(v.latest_apr, 2),
            fmt.rate(v.low.value),
            fmt.rate(v.high.value),
            fmt.rate(v.mean_8h),
            str(v.negative_prints),
        )
        for v in data.funding.venues
    )
    return [
        Table(headers, rows),
        Paragraph("Rates in % per 8 h (the rate × 8 h ÷ the interval); APR simple, % per year.", note=True),
    ]


def _oi_table(data: ReportData) -> list[Block]:
    if not data.open_interest.venues:
        return []
    headers = ("venue", "symbol", "prints", "first", "last", "change", "peak", "trough", "fall", "unit")
    rows = tuple(
        (
            fmt.venue_name(v.venue),
            v.symbol,
            str(v.prints),
            fmt.usd(v.first.value),
            fmt.usd(v.last.value),
            fmt.percent(v.change_fraction or 0.0, 1, plus=True),
            fmt.usd(v.peak.value),
            fmt.usd(v.trough.value),
            fmt.percent(v.drawdown_fraction or 0.0, 1),
            "USD, derived from base units" if v.derived else "USD, as reported",
        )
        for v in data.open_interest.venues
    )
    return [Table(headers, rows)]


def _liquidation_table(data: ReportData) -> list[Block]:
    section = data.liquidations
    if not section.venues:
        return []
    headers = ("venue", "symbol", "longs liquidated", "shorts liquidated", "long events", "short events", "feed")
    rows = [
        (
            fmt.venue_name(v.venue),
            v.symbol,
            fmt.usd(v.long_usd),
            fmt.usd(v.short_usd),
            str(v.long_count),
            str(v.short_count),
            "throttled: lower bound" if v.lower_bound else "complete",
        )
        for v in section.venues
    ]
    bound = "lower bound" if section.lower_bound else "complete"
    rows.append(("all", "", fmt.usd(section.long_usd), fmt.usd(section.short_usd), "", "", bound))
    return [Table(headers, tuple(rows))]


def _waves_table(data: ReportData) -> list[Block]:
    waves = data.liquidations.waves
    if not waves:
        return []
    headers = ("start", "end", "side liquidated", "notional", "events", "high", "low", "venues")
    rows = tuple(
        (
            fmt.when(wave.start),
            fmt.clock(wave.end) if fmt.day(wave.end) == fmt.day(wave.start) else fmt.when(wave.end),
            f"{wave.side}s",
            ("at least " if wave.lower_bound else "") + fmt.usd(wave.notional_usd),
            str(wave.events),
            fmt.price(wave.high_price),
            fmt.price(wave.low_price),
            ", ".join(fmt.venue_name(venue) for venue in wave.venues),
        )
        for wave in waves
    )
    return [Table(headers, rows)]


# -- footer ----------------------------------------------------------------------------------------------------


def source_lines(data: ReportData) -> list[str]:
    """One line per channel and source, naming the venues it covers."""
    lines = []
    for channel, frame in data.series.items():
        if frame.is_empty():
            lines.append(f"{_CHANNEL_NAMES[channel]}: none stored for {data.window.symbol} in the window.")
            continue
        pairs = frame.select("venue", pl.col("source").fill_null("unnamed")).unique().sort("source", "venue")
        for (source,), group in pairs.group_by("source", maintain_order=True):
            venues = fmt.and_list([fmt.venue_name(str(v)) for v in group["venue"]])
            lines.append(f"{_CHANNEL_NAMES[channel]}: {source} ({venues}).")
    if data.estimated.venues:
        venues = fmt.and_list([fmt.venue_name(venue) for venue in data.estimated.venues])
        lines.append(
            f"Estimated heatmap and map: perpscope's liquidation model (docs/heatmap.md) on the {venues} candles "
            "and open interest above, with the margin tables named in the model notes."
        )
    return lines


def gap_lines(data: ReportData) -> list[str]:
    """Recorded collector gaps, holes in each venue's series, and venues missing from a channel."""
    lines = [
        f"Recorded gap: {fmt.venue_name(gap.venue)} {gap.channel} ({gap.symbol}) from {fmt.when(gap.start)} to "
        f"{fmt.when(gap.end)}, {gap.reason}; figures over it are incomplete."
        for gap in data.stored_gaps
    ]
    for item in data.coverage:
        for start, end in item.holes:
            lines.append(
                f"{fmt.venue_name(item.venue)} {_CHANNEL_NAMES[item.channel].lower()}: no rows from {fmt.when(start)} "
                f"to {fmt.when(end)}."
            )
    everyone = sorted({item.venue for item in data.coverage})
    for channel in ("funding", "open_interest", "candles"):
        present = {item.venue for item in data.coverage if item.channel == channel}
        missing = [venue for venue in everyone if venue not in present]
        if present and missing:
            names = fmt.and_list([fmt.venue_name(venue) for venue in missing])
            lines.append(f"{_CHANNEL_NAMES[channel]}: none stored for {names} in the window.")
    if not lines:
        lines.append("No gaps: every series covers the window without holes and the collector recorded none.")
    return lines
