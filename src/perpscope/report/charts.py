"""The report's charts as PNG files, drawn with matplotlib's object API (no pyplot state, no display needed).

Each chart has a title with its unit, a legend, a UTC time axis and a source line; a chart of simulated data
says so across it. Functions take the :class:`~perpscope.report.data.ReportData` and a folder and return the
PNG's path, or None when there is nothing to draw.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import matplotlib.dates as mdates
import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter

from perpscope.report import format as fmt
from perpscope.report.data import ReportData
from perpscope.times import MS_PER_DAY, MS_PER_HOUR

SIZE = (11.0, 5.0)  # inches; at DPI a 1210 x 550 image that reads on a laptop screen and in a mail
DPI = 110
COLOURS = {
    "binance": "#d4a017",
    "bybit": "#1f2a44",
    "okx": "#6b6b6b",
    "hyperliquid": "#0f9d8a",
    "kraken": "#6a4fb3",
    "lighter": "#2f7ed8",
    "dydx": "#c2185b",
    "deribit": "#00897b",
    "bitmex": "#e53935",
}
UP, DOWN = "#1a9850", "#d73027"


def colour(venue: str) -> str:
    return COLOURS.get(venue, "#444444")


# Matplotlib's date axis counts days from its epoch (1970-01-01 unless configured otherwise).
_EPOCH_DAYS = float(mdates.date2num(datetime(1970, 1, 1, tzinfo=UTC)))  # type: ignore[no-untyped-call]


def _day_number(ms: int) -> float:
    return _EPOCH_DAYS + ms / MS_PER_DAY


def _times(frame: pl.DataFrame, column: str = "ts_event") -> list[float]:
    return [_day_number(int(ms)) for ms in frame[column]]


def new_figure(data: ReportData, rows: int = 1, heights: tuple[float, ...] = (1.0,)) -> tuple[Figure, list[Axes]]:
    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    axes = figure.subplots(rows, 1, sharex=True, gridspec_kw={"height_ratios": list(heights)}, squeeze=False)
    watermark(figure, data)
    return figure, [axis for row in axes for axis in row]


def watermark(figure: Figure, data: ReportData) -> None:
    """SIMULATED across a chart of the simulator's data, so a copied image cannot pass for a venue's."""
    if data.simulated:
        figure.text(
            0.5, 0.5, "SIMULATED", fontsize=60, color="#c00000", alpha=0.12, ha="center", va="center", rotation=20
        )


def time_axis(axis: Axes, data: ReportData) -> None:
    axis.xaxis_date(tz=UTC)
    axis.set_xlim(_day_number(data.window.start), _day_number(data.window.end))
    locator = mdates.AutoDateLocator(minticks=5, maxticks=10, tz=UTC)  # type: ignore[no-untyped-call]
    axis.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator, tz=UTC)  # type: ignore[no-untyped-call]
    # Days as "Oct 10" rather than a bare "10"; the year sits once at the axis end.
    formatter.formats = ["%Y", "%b", "%b %d", "%H:%M", "%H:%M", "%S.%f"]
    formatter.zero_formats = ["", "%Y", "%b", "%b %d", "%H:%M", "%H:%M"]
    formatter.offset_formats = ["", "%Y", "%Y", "%Y-%m-%d", "%Y-%m-%d", "%Y-%m-%d %H:%M"]
    axis.xaxis.set_major_formatter(formatter)
    axis.set_xlabel("time (UTC)")
    axis.grid(True, color="#e6e6e6", linewidth=0.8)


def save(figure: Figure, sources: tuple[str, ...], path: Path) -> Path:
    unique = list(dict.fromkeys(sources))
    note = "Source: " + "; ".join(unique) if unique else "Source: none stored"
    note = note if len(note) <= 150 else note[:149] + "…"
    figure.text(0.005, 0.003, mpl_text(note), fontsize=7.5, color="#555555", ha="left", va="bottom")
    engine = figure.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=(0, 0.03, 1, 0.97))  # the source line gets its own strip below the axis labels
    figure.savefig(path, dpi=DPI, facecolor="white")
    return path


def mpl_text(text: str) -> str:
    """Text for matplotlib: two ``$`` in one string would start its math mode ("$101,000: about $5.7M")."""
    return text.replace("$", r"\$")


def side_of(data: ReportData, time: int) -> tuple[int, str]:
    """Horizontal offset (points) and alignment for a label at ``time``: away from the nearer edge."""
    where = (time - data.window.start) / max(data.window.end - data.window.start, 1)
    if where < 0.15:
        return 8, "left"
    if where > 0.7:
        return -8, "right"
    return 0, "center"


def legend(axis: Axes, columns: int = 1) -> None:
    axis.legend(loc="best", fontsize=8.5, frameon=True, framealpha=0.9, ncols=columns)


# -- funding ---------------------------------------------------------------------------------------------------


def funding_chart(data: ReportData, folder: Path) -> Path | None:
    """Settled funding per venue, restated per 8 h, in percent; the 0.01% baseline dashed."""
    rows = data.series.get("funding", pl.DataFrame())
    if rows.is_empty():
        return None
    figure, (axis,) = new_figure(data)
    restated = bool((rows["interval_h"] < 8).any())
    for (venue,), group in rows.sort("ts_event").group_by("venue", maintain_order=True):
        group = group.sort("ts_event")
        hourly = float(group["interval_h"][-1]) < 8
        axis.step(
            _times(group),
            (group["rate_8h"] * 100).to_list(),
            where="post",
            color=colour(str(venue)),
            linewidth=1.0 if hourly else 2.0,
            alpha=0.8 if hourly else 1.0,
            label=f"{fmt.venue_name(str(venue))} ({float(group['interval_h'][-1]):g} h prints)",
        )
    axis.axhline(0.01, color="#888888", linestyle="--", linewidth=1, label="0.01% baseline")
    axis.axhline(0.0, color="#222222", linewidth=0.8)
    basis = "settled; shorter intervals restated × 8 h ÷ interval" if restated else "settled"
    axis.set_title(f"{data.window.symbol} funding by venue, % per 8 h ({basis})", loc="left")
    axis.set_ylabel("% per 8 h")
    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:.3f}%"))
    _clip_outliers(axis, (rows["rate_8h"] * 100).to_list())
    time_axis(axis, data)
    legend(axis, columns=2)
    return save(figure, data.sources.get("funding", ()), folder / "funding.png")


def _clip_outliers(axis: Axes, values: list[float]) -> None:
    """Keep the bulk readable: limits at the 1st and 99th percentiles (padded), the extremes beyond them named
    in a note, since one hourly print at 0.4% would flatten every 8 h venue into a line."""
    ordered = sorted(values)
    if len(ordered) < 20:
        return
    low, high = ordered[len(ordered) // 100], ordered[-1 - len(ordered) // 100]
    low, high = min(low, -0.005), max(high, 0.015)
    pad = (high - low) * 0.15
    if ordered[0] < low - pad or ordered[-1] > high + pad:
        axis.set_ylim(low - pad, high + pad)
        axis.text(
            0.995,
            0.02,
            f"axis clipped; extremes {ordered[0]:.4f}% and {ordered[-1]:.4f}% per 8 h",
            transform=axis.transAxes,
            ha="right",
            va="bottom",
            fontsize=8,
            color="#555555",
        )


# -- open interest ---------------------------------------------------------------------------------------------


def open_interest_chart(data: ReportData, folder: Path) -> Path | None:
    """Open interest per venue in USD, and their total over the venues covering the whole window."""
    rows = data.series.get("open_interest", pl.DataFrame())
    if rows.is_empty():
        return None
    figure, (axis,) = new_figure(data)
    for (venue,), group in rows.sort("ts_event").group_by("venue", maintain_order=True):
        group = group.sort("ts_event")
        if group.height == 1:
            axis.plot(
                _times(group),
                (group["oi_usd"] / 1e9).to_list(),
                "o",
                color=colour(str(venue)),
                label=fmt.venue_name(str(venue)),
            )
            continue
        axis.plot(
            _times(group),
            (group["oi_usd"] / 1e9).to_list(),
            color=colour(str(venue)),
            linewidth=1.8,
            label=fmt.venue_name(str(venue)),
        )
    _total_line(axis, data, rows)
    _mark_fall(axis, data)
    axis.set_title(f"{data.window.symbol} open interest by venue, USD", loc="left")
    axis.set_ylabel("USD")
    # Plotted in billions; ticks read $4.5B or $250.0M, whichever the size calls for.
    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: fmt.usd(value * 1e9) if value else "$0"))
    axis.set_ylim(0, axis.get_ylim()[1] * 1.06)  # room above the highest line for its label
    time_axis(axis, data)
    legend(axis)
    return save(figure, data.sources.get("open_interest", ()), folder / "open_interest.png")


def _total_line(axis: Axes, data: ReportData, rows: pl.DataFrame) -> None:
    """The hourly total over the venues that cover the whole window (each venue's last print in the hour)."""
    counted = data.open_interest.total_venues
    if len(counted) < 2:
        return
    hourly = rows.filter(pl.col("venue").is_in(counted)).with_columns(
        hour=pl.col("ts_event") // MS_PER_HOUR * MS_PER_HOUR
    )
    latest = hourly.sort("ts_event").group_by("venue", "hour").last()
    total = (
        latest.group_by("hour")
        .agg(pl.col("oi_usd").sum(), pl.len().alias("n"))
        .filter(pl.col("n") == len(counted))
        .sort("hour")
    )
    axis.plot(
        _times(total, "hour"),
        (total["oi_usd"] / 1e9).to_list(),
        color="#111111",
        linewidth=2.2,
        label=f"total ({', '.join(fmt.venue_name(v) for v in counted)})",
    )


def _mark_fall(axis: Axes, data: ReportData) -> None:
    """Label the largest venue's largest fall, the figure the text leads with."""
    falls = [venue for venue in data.open_interest.venues if (venue.drawdown_fraction or 0.0) < -0.05]
    if not falls:
        return
    venue = max(falls, key=lambda item: item.peak.value - item.trough.value)
    for point, place in ((venue.peak, "above"), (venue.trough, "below")):
        shift, align = side_of(data, point.time)
        axis.annotate(
            fmt.usd(point.value),
            (_day_number(point.time), point.value / 1e9),
            xytext=(shift, 8 if place == "above" else -14),
            textcoords="offset points",
            ha=align,
            fontsize=8.5,
            color=colour(venue.venue),
            fontweight="bold",
        )


# -- price with liquidations -----------------------------------------------------------------------------------


def price_chart(data: ReportData, folder: Path) -> Path | None:
    """The reference venue's candles, the deepest fall marked; below, liquidated notional per hour by side
    (longs down, shorts up) with the waves shaded, or a note that none are stored."""
    rows = data.series.get("candles", pl.DataFrame())
    reference = data.price.reference
    if rows.is_empty() or reference is None:
        return None
    figure, (top, bottom) = new_figure(data, rows=2, heights=(3.0, 1.2))
    bars = rows.filter(pl.col("venue") == reference.venue, pl.col("symbol") == reference.symbol).sort("ts_event")
    _candles(top, bars)
    _mark_low(top, data)
    top.set_title(
        f"{data.window.symbol} price, USD ({fmt.venue_name(reference.venue)} {reference.symbol}, "
        f"{reference.interval} candles)" + (", liquidation waves shaded" if data.liquidations.waves else ""),
        loc="left",
    )
    top.set_ylabel("USD")
    top.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"${value:,.0f}"))
    _liquidation_panel(bottom, data)
    for axis in (top, bottom):
        _shade_waves(axis, data)
        time_axis(axis, data)
    top.set_xlabel("")
    sources = data.sources.get("candles", ()) + data.sources.get("liquidations", ())
    return save(figure, sources, folder / "price.png")


def _candles(axis: Axes, bars: pl.DataFrame) -> None:
    spacing = bars["ts_event"].diff().drop_nulls().median()
    width = (float(spacing) if isinstance(spacing, int | float) else MS_PER_HOUR) / MS_PER_DAY * 0.7
    times = _times(bars)
    up = (bars["close"] >= bars["open"]).to_list()
    colours = [UP if rising else DOWN for rising in up]
    axis.vlines(times, bars["low"].to_list(), bars["high"].to_list(), colors=colours, linewidth=0.8)
    bottoms = [min(o, c) for o, c in zip(bars["open"], bars["close"], strict=True)]
    heights = [max(abs(c - o), 1e-9) for o, c in zip(bars["open"], bars["close"], strict=True)]
    axis.bar(times, heights, width=width, bottom=bottoms, color=colours, edgecolor=colours, linewidth=0.5)
    axis.plot([], [], color=UP, linewidth=6, label="candle up")
    axis.plot([], [], color=DOWN, linewidth=6, label="candle down")


def _mark_low(axis: Axes, data: ReportData) -> None:
    """Name the deepest fall's top and bottom beside them, inside the panel (limits padded to make room)."""
    price = data.price
    if price.peak is None or price.trough is None or price.trough.value >= price.peak.value * 0.98:
        legend(axis)
        return
    # Padded for the labels, around everything drawn: a rally after the fall must stay in the picture too.
    bottom = min(price.trough.value, axis.dataLim.y0)
    top = max(price.peak.value, axis.dataLim.y1)
    span = top - bottom
    axis.set_ylim(bottom - span * 0.08, top + span * 0.08)
    for point, vertical in ((price.peak, "bottom"), (price.trough, "top")):
        shift, align = side_of(data, point.time)
        axis.annotate(
            f"{fmt.price(point.value)} at {fmt.when(point.time).removesuffix(' UTC')[5:]} UTC",
            (_day_number(point.time), point.value),
            xytext=(shift or 8, 4 if vertical == "bottom" else -4),
            textcoords="offset points",
            ha=align if shift else "left",
            va=vertical,
            fontsize=8.5,
            fontweight="bold",
            arrowprops={"arrowstyle": "-", "color": "#555555", "linewidth": 0.6},
        )
    legend(axis)


def _liquidation_panel(axis: Axes, data: ReportData) -> None:
    events = data.series.get("liquidations", pl.DataFrame())
    axis.set_ylabel("USD M / h\nshorts ↑ longs ↓", fontsize=9)
    axis.axhline(0, color="#222222", linewidth=0.8)
    if events.is_empty():
        axis.text(
            0.5,
            0.5,
            f"no liquidation events stored for {data.window.symbol} in this window",
            transform=axis.transAxes,
            ha="center",
            va="center",
            fontsize=10,
            color="#555555",
        )
        axis.set_yticks([])
        return
    hourly = events.with_columns(hour=pl.col("ts_event") // MS_PER_HOUR * MS_PER_HOUR)
    sides = (
        hourly.group_by("hour")
        .agg(
            pl.col("notional_usd").filter(pl.col("side") == "long").sum().alias("long"),
            pl.col("notional_usd").filter(pl.col("side") == "short").sum().alias("short"),
        )
        .sort("hour")
    )
    centres = [_day_number(int(ms) + MS_PER_HOUR // 2) for ms in sides["hour"]]
    bound = " (lower bound)" if data.liquidations.lower_bound else ""
    axis.bar(centres, (sides["short"] / 1e6).to_list(), width=1 / 24 * 0.9, color=UP, label=f"shorts liquidated{bound}")
    axis.bar(
        centres, (-sides["long"] / 1e6).to_list(), width=1 / 24 * 0.9, color=DOWN, label=f"longs liquidated{bound}"
    )
    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"${abs(value):,.1f}M"))
    legend(axis, columns=2)


def _shade_waves(axis: Axes, data: ReportData) -> None:
    # A wave of a few seconds would be an invisible sliver: every span is at least 1/150 of the window wide.
    least = (data.window.end - data.window.start) / 150
    for wave in data.liquidations.waves:
        middle, half = (wave.start + wave.end) / 2, max(wave.end - wave.start, least) / 2
        axis.axvspan(_day_number(int(middle - half)), _day_number(int(middle + half)), color="#ff9800", alpha=0.3, lw=0)


def all_charts(data: ReportData, folder: Path) -> dict[str, Path]:
    """Every chart of the observed data that has rows, by name: ``price``, ``funding``, ``open_interest`` (the
    estimated heatmap and map: :func:`perpscope.report.estimated.all_charts`)."""
    folder.mkdir(parents=True, exist_ok=True)
    drawn = {
        "price": price_chart(data, folder),
        "funding": funding_chart(data, folder),
        "open_interest": open_interest_chart(data, folder),
    }
    return {name: path for name, path in drawn.items() if path is not None}
