"""``perpscope signals``, ``regimes``, ``flips``, ``waves``, ``clusters``, ``ratios`` and ``sentiment``: thin
shells over :mod:`perpscope.service.analysis` (docs/analytics.md). Tables name units in their headers; ``--json``
output carries a ``units`` map; every time is UTC.
"""

from __future__ import annotations

import math
from datetime import UTC
from typing import Any

import click
import msgspec
import polars as pl
from rich.table import Table

from perpscope.analytics.signals import text as say
from perpscope.cli.common import App, console, pass_app, print_json
from perpscope.cli.views import DurationParam, TimeParam, json_option, symbol_option
from perpscope.service import analysis
from perpscope.store import Store
from perpscope.times import now_ms, parse_duration, to_datetime

since_option = click.option(
    "--since", type=TimeParam(), default="30d", show_default=True, help="Start: ISO 8601, epoch, or 30d (ago)."
)
until_option = click.option("--until", type=TimeParam(), help="End (exclusive) [default: now].")

RATE_UNITS = {"rate_8h": "fraction per 8 h", "zscore": "standard deviations", "times": "ISO 8601 UTC"}
USD_UNITS = {"notional_usd": "USD (lower bound where lower_bound)", "price": "USD", "times": "ISO 8601 UTC"}


def _span(since: int, until: int | None) -> tuple[int, int]:
    return since, now_ms() if until is None else until


def _store(app: App) -> Store:
    return app.api(read_only=True).store


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return to_datetime(ms).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _records(frame: pl.DataFrame, time_columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: time columns as ISO strings, NaN as null."""
    rows = []
    for row in frame.iter_rows(named=True):
        rows.append(
            {
                name: _iso(value)
                if name in time_columns
                else (None if isinstance(value, float) and math.isnan(value) else value)
                for name, value in row.items()
            }
        )
    return rows


def _table(title: str, frame: pl.DataFrame, columns: dict[str, str], time_columns: tuple[str, ...]) -> Table:
    """``columns``: frame column -> header (with its unit)."""
    table = Table(title=title, title_justify="left")
    for header in columns.values():
        table.add_column(header)
    for row in frame.iter_rows(named=True):
        table.add_row(*[_cell(row[name], name in time_columns) for name in columns])
    return table


def _cell(value: Any, is_time: bool) -> str:
    if value is None:
        return "—"
    if is_time:
        return say.moment(value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value)


@click.command("signals")
@symbol_option
@since_option
@until_option
@json_option
@pass_app
def signals(app: App, symbol: str, since: int, until: int | None, as_json: bool) -> None:
    """Signals (short-squeeze setup, long-squeeze risk, flip after liquidations, liquidity sweep, OI/price
    divergence) between --since and --until, with the numbers that triggered each."""
    start, end = _span(since, until)
    found = analysis.signals(_store(app), symbol, start, end)
    if as_json:
        payload = [msgspec.to_builtins(signal) | {"time": _iso(signal.time)} for signal in found]
        units = {"strength": "0-1", "*_fraction": "fraction", "*_8h": "fraction per 8 h", "*_usd": "USD"}
        print_json(
            {"symbol": symbol.upper(), "since": _iso(start), "until": _iso(end), "units": units, "signals": payload}
        )
        return
    for signal in found:
        console.print(
            f"{say.moment(signal.time)}  {signal.kind.value}  strength {signal.strength:.2f}", highlight=False
        )
        console.print(f"  {signal.sentence}", highlight=False, soft_wrap=True)
    console.print(f"{len(found)} signal(s) for {symbol.upper()} from {say.moment(start)} to {say.moment(end)}")


@click.command("regimes")
@symbol_option
@since_option
@until_option
@json_option
@pass_app
def regimes(app: App, symbol: str, since: int, until: int | None, as_json: bool) -> None:
    """Settled funding per venue with its regime (negative, neutral, elevated, overheated on the 8-hour
    equivalent) and z-score against the venue's trailing 30 days."""
    start, end = _span(since, until)
    rows = analysis.funding_regimes(_store(app), symbol, start, end)
    columns = ("venue", "symbol", "funding_time", "known_at", "rate", "interval_h", "rate_8h", "regime", "zscore")
    rows = rows.select(*columns, "source")
    if as_json:
        print_json(
            {"symbol": symbol.upper(), "units": RATE_UNITS, "prints": _records(rows, ("funding_time", "known_at"))}
        )
        return
    headers = {"venue": "venue", "funding_time": "settled UTC", "rate_8h": "8h fraction", "regime": "regime"}
    console.print(
        _table(f"{symbol.upper()} funding regimes", rows, headers | {"zscore": "z (30 d)"}, ("funding_time",))
    )


@click.command("flips")
@symbol_option
@since_option
@until_option
@json_option
@pass_app
def flips(app: App, symbol: str, since: int, until: int | None, as_json: bool) -> None:
    """Funding sign flips on settled rates, per venue and across every venue together ("first time since")."""
    start, end = _span(since, until)
    found = analysis.funding_flips(_store(app), symbol, start, end)
    times = ("funding_time", "known_at", "previous_time", "first_since", "time")
    if as_json:
        payload = {name: _records(frame, times) for name, frame in found.items()}
        print_json({"symbol": symbol.upper(), "units": RATE_UNITS, **payload})
        return
    headers = {"venue": "venue", "funding_time": "settled UTC", "to_sign": "to", "rate_8h": "8h fraction"}
    console.print(_table("flips per venue", found["venue"], headers | {"first_since": "first since"}, times))
    if not found["cross_venue"].is_empty():
        together = {"time": "known UTC", "to_sign": "all", "venues": "venues", "first_since": "first since"}
        console.print(_table("all venues together", found["cross_venue"], together, times))


@click.command("waves")
@symbol_option
@since_option
@until_option
@json_option
@pass_app
def waves(app: App, symbol: str, since: int, until: int | None, as_json: bool) -> None:
    """Liquidation waves: bursts of one side's liquidations in time and price (defaults in docs/analytics.md)."""
    start, end = _span(since, until)
    rows = analysis.liquidation_waves(_store(app), symbol, start, end)
    if as_json:
        print_json({"symbol": symbol.upper(), "units": USD_UNITS, "waves": _records(rows, ("start", "end"))})
        return
    headers = {"wave": "#", "side": "side", "start": "start UTC", "end": "end UTC", "price_low": "low USD"}
    headers |= {"price_high": "high USD", "notional_usd": "notional USD", "events": "n", "lower_bound": "lower bound"}
    console.print(_table(f"{symbol.upper()} liquidation waves", rows, headers, ("start", "end")))


@click.command("clusters")
@symbol_option
@since_option
@until_option
@click.option("--bucket", type=float, help="Price bucket width in USD [default: 0.5% of the median price, 1-2-5].")
@json_option
@pass_app
def clusters(app: App, symbol: str, since: int, until: int | None, bucket: float | None, as_json: bool) -> None:
    """Realized liquidations by side and price bucket, largest first."""
    start, end = _span(since, until)
    rows = analysis.liquidation_clusters(_store(app), symbol, start, end, bucket)
    if as_json:
        print_json(
            {"symbol": symbol.upper(), "units": USD_UNITS, "clusters": _records(rows, ("first_time", "last_time"))}
        )
        return
    headers = {"side": "side", "price_low": "from USD", "price_high": "to USD", "notional_usd": "notional USD"}
    headers |= {"events": "n", "venues": "venues", "lower_bound": "lower bound"}
    console.print(_table(f"{symbol.upper()} liquidation clusters", rows, headers, ()))


@click.command("ratios")
@symbol_option
@since_option
@until_option
@json_option
@pass_app
def ratios(app: App, symbol: str, since: int, until: int | None, as_json: bool) -> None:
    """Long/short account ratios and taker buy/sell ratios as stored, per venue."""
    start, end = _span(since, until)
    found = analysis.ratios(_store(app), symbol, start, end)
    if as_json:
        units = {"long_share": "fraction of accounts", "ratio": "long/short or buy/sell", "*_volume": "base units"}
        print_json(
            {
                "symbol": symbol.upper(),
                "units": units,
                **{k: _records(v, ("ts_event", "ts_recv")) for k, v in found.items()},
            }
        )
        return
    for name, frame in found.items():
        headers = {"venue": "venue", "ts_event": "time UTC", "period": "period", "ratio": "ratio"}
        console.print(_table(f"{symbol.upper()} {name.replace('_', '/')}", frame, headers, ("ts_event",)))


@click.command("sentiment")
@symbol_option
@click.option("--at", type=TimeParam(), help="Time of the index [default: now].")
@click.option(
    "--window",
    type=DurationParam(),
    default="24h",
    show_default=True,
    help="Span of OI change and liquidation imbalance.",
)
@json_option
@pass_app
def sentiment(app: App, symbol: str, at: int | None, window: str, as_json: bool) -> None:
    """The derivatives positioning index (0 crowded short .. 100 crowded long) with its components."""
    moment = now_ms() if at is None else at
    index = analysis.positioning(_store(app), symbol, moment, parse_duration(window))
    beside = analysis.fear_greed(_store(app), symbol, moment)
    if as_json:
        units = {"value": "index 0-100", "fear_greed": "alternative.me index 0-100, daily; not part of the index"}
        extra = {"time": _iso(index.time), "fear_greed": beside, "units": units}
        print_json(msgspec.to_builtins(index) | extra)
        return
    shown = "—" if index.value is None else f"{index.value:.1f} ({index.label})"
    console.print(f"{symbol.upper()} positioning index at {say.moment(index.time)}: {shown}", highlight=False)
    for part in index.components:
        score = "not measured" if part.score is None else f"score {part.score:.1f}, weight {part.weight:.2f}"
        value = "—" if part.value is None else f"{part.value:.6g}"
        console.print(f"  {part.name}: {value} ({part.unit}); {score}", highlight=False)
    if not index.complete:
        console.print("incomplete: weights renormalised over the measured components", highlight=False)
    if beside is not None:
        console.print(
            f"beside it, not in it: Fear & Greed {beside['value']:g}/100 ({beside['classification']}) for "
            f"{say.moment(beside['ts_event'])[:10]}, source {beside['source']} (perpscope fetch-sentiment)",
            highlight=False,
        )


COMMANDS: list[click.Command] = [signals, regimes, flips, waves, clusters, ratios, sentiment]
