"""The heatmap as a picture: price candles over the estimated levels, a USD colour bar, units and source below.

PNG through matplotlib's object API (no pyplot state, no display); HTML as one self-contained file holding the PNG
and the numbers as JSON (no CDN, no script). Longs sit below the price and shorts above it (a level on the wrong
side has been crossed and removed), so one colour scale shows both; the JSON keeps them apart.
"""

from __future__ import annotations

import base64
import html
import io
import json
import textwrap
from datetime import UTC, datetime
from typing import Any

import matplotlib.dates as mdates
import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from perpscope.analytics.heatmap.config import ESTIMATED
from perpscope.analytics.heatmap.outputs import UNITS, Heatmap, format_usd

_FOOTER_CHARACTERS = 190  # at 7.5 pt, what fits the figure's width beside the left margin
_CANDLES_MAX = 500  # more columns than this draw the close as a line: bodies would be thinner than a pixel
_JSON_CELLS_MAX = 2_000_000  # per side in the HTML's data block; wider heatmaps are summed over columns
_UP, _DOWN, _LINE = "#26a69a", "#ef5350", "#e0e0e0"
_EPOCH_DAYS = float(mdates.date2num(datetime(1970, 1, 1, tzinfo=UTC)))  # type: ignore[no-untyped-call]


def heatmap_figure(heatmap: Heatmap, *, source: str = "perpscope store", simulated: bool = False) -> Figure:
    """Candles over the heatmap. ``simulated``: the data came from perpscope's simulator, and the image says so."""
    figure = Figure(figsize=(13, 7), dpi=110, facecolor="#111418")
    axes = figure.add_axes((0.085, 0.17, 0.785, 0.74), facecolor="#111418")
    bar_axes = figure.add_axes((0.885, 0.17, 0.018, 0.74))
    total = heatmap.long + heatmap.short
    step = int(np.median(np.diff(heatmap.times))) if heatmap.times.size > 1 else 3_600_000
    edges_x = _EPOCH_DAYS + np.append(heatmap.times, heatmap.times[-1] + step) / 86_400_000
    top = float(np.quantile(total[total > 0], 0.995)) if (total > 0).any() else 1.0
    mesh = axes.pcolormesh(
        edges_x, heatmap.edges, total.T, cmap="inferno", norm=PowerNorm(gamma=0.5, vmin=0.0, vmax=top), shading="flat"
    )
    _draw_prices(axes, edges_x, heatmap)
    low, high = np.nanmin(heatmap.candles[:, 2]), np.nanmax(heatmap.candles[:, 1])
    axes.set_ylim(low * 0.9, high * 1.1)
    _style(axes, figure)
    colour_bar = figure.colorbar(mesh, cax=bar_axes, extend="max")
    colour_bar.set_label("USD per bin (estimated)", color=_LINE)
    colour_bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_usd(value)))
    colour_bar.ax.tick_params(colors=_LINE)
    venues = ", ".join(heatmap.venues)
    axes.set_title(
        f"{heatmap.symbol}: liquidation heatmap, {ESTIMATED} ({venues})", color="white", fontsize=13, loc="left"
    )
    footer = (
        f"Colour: {ESTIMATED} USD notional of liquidation levels per {heatmap.bin_width:.2%} price bin "
        f"(quantity x liquidation price), longs below the price, shorts above; columns of {step / 60_000:g} min, UTC. "
        f"Candles: last-trade price (USD). Source: {source}; modelled from open-interest changes, not observed.\n"
        + "; ".join(heatmap.assumptions[1:])
    )
    # Wrapped by hand: matplotlib's wrap=True measures from the wrong edge and lets the first line run off the image.
    lines = [wrapped for paragraph in footer.split("\n") for wrapped in textwrap.wrap(paragraph, _FOOTER_CHARACTERS)]
    figure.text(0.085, 0.02, "\n".join(lines), color="#b0b0b0", fontsize=7.5, va="bottom")
    if simulated:
        _mark_simulated(figure)
    return figure


def _mark_simulated(figure: Figure) -> None:
    """Across the image, so a copy of it cannot pass for a chart of a real venue's market."""
    figure.text(
        0.47, 0.55, "SIMULATED", fontsize=72, color="#ff5252", alpha=0.18, ha="center", va="center", rotation=20
    )
    figure.text(0.085, 0.955, "SIMULATED MARKET (perpscope simulator)", color="#ff8a80", fontsize=10, va="bottom")


def heatmap_png(heatmap: Heatmap, *, source: str = "perpscope store", simulated: bool = False) -> bytes:
    buffer = io.BytesIO()
    heatmap_figure(heatmap, source=source, simulated=simulated).savefig(buffer, format="png", facecolor="#111418")
    return buffer.getvalue()


def heatmap_html(heatmap: Heatmap, *, source: str = "perpscope store", simulated: bool = False) -> str:
    """One HTML file: the PNG inline and the numbers (``application/json``), nothing fetched from anywhere."""
    image = base64.b64encode(heatmap_png(heatmap, source=source, simulated=simulated)).decode()
    data = json.dumps(heatmap_json(heatmap, source=source, cells_max=_JSON_CELLS_MAX), separators=(",", ":"))
    data = data.replace("</", "<\\/")  # a JSON string may not end the script element
    title = html.escape(f"{heatmap.symbol} liquidation heatmap ({ESTIMATED})")
    notes = "".join(f"<li>{html.escape(line)}</li>" for line in heatmap.assumptions)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title>"
        "<style>body{background:#111418;color:#ddd;font-family:sans-serif;margin:2em}img{max-width:100%}</style>"
        f"</head><body><h1>{title}</h1>"
        f'<img alt="{title}" src="data:image/png;base64,{image}">'
        f"<h2>Assumptions</h2><ul>{notes}</ul>"
        f"<p>Units: {html.escape(UNITS['long_usd'])}. Source: {html.escape(source)}. "
        "The data block below (id heatmap-data) holds the grid.</p>"
        f'<script type="application/json" id="heatmap-data">{data}</script>'
        "</body></html>\n"
    )


def heatmap_json(heatmap: Heatmap, *, source: str = "perpscope store", cells_max: int | None = None) -> dict[str, Any]:
    """The heatmap as plain JSON: bin edges, column times, long/short USD per (column, bin), units, assumptions."""
    long, short, times = heatmap.long, heatmap.short, heatmap.times
    factor = 1
    if cells_max is not None and long.size > cells_max:
        factor = int(np.ceil(long.size / cells_max))
        rows = (long.shape[0] // factor) * factor
        long = long[:rows].reshape(-1, factor, long.shape[1])[:, -1]  # the state at the end of each merged span
        short = short[:rows].reshape(-1, factor, short.shape[1])[:, -1]
        times = times[:rows:factor]
    return {
        "label": ESTIMATED,
        "symbol": heatmap.symbol,
        "venues": list(heatmap.venues),
        "units": UNITS,
        "source": source,
        "bin_width": heatmap.bin_width,
        "bin_edges": np.round(heatmap.edges, 6).tolist(),
        "times": times.tolist(),
        "columns_merged": factor,
        "long_usd": np.round(long, 2).tolist(),
        "short_usd": np.round(short, 2).tolist(),
        "candles": {"columns": ["open", "high", "low", "close"], "rows": heatmap.candles.tolist()},
        "assumptions": list(heatmap.assumptions),
    }


def _draw_prices(axes: Any, edges_x: Any, heatmap: Heatmap) -> None:
    candles = heatmap.candles
    centers = (edges_x[:-1] + edges_x[1:]) / 2
    if candles.shape[0] > _CANDLES_MAX:
        axes.plot(centers, candles[:, 3], color=_LINE, linewidth=0.8)
        return
    width = float(np.median(np.diff(edges_x))) * 0.7 if edges_x.size > 1 else 0.02
    rising = candles[:, 3] >= candles[:, 0]
    colours = np.where(rising, _UP, _DOWN)
    axes.vlines(centers, candles[:, 2], candles[:, 1], colors=colours, linewidth=0.8)
    bottoms = np.minimum(candles[:, 0], candles[:, 3])
    heights = np.maximum(np.abs(candles[:, 3] - candles[:, 0]), candles[:, 3] * 1e-4)
    axes.bar(centers, heights, width=width, bottom=bottoms, color=colours, linewidth=0)


def _style(axes: Any, figure: Figure) -> None:
    locator = mdates.AutoDateLocator(minticks=5, maxticks=10, tz=UTC)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=UTC))  # type: ignore[no-untyped-call]
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"${value:,.0f}"))
    axes.set_ylabel("price (USD)", color=_LINE)
    axes.tick_params(colors=_LINE)
    for spine in axes.spines.values():
        spine.set_color("#444")
    axes.grid(color="#333", linewidth=0.4, alpha=0.6)
