"""The report's estimated section: the liquidation heatmap over the window and the liquidation map at its end,
from ``Perpscope.heatmap`` and ``Perpscope.liquidation_map`` (docs/heatmap.md).

Both are model outputs, so every sentence and chart here says "estimated". When the service cannot model the symbol
(no venue with candles, open interest and a margin table) its error is the one line the report shows instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from perpscope.analytics.heatmap.bars import FloatArray
from perpscope.analytics.heatmap.chart import heatmap_figure
from perpscope.analytics.heatmap.outputs import LiquidationMap, default_targets
from perpscope.api import Perpscope
from perpscope.errors import QueryError
from perpscope.report import charts
from perpscope.report import format as fmt
from perpscope.report.data import EstimatedSection, ReportData, Window
from perpscope.service.heatmap import MapResult
from perpscope.times import parse_duration

# Column widths tried from the widest down: the first that gives at least MIN_COLUMNS columns over the window.
COLUMNS = ("1d", "4h", "1h", "30m", "15m", "5m")
MIN_COLUMNS = 96
MOVES = (0.10, 0.05, 0.02, -0.02, -0.05, -0.10)  # the at-risk table's rows: moves from the map's price
ABSENT = (
    "No estimated liquidation heatmap or map: the model needs one venue with candles, open interest and a margin "
    "table in the window"
)


def column_for(length_ms: int) -> str:
    """The widest column that still draws ``MIN_COLUMNS`` columns over the window: 1h for 7 days, 15m for 24 h."""
    for column in COLUMNS:
        if length_ms // parse_duration(column) >= MIN_COLUMNS:
            return column
    return COLUMNS[-1]


def gather(api: Perpscope, window: Window) -> EstimatedSection:
    """The heatmap over the window (the model warms up before it) and the map at the window's end."""
    column = column_for(window.end - window.start)
    absent: list[str] = []
    heatmap, found = None, None
    try:
        heatmap = api.heatmap(window.symbol, window.end - window.start, window.end, column=column)
        if heatmap.heatmap.times.size == 0:
            heatmap, reason = None, f"the model has no {column} column inside the window"
            absent.append(reason)
    except (QueryError, ValueError) as error:
        absent.append(str(error))
    try:
        found = api.liquidation_map(window.symbol, window.end - 1)
        if found.map.at < window.start:
            absent.append(f"the newest modelled bar opened at {fmt.when(found.map.at)}, before the window")
            found = None
    except (QueryError, ValueError) as error:
        absent.append(str(error))
    return EstimatedSection(heatmap, found, column, tuple(dict.fromkeys(absent)))


# -- words -----------------------------------------------------------------------------------------------------


def level(value: float) -> str:
    """A target price: ``$101,000`` (the targets are rounded to three significant figures)."""
    return f"${value:,.0f}" if abs(value) >= 1000 and value == round(value) else fmt.price(value)


def _venues(names: tuple[str, ...] | list[str]) -> str:
    return fmt.and_list([fmt.venue_name(name) for name in names])


def map_sentence(found: MapResult) -> str:
    """ "Estimated liquidation map ...: a move to $X would put about $Y of shorts at risk; a drop to $Z about $W
    of longs." from the service's targets and amounts (shorts first, nearest first)."""
    chosen = found.map
    ordered = sorted(found.at_risk, key=lambda item: (item[1] != "short", abs(item[0] - chosen.price)))
    parts = []
    for target, side, usd in ordered:
        if side == "short":
            parts.append(f"a move to {level(target)} would put about {fmt.usd(usd)} of shorts at risk")
        elif parts:
            parts.append(f"a drop to {level(target)} about {fmt.usd(usd)} of longs")
        else:
            parts.append(f"a drop to {level(target)} would put about {fmt.usd(usd)} of longs at risk")
    where = (
        f"at the last modelled bar (opened {fmt.when(chosen.at)}) on {_venues(chosen.venues)}, "
        f"price {fmt.price(chosen.price)}"
    )
    return f"Estimated liquidation map {where}: {'; '.join(parts)}."


def absent_line(section: EstimatedSection) -> str:
    return f"{ABSENT}; {'; '.join(section.absent)}." if section.absent else ""


def section_text(section: EstimatedSection, data: ReportData) -> list[str]:
    """What the heatmap shows, the densest estimated levels at the end, the map sentence, and what is missing."""
    paragraphs = []
    if section.heatmap is not None:
        venues = section.heatmap.heatmap.venues
        paragraphs.append(
            f"Estimated, not observed: positions are not public, so these levels are modelled from open-interest "
            f"changes and each venue's margin rules on {_venues(venues)} (docs/heatmap.md). The colour is the USD "
            f"notional of liquidation levels per {section.heatmap.heatmap.bin_width:.1%} price bin in "
            f"{section.column} columns; longs sit below the price, shorts above."
        )
        paragraphs.append(_densest(section))
        left_out = sorted({item.venue for item in data.coverage if item.channel == "candles"} - set(venues))
        if left_out:
            paragraphs.append(f"Not modelled: {_venues(left_out)} (the model notes below say why).")
    if section.map is not None:
        paragraphs.append(map_sentence(section.map))
    paragraphs.append(absent_line(section))
    return [paragraph for paragraph in paragraphs if paragraph]


def _densest(section: EstimatedSection) -> str:
    """The fullest price bin of each side in the heatmap's last column."""
    assert section.heatmap is not None
    grid = section.heatmap.heatmap
    centers = grid.centers
    parts = []
    for name, values in (("longs", grid.long[-1]), ("shorts", grid.short[-1])):
        if values.size and values.max() > 0:
            index = int(values.argmax())
            where = level(round(float(centers[index])))
            parts.append(f"{name} around {where} (about {fmt.usd(float(values[index]))})")
    if not parts:
        return "At the end of the window the model holds no live levels."
    return (
        f"At the end of the window the densest estimated levels were {fmt.and_list(parts)}, "
        f"each in one {grid.bin_width:.1%} price bin."
    )


def at_risk_rows(found: MapResult) -> tuple[tuple[str, ...], ...]:
    """Move, target, side and estimated USD at risk for the :data:`MOVES` from the map's price."""
    chosen = found.map
    rows = []
    for move in MOVES:
        target = default_targets(chosen.price, abs(move))[0 if move > 0 else 1]
        side, usd = chosen.at_risk(target)
        rows.append((fmt.percent(move, 0, plus=True), level(target), f"{side}s", fmt.usd(usd)))
    return tuple(rows)


# -- charts ----------------------------------------------------------------------------------------------------


def _source(data: ReportData) -> str:
    sources = sorted(set(data.sources.get("candles", ()) + data.sources.get("open_interest", ())))
    return f"{'; '.join(sources) or 'perpscope store'} (candles and open interest)"


def all_charts(data: ReportData, folder: Path) -> dict[str, Path]:
    """``heatmap`` and ``liquidation_map`` where the model ran."""
    drawn = {"heatmap": heatmap_chart(data, folder), "liquidation_map": map_chart(data, folder)}
    return {name: path for name, path in drawn.items() if path is not None}


def heatmap_chart(data: ReportData, folder: Path) -> Path | None:
    """The heatmap module's own picture (candles over the levels, USD colour bar), marked when simulated."""
    section = data.estimated
    if section.heatmap is None:
        return None
    figure = heatmap_figure(section.heatmap.heatmap, source=_source(data))
    charts.watermark(figure, data)
    path = folder / "heatmap.png"
    figure.savefig(path, format="png", facecolor=figure.get_facecolor())
    return path


def map_chart(data: ReportData, folder: Path) -> Path | None:
    """USD of estimated levels per price bin (longs left of the price, shorts right) and, on the right axis, the
    cumulative amount a move from the price to each level would liquidate; the targets of the sentence marked."""
    found = data.estimated.map
    if found is None:
        return None
    chosen = found.map
    reach = max([abs(target / chosen.price - 1) for target in found.targets] + [0.05]) * 2
    step = nice_step(chosen.price * reach * 2 / 120)
    edges = np.arange(np.floor(chosen.price * (1 - reach) / step), np.ceil(chosen.price * (1 + reach) / step) + 1)
    edges = edges * step
    figure, (axis,) = charts.new_figure(data)
    _level_bars(axis, chosen, edges)
    curve = axis.twinx()
    _cumulative(curve, found, float(edges[0]), float(edges[-1]))
    axis.axvline(chosen.price, color="#222222", linewidth=1.2, linestyle="--", label=f"price {fmt.price(chosen.price)}")
    axis.set_xlim(float(edges[0]), float(edges[-1]))
    axis.set_title(
        f"{chosen.symbol} liquidation map (estimated) at the bar opened {fmt.when(chosen.at)}, "
        f"{_venues(chosen.venues)}",
        loc="left",
    )
    axis.set_xlabel("liquidation price (USD)")
    axis.set_ylabel(f"USD per ${step:,.0f} price bin")
    axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"${value:,.0f}"))
    axis.grid(True, color="#e6e6e6", linewidth=0.8)
    lines, labels = axis.get_legend_handles_labels()
    more_lines, more_labels = curve.get_legend_handles_labels()
    axis.legend(lines + more_lines, labels + more_labels, loc="upper left", fontsize=8.5, framealpha=0.9)
    note = ("estimated from open-interest changes, not observed (docs/heatmap.md)", _source(data))
    return charts.save(figure, note, folder / "liquidation_map.png")


def nice_step(raw: float) -> float:
    """``raw`` rounded up to 1, 2 or 5 times a power of ten: $171 -> $200."""
    power = 10.0 ** np.floor(np.log10(raw))
    return float(next(size * power for size in (1.0, 2.0, 5.0, 10.0) if size * power >= raw))


def _level_bars(axis: Axes, chosen: LiquidationMap, edges: FloatArray) -> None:
    width = float(edges[1] - edges[0])
    for prices, usd, colour, label in (
        (chosen.long_prices, chosen.long_usd, charts.DOWN, "long levels (a drop liquidates)"),
        (chosen.short_prices, chosen.short_usd, charts.UP, "short levels (a rise liquidates)"),
    ):
        sums, _ = np.histogram(prices, bins=edges, weights=usd)
        axis.bar(edges[:-1], sums / 1e6, width=width, align="edge", color=colour, alpha=0.75, label=label)
    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"${value:g}M" if value else "$0"))


def _cumulative(axis: Axes, found: MapResult, low: float, high: float) -> None:
    chosen = found.map
    for start, end, colour in ((low, chosen.price, charts.DOWN), (chosen.price, high, charts.UP)):
        prices = np.linspace(start, end, 200)
        axis.plot(prices, chosen.cumulative(prices) / 1e6, color=colour, linewidth=2.2)
    axis.plot([], [], color="#444444", linewidth=2.2, label="cumulative at risk from the price (right axis)")
    for target, side, usd in found.at_risk:
        axis.plot([target], [usd / 1e6], "o", color="#111111")
        axis.annotate(
            charts.mpl_text(f"{level(target)}: about {fmt.usd(usd)} of {side}s"),
            (target, usd / 1e6),
            xytext=(-8 if side == "short" else 8, 8),
            textcoords="offset points",
            ha="right" if side == "short" else "left",
            fontsize=8.5,
            fontweight="bold",
        )
    axis.set_ylabel("cumulative USD at risk")
    axis.set_ylim(bottom=0)
    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"${value:g}M" if value else "$0"))
