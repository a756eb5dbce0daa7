"""``perpscope funding``, ``oi`` and ``liquidations``: thin shells over the service layer (docs/views.md).

Each command asks :class:`perpscope.api.Perpscope` for DataFrames and renders them: a rich table whose headers
carry units and a footer naming sources and the time the data is as of, or with ``--json`` plain JSON whose
``units`` say what every number is. No SQL and no arithmetic beyond display scaling live here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC
from typing import Any

import click
import polars as pl
from rich.table import Table

from perpscope.analytics import liquidations as liquidation_math
from perpscope.cli.common import App, console, pass_app, print_json
from perpscope.times import format_ms, now_ms, parse_duration, parse_time, to_datetime

RATE_DIGITS = 6  # percent decimals for funding rates: 0.000012% (an hourly 1.2e-7) still shows

FUNDING_UNITS = {
    "rate": "fraction per interval_h hours, as the venue publishes it (0.0001 = 0.01%)",
    "interval_h": "hours",
    "rate_8h": "fraction per 8 hours (rate x 8 / interval_h)",
    "apr": "fraction per year, simple (rate x 8760 / interval_h)",
    "oi_usd": "USD",
    "weight": "fraction of the OI-weighted figure",
    "times": "ISO 8601 UTC",
}
OI_UNITS = {
    "oi_usd": "USD",
    "oi_base": "base units (BTC for BTC-USDT-PERP)",
    "oi_contracts": "contracts, as the venue counts them",
    "change_usd": "USD",
    "change_base": "base units",
    "change_fraction": "fraction of the value at start",
    "age_s": "seconds",
    "times": "ISO 8601 UTC",
}
LIQUIDATION_UNITS = {
    "long_usd": "USD notional of liquidated long positions",
    "short_usd": "USD notional of liquidated short positions",
    "total_usd": "USD",
    "long_count": "events",
    "short_count": "events",
    "overlap_fraction": "fraction of the period inside the window",
    "times": "ISO 8601 UTC",
}


class TimeParam(click.ParamType[int]):
    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_time(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


class DurationParam(click.ParamType[str]):
    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            parse_duration(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)
        return str(value)


symbol_option = click.option(
    "--symbol", default="BTC", show_default=True, help="A base (BTC: every venue's BTC-*-PERP) or BTC-USDT-PERP."
)
at_option = click.option(
    "--at", type=TimeParam(), help="View as of TIME: ISO 8601 (UTC unless an offset is given), epoch, or 7d (ago)."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON with explicit units.")


# -- funding -------------------------------------------------------------------------------------------------


@click.command("funding")
@symbol_option
@at_option
@json_option
@pass_app
def funding(app: App, symbol: str, at: int | None, as_json: bool) -> None:
    """Latest settled funding per venue, normalised to 8 h and APR, with the OI-weighted cross-venue rate."""
    api = app.api(read_only=True)
    rows: pl.DataFrame = api.funding(symbol, at)
    aggregate: dict[str, Any] = api.funding_aggregate(symbol, at).row(0, named=True)
    if as_json:
        print_json(_funding_json(symbol, at, rows, aggregate))
        return
    table = Table(title=f"{symbol.upper()} funding", title_justify="left")
    headers = ["venue", "symbol", "rate %/interval", "interval h", "8h %", "APR %", "settled at UTC"]
    headers += ["next %/interval (predicted)", "OI USD", "weight %"]
    for header in headers:
        table.add_column(header, justify="left" if header in ("venue", "symbol", "settled at UTC") else "right")
    for row in rows.iter_rows(named=True):
        settled = _short_time(row["funding_time"]) + ("" if row["current"] else " (stale)")
        oi = _compact(row["oi_usd"]) + ("*" if row["oi_usd_derived"] else "")
        cells = [row["venue"], row["symbol"], _pct(row["rate"], RATE_DIGITS), f"{row['interval_h']:g}"]
        cells += [_pct(row["rate_8h"], RATE_DIGITS)]
        cells += [_pct(row["apr"], 2), settled, _pct(row["predicted_rate"], RATE_DIGITS), oi, _pct(row["weight"], 1)]
        table.add_row(*cells)
    console.print(table)
    for line in _funding_footer(rows, aggregate, at):
        console.print(line, highlight=False, soft_wrap=True)


def _funding_footer(rows: pl.DataFrame, aggregate: dict[str, Any], at: int | None) -> list[str]:
    weighted = aggregate["oi_weighted_rate_8h"]
    age = f"{aggregate['oi_max_age_h']:g} h"
    if weighted is None:
        lines = [f"OI-weighted 8h: not available (no venue has a current rate and OI in USD no older than {age})"]
    else:
        lines = [
            f"OI-weighted 8h: {_pct(weighted, RATE_DIGITS)}% (APR {_pct(aggregate['oi_weighted_apr'], 2)}%) over "
            f"{', '.join(aggregate['venues_included'])}; weights: OI USD at or before as-of, no older than {age}"
        ]
    if aggregate["venues_excluded"]:
        lines.append(f"not weighted: {', '.join(aggregate['venues_excluded'])} (stale rate, or no recent OI)")
    if aggregate["simple_mean_rate_8h"] is not None:
        lines.append(
            f"simple mean 8h: {_pct(aggregate['simple_mean_rate_8h'], RATE_DIGITS)}% (every current venue counts once)"
        )
    if rows["oi_usd_derived"].fill_null(False).any():
        lines.append("* OI USD derived from base units x price (see --json oi_usd_basis)")
    lines.append(f"sources: {_sources(rows, 'source')}; OI: {_sources(rows, 'oi_source')}")
    lines.append(_as_of_line(aggregate["as_of"], at))
    return lines


_FUNDING_FIELDS = ("venue", "symbol", "native_symbol", "rate", "interval_h", "rate_8h", "apr")
_FUNDING_TAIL = ("current", "oi_usd", "oi_usd_basis", "oi_usd_derived", "oi_source", "in_aggregate", "weight", "source")
_PREDICTED_FIELDS = ("rate", "interval_h", "rate_8h", "apr", "source")
_AGGREGATE_FIELDS = ("oi_weighted_rate_8h", "oi_weighted_apr", "simple_mean_rate_8h", "simple_mean_apr")


def _funding_json(symbol: str, at: int | None, rows: pl.DataFrame, aggregate: dict[str, Any]) -> dict[str, Any]:
    venues = []
    for row in rows.iter_rows(named=True):
        predicted = None
        if row["predicted_rate"] is not None:
            predicted = {name: row[f"predicted_{name}"] for name in _PREDICTED_FIELDS}
            predicted |= _times(row, funding_time="predicted_funding_time", observed_at="predicted_observed_at")
        venue = _pick(row, _FUNDING_FIELDS) | {"rate_unit": f"fraction per {row['interval_h']:g}h interval"}
        venue |= _times(row, settled_at="funding_time") | {"predicted_next": predicted}
        venues.append(venue | _pick(row, _FUNDING_TAIL) | _times(row, oi_at="oi_time"))
    weights: dict[str, float] = {}
    for row in rows.filter(pl.col("in_aggregate")).iter_rows(named=True):
        weights[row["venue"]] = weights.get(row["venue"], 0.0) + row["oi_usd"]
    summary = _pick(aggregate, _AGGREGATE_FIELDS) | {"weights_usd": weights}
    summary |= _pick(aggregate, ("venues_included", "venues_excluded", "oi_max_age_h"))
    header = {"symbol": symbol.upper(), "as_of": _iso(aggregate["as_of"]), "at": _iso(at), "units": FUNDING_UNITS}
    return {**header, "venues": venues, "aggregate": summary}


# -- open interest ---------------------------------------------------------------------------------------------


@click.command("oi")
@symbol_option
@at_option
@click.option("--window", type=DurationParam(), default="24h", show_default=True, help="Change over this span.")
@json_option
@pass_app
def open_interest(app: App, symbol: str, at: int | None, window: str, as_json: bool) -> None:
    """Latest open interest per venue in USD, and its change over --window."""
    api = app.api(read_only=True)
    rows: pl.DataFrame = api.open_interest(symbol, at, window)
    totals: pl.DataFrame = api.open_interest_totals(symbol, at, window)
    total = totals.row(0, named=True) if not totals.is_empty() else None
    as_of = int(rows["as_of"][0])
    if as_json:
        print_json(_oi_json(symbol, at, window, rows, total, as_of))
        return
    table = Table(title=f"{symbol.upper()} open interest", title_justify="left")
    headers = ["venue", "symbol", "OI USD", "OI base", "reported as", "at UTC", "age", f"{window} change USD"]
    for header in [*headers, f"{window} change %"]:
        table.add_column(header, justify="left" if header in ("venue", "symbol", "reported as", "at UTC") else "right")
    for row in rows.iter_rows(named=True):
        age = _duration(row["age_ms"]) + ("" if row["fresh"] else " (stale)")
        oi = _compact(row["oi_usd"]) + ("*" if row["oi_usd_derived"] else "")
        cells = [row["venue"], row["symbol"], oi, _compact(row["oi_base"]), row["reported"]]
        cells += [_short_time(row["ts_event"]), age, _compact(row["change_usd"]), _pct(row["change_fraction"], 2)]
        table.add_row(*cells)
    console.print(table)
    lines = []
    if total is not None:
        lines.append(f"total OI USD (fresh venues): {_compact(total['oi_usd'])} over {total['venues']} venue(s)")
    if rows["oi_usd_derived"].fill_null(False).any():
        lines.append("* derived: base units x the row's conversion price or the latest mark / candle close")
    lines += [f"sources: {_sources(rows, 'source')}", _as_of_line(as_of, at)]
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)


_OI_FIELDS = ("venue", "symbol", "native_symbol", "oi_usd", "oi_usd_basis", "oi_usd_derived", "oi_base")
_OI_TAIL = ("oi_contracts", "reported", "fresh", "oi_usd_start", "change_usd", "change_base", "change_fraction")


def _oi_json(
    symbol: str, at: int | None, window: str, rows: pl.DataFrame, total: dict[str, Any] | None, as_of: int
) -> dict[str, Any]:
    venues = [
        _pick(row, _OI_FIELDS)
        | _times(row, at="ts_event")
        | {"age_s": row["age_ms"] / 1000}
        | _pick(row, _OI_TAIL)
        | _times(row, start_at="start_time")
        | {"source": row["source"]}
        for row in rows.iter_rows(named=True)
    ]
    header = {"symbol": symbol.upper(), "as_of": _iso(as_of), "at": _iso(at), "window": window, "units": OI_UNITS}
    return {**header, "venues": venues, "total": total and {k: v for k, v in total.items() if k != "as_of"}}


# -- liquidations ----------------------------------------------------------------------------------------------


@click.command("liquidations")
@symbol_option
@at_option
@click.option("--window", type=DurationParam(), default="24h", show_default=True, help="Span ending at --at.")
@json_option
@pass_app
def liquidations(app: App, symbol: str, at: int | None, window: str, as_json: bool) -> None:
    """Liquidation totals by venue and side over --window (lower bounds where a venue's feed is throttled)."""
    api = app.api(read_only=True)
    until = now_ms() if at is None else at
    totals: pl.DataFrame = api.liquidations(symbol, window, until)
    third_party: pl.DataFrame = api.liquidation_aggregates(symbol, window, until)
    since = until - parse_duration(window)
    note = None
    if totals.is_empty():
        latest = api.latest_time("liquidations", symbol)
        stored = format_ms(latest) if latest is not None else "none"
        note = f"no liquidations for {symbol.upper()} in the {window} to {format_ms(until)}; latest stored: {stored}"
    if as_json:
        print_json(_liquidations_json(symbol, window, (since, until), totals, third_party, note))
        return
    if not totals.is_empty():
        console.print(_liquidations_table(symbol, window, totals))
    for line in _liquidations_footer(totals, since, until, note):
        console.print(line, highlight=False, soft_wrap=True)
    if not third_party.is_empty():
        console.print(_third_party_table(third_party))
        console.print("third-party aggregates: shown beside, not added to, the event totals", highlight=False)


def _liquidations_table(symbol: str, window: str, totals: pl.DataFrame) -> Table:
    table = Table(title=f"{symbol.upper()} liquidations, last {window}", title_justify="left")
    for header in ["venue", "symbol", "long USD", "short USD", "notional USD", "long n", "short n", "feed"]:
        table.add_column(header, justify="left" if header in ("venue", "symbol", "feed") else "right")
    for row in totals.iter_rows(named=True):
        cells = [row["venue"], row["symbol"], _compact(row["long_usd"]), _compact(row["short_usd"])]
        cells += [_compact(row["total_usd"]), str(row["long_count"]), str(row["short_count"])]
        table.add_row(*cells, "lower bound" if row["lower_bound"] else "complete")
    total = liquidation_math.grand_total(totals)
    cells = ["all", "", _compact(total["long_usd"]), _compact(total["short_usd"]), _compact(total["total_usd"])]
    table.add_row(*cells, str(total["long_count"]), str(total["short_count"]), _bound(total), style="bold")
    return table


def _liquidations_footer(totals: pl.DataFrame, since: int, until: int, note: str | None) -> list[str]:
    lines = [note] if note else []
    if not totals.is_empty() and totals["lower_bound"].any():
        lines.append("lower bound: the venue's public feed is throttled and drops events: at least this much")
    if not totals.is_empty():
        lines.append(f"sources: {_sources(totals.explode('sources'), 'sources')}")
    lines.append(f"window: after {format_ms(since)} up to and including {format_ms(until)}")
    return lines


def _third_party_table(rows: pl.DataFrame) -> Table:
    table = Table(title="third-party liquidation aggregates overlapping the window", title_justify="left")
    for header in ["venue", "symbol", "period start UTC", "period", "long USD", "short USD", "count", "in window %"]:
        table.add_column(header)
    table.add_column("source")
    for row in rows.iter_rows(named=True):
        cells = [row["venue"], row["symbol"], _short_time(row["ts_event"]), row["period"]]
        cells += [_compact(row["long_usd"]), _compact(row["short_usd"]), _plain(row["count"])]
        table.add_row(*cells, _pct(row["overlap_fraction"], 0), row["source"] or "unnamed")
    return table


def _liquidations_json(
    symbol: str, window: str, bounds: tuple[int, int], totals: pl.DataFrame, third_party: pl.DataFrame, note: str | None
) -> dict[str, Any]:
    venues = [
        _pick(row, [name for name in totals.columns if not name.endswith(("_time", "_start", "_end"))])
        | _times(row, first_at="first_time", last_at="last_time")
        for row in totals.iter_rows(named=True)
    ]
    plain = [name for name in third_party.columns if name not in ("ts_event", "ts_recv", "period_end")]
    aggregates = [
        _pick(row, plain) | _times(row, period_start="ts_event", period_end="period_end")
        for row in third_party.iter_rows(named=True)
    ]
    return {
        "symbol": symbol.upper(),
        "window": window,
        "window_start_exclusive": _iso(bounds[0]),
        "window_end": _iso(bounds[1]),
        "units": LIQUIDATION_UNITS,
        "venues": venues,
        "total": liquidation_math.grand_total(totals) if not totals.is_empty() else None,
        "note": note,
        "third_party_totals": aggregates,
    }


def _pick(row: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The named values, NaN as null (JSON has no NaN)."""
    return {name: None if isinstance(row[name], float) and math.isnan(row[name]) else row[name] for name in names}


def _times(row: dict[str, Any], **names: str) -> dict[str, str | None]:
    """``output name -> column`` of int ms, as ISO 8601 UTC."""
    return {output: _iso(row[column]) for output, column in names.items()}


# -- formatting ------------------------------------------------------------------------------------------------


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    moment = to_datetime(ms).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds" if ms % 1000 else "seconds").replace("+00:00", "Z")


def _pct(fraction: float | None, digits: int) -> str:
    return "—" if fraction is None or math.isnan(fraction) else f"{fraction * 100:.{digits}f}"


def _compact(value: float | None) -> str:
    """1.23B / 45.6M / 7.8K: the header says the unit."""
    if value is None or math.isnan(value):
        return "—"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:,.2f}{suffix}"
    return f"{value:,.2f}"


def _plain(value: Any) -> str:
    return "—" if value is None else str(value)


def _bound(total: dict[str, Any]) -> str:
    return "lower bound" if total["lower_bound"] else "complete"


def _short_time(ms: int | None) -> str:
    return "—" if ms is None else format_ms(ms).removesuffix(" UTC")


def _duration(ms: int) -> str:
    minutes = ms // 60_000
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours < 48 else f"{hours // 24}d {hours % 24}h"


def _sources(rows: pl.DataFrame, column: str) -> str:
    """``source (venue, venue); source (venue)`` from a frame's ``source``-like column."""
    pairs = rows.select("venue", column).drop_nulls().unique().sort(column, "venue")
    venues: dict[str, list[str]] = {}
    for venue, source in pairs.iter_rows():
        venues.setdefault(source or "unnamed", []).append(venue)
    return "; ".join(f"{source} ({', '.join(names)})" for source, names in venues.items()) or "none"


def _as_of_line(as_of: int, at: int | None) -> str:
    if at is not None:
        return f"as of {format_ms(as_of)} (--at)"
    lag = now_ms() - as_of
    return f"data as of {format_ms(as_of)} ({_duration(max(lag, 0))} ago; the newest print used)"


COMMANDS: list[click.Command] = [funding, open_interest, liquidations]
