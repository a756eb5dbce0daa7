"""``perpscope heatmap``, ``liqmap`` and ``validate-heatmap``: thin shells over the service facade
(:mod:`perpscope.api`) and :mod:`perpscope.analytics.heatmap.validate` (docs/heatmap.md). Every number printed is
labelled estimated, with its unit and source.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click
import numpy as np

from perpscope.analytics.heatmap import validate
from perpscope.analytics.heatmap.config import ESTIMATED
from perpscope.analytics.heatmap.outputs import Heatmap, format_usd
from perpscope.analytics.heatmap.simulated import SimulatedScore
from perpscope.cli.common import App, console, fail, pass_app, print_json
from perpscope.service import heatmap as service
from perpscope.times import format_ms

_SHARED_SAMPLE = Path("..") / "shared" / "data" / "sample"
_JSON_CELLS_MAX = 500_000  # per side in ``heatmap --json``: longer ranges are sampled at coarser columns


def _venues(value: str | None) -> list[str] | None:
    return [venue.strip().lower() for venue in value.split(",") if venue.strip()] if value else None


@click.command("heatmap")
@click.option("--symbol", default="BTC", show_default=True, help="A base (every venue's BTC-*-PERP) or a symbol.")
@click.option("--range", "span", default="7d", show_default=True, help="How much history to show, e.g. 24h, 7d.")
@click.option("--until", help="End of the range (ISO 8601 / epoch) [default: the latest stored bar].")
@click.option("--venue", "venues", help="Comma-separated venues [default: every venue with candles and OI].")
@click.option("--column", default="1h", show_default=True, help="Time per heatmap column, e.g. 15m, 1h.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write a chart: FILE.png or FILE.html.")
@click.option("--json", "as_json", is_flag=True, help="Print the grid as JSON with units.")
@pass_app
def heatmap(
    app: App,
    symbol: str,
    span: str,
    until: str | None,
    venues: str | None,
    column: str,
    out: Path | None,
    as_json: bool,
) -> None:
    """The estimated liquidation heatmap: USD of liquidation levels per price bin over time, longs and shorts."""
    # matplotlib loads here, for this command, not at every start of the command line (about 0.3 s)
    from perpscope.analytics.heatmap.chart import heatmap_html, heatmap_json, heatmap_png

    api = app.api(read_only=True)
    try:
        result = api.heatmap(symbol, span, until, _venues(venues), column)
    except ValueError as error:
        fail(str(error))
    origin = "SIMULATED market, perpscope simulator" if result.simulated else "perpscope store"
    source = f"{origin} ({', '.join(result.heatmap.venues)} candles and open interest)"
    if out is not None:
        if out.suffix.lower() not in (".png", ".html"):
            fail(f"--out {out}: the file must end in .png or .html")
        if out.suffix.lower() == ".png":
            out.write_bytes(heatmap_png(result.heatmap, source=source, simulated=result.simulated))
        else:
            out.write_text(heatmap_html(result.heatmap, source=source, simulated=result.simulated), encoding="utf-8")
    if as_json:
        payload = heatmap_json(result.heatmap, source=source, cells_max=_JSON_CELLS_MAX)
        payload["notes"] = list(result.notes)
        payload["file"] = str(out) if out is not None else None
        print_json(payload)
        return
    _print_heatmap(result.heatmap, result.notes, out)


@click.command("liqmap")
@click.option("--symbol", default="BTC", show_default=True, help="A base (every venue's BTC-*-PERP) or a symbol.")
@click.option("--at", "at_text", help="Map time (ISO 8601 / epoch) [default: the latest stored bar].")
@click.option("--targets", help="Comma-separated target prices in USD [default: +/-5% of the price].")
@click.option("--venue", "venues", help="Comma-separated venues [default: every venue with candles and OI].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON with units.")
@pass_app
def liqmap(app: App, symbol: str, at_text: str | None, targets: str | None, venues: str | None, as_json: bool) -> None:
    """USD of estimated liquidations a move to each target would set off: shorts above the price, longs below."""
    api = app.api(read_only=True)
    try:
        wanted = [float(value) for value in targets.split(",") if value.strip()] if targets else []
        if any(not math.isfinite(value) or value <= 0 for value in wanted):
            raise ValueError(f"--targets {targets!r}: prices must be positive numbers in USD")
        result = api.liquidation_map(symbol, at_text, wanted, _venues(venues))
    except ValueError as error:
        fail(str(error))
    if as_json:
        print_json(_map_json(result))
        return
    console.print(result.sentence, highlight=False, soft_wrap=True)
    for target, side, usd in result.at_risk:
        console.print(
            f"  {format_usd(target, exact=True)}: {format_usd(usd)} of {side}s ({usd:,.0f} USD)", highlight=False
        )
    console.print(
        f"{ESTIMATED}; as of {format_ms(result.map.at)}; " + "; ".join(result.map.assumptions[1:]),
        highlight=False,
        soft_wrap=True,
    )
    for note in result.notes:
        console.print(f"  note: {note}", highlight=False, soft_wrap=True)


@click.command("validate-heatmap")
@click.option("--sample", type=click.Path(file_okay=False, path_type=Path), help="The real sample data folder.")
@click.option("--scenario", "scenarios", multiple=True, help="Simulator scenario(s) [default: all four].")
@click.option("--seed", "seeds", multiple=True, type=int, help="Simulator seed(s) [default: 1].")
@click.option("--skip-sim", is_flag=True, help="Only the real-data comparison.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def validate_heatmap(
    sample: Path | None, scenarios: tuple[str, ...], seeds: tuple[int, ...], skip_sim: bool, as_json: bool
) -> None:
    """Model vs naive baseline: on simulated ground truth and on realized liquidations (docs/heatmap.md)."""
    configs = validate.candidate_configs()
    folder = sample or _SHARED_SAMPLE
    payload: dict[str, Any] = {
        "label": ESTIMATED,
        "configs": {name: config.assumptions() for name, config in configs.items()},
    }
    try:
        payload["realized"] = [_realized_row(row) for row in validate.realized(folder, configs)]
    except FileNotFoundError as error:
        payload["realized"] = []
        payload["realized_skipped"] = str(error)
    if not skip_sim:
        rows = validate.simulated(configs, scenarios or validate.SCENARIOS, seeds or (1,))
        payload["simulated"] = [_simulated_row(row) for row in rows]
    if as_json:
        print_json(payload)
        return
    _print_validation(payload)


def _print_heatmap(heatmap: Heatmap, notes: tuple[str, ...], out: Path | None) -> None:
    last = heatmap.long.shape[0] - 1
    centers = heatmap.centers
    console.print(
        f"{heatmap.symbol} liquidation heatmap ({ESTIMATED}), {', '.join(heatmap.venues)}: "
        f"{heatmap.long.shape[0]} columns from {format_ms(int(heatmap.times[0]))}, "
        f"{heatmap.long.shape[1]} bins of {heatmap.bin_width:.2%}",
        highlight=False,
    )
    if last >= 0:
        close = heatmap.candles[last, 3]
        console.print(f"latest close {format_usd(close, exact=True)}; largest estimated clusters now (USD per bin):")
        for name, grid in (("shorts", heatmap.short), ("longs", heatmap.long)):
            top = np.argsort(-grid[last])[:5]
            cells = ", ".join(
                f"{format_usd(centers[i], exact=True)}: {format_usd(grid[last, i])}" for i in top if grid[last, i] > 0
            )
            console.print(f"  {name}: {cells or 'none'}", highlight=False)
    if out is not None:
        console.print(f"chart written to {out}")
    for line in (*heatmap.assumptions, *notes):
        console.print(f"  {line}", highlight=False, soft_wrap=True)


def _map_json(result: service.MapResult) -> dict[str, Any]:
    return {
        "label": ESTIMATED,
        "symbol": result.map.symbol,
        "venues": list(result.map.venues),
        "at": result.map.at,
        "price": result.map.price,
        "targets": [{"target": target, "side": side, "usd": usd} for target, side, usd in result.at_risk],
        "sentence": result.sentence,
        "total_long_usd": float(result.map.long_usd.sum()),
        "total_short_usd": float(result.map.short_usd.sum()),
        "units": {"target": "USD", "price": "USD", "usd": "USD notional at the liquidation price", "at": "ms UTC"},
        "assumptions": list(result.map.assumptions),
        "notes": list(result.notes),
    }


def _realized_row(row: validate.RealizedResult) -> dict[str, Any]:
    return {"config": row.config, "long": _clean(row.long.__dict__), "short": _clean(row.short.__dict__)}


def _simulated_row(row: SimulatedScore) -> dict[str, Any]:
    head = {"scenario": row.scenario, "seed": row.seed, "venue": row.venue, "config": row.config}
    return {**head, "long": _clean(row.long.__dict__), "short": _clean(row.short.__dict__)}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: (None if isinstance(value, float) and not math.isfinite(value) else value) for key, value in values.items()
    }


def _print_validation(payload: dict[str, Any]) -> None:
    console.print(
        "Realized liquidations (Hyperliquid BTC 2025-05-25/26, shorts; Spearman over visited bins, "
        "top-3 capture vs random):",
        highlight=False,
    )
    if payload.get("realized_skipped"):
        console.print(f"  skipped: {payload['realized_skipped']}", highlight=False)
    for row in payload["realized"]:
        side = row["short"]
        console.print(
            f"  {row['config']:<18} rank corr {_number(side['rank_correlation'])}  top-3 "
            f"{_number(side['top_k_capture'])} (random {_number(side['random_capture'])})",
            highlight=False,
        )
    if "simulated" in payload:
        console.print("Simulated ground truth (mean per hourly column, bins within 15% of price; corr / top-5 hits):")
        for row in payload["simulated"]:
            long, short = row["long"], row["short"]
            console.print(
                f"  {row['scenario']:<14} {row['venue']:<8} {row['config']:<18} long {_number(long['correlation'])}"
                f" / {_number(long['top_k'])}  short {_number(short['correlation'])} / {_number(short['top_k'])}",
                highlight=False,
            )


def _number(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.3f}"


COMMANDS = [heatmap, liqmap, validate_heatmap]
