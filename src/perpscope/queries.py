"""The SQL behind the views: each function takes a :class:`~perpscope.store.Store` and returns polars.

SQL here is the common subset of DuckDB and PostgreSQL, with ``?`` placeholders, so every backend answers the
same way. Functions fetch rows; the arithmetic on them lives in :mod:`perpscope.analytics`, where it is pure and
tested by hand-computed numbers.

A ``symbol`` argument is either a base (``BTC``: every venue's ``BTC-*-PERP``) or a canonical symbol
(``BTC-USDT-PERP``: exactly that one); ``None`` selects every symbol. Times are int milliseconds UTC; ``at``
bounds are inclusive (``ts_event <= at``), ``since``/``until`` are half-open (``since <= ts_event < until``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import polars as pl

from perpscope.errors import QueryError
from perpscope.models import FundingKind
from perpscope.store import Store, schema
from perpscope.times import MS_PER_DAY

_SYMBOL = re.compile(r"[A-Z0-9]+(-[A-Z0-9]+-PERP)?")

# "Latest" rows are looked for this far back from the time asked about: zone maps on ts_event then skip all older
# row groups, where scanning a year of one-minute candles for a maximum took tens of milliseconds per request.
OPEN_INTEREST_LOOKBACK_MS = 30 * MS_PER_DAY  # a venue silent longer than this has no "latest" open interest
PRICE_LOOKBACK_MS = 7 * MS_PER_DAY  # an older price is not used to value open interest in USD


def symbol_condition(symbol: str) -> tuple[str, list[Any]]:
    """The SQL condition for a base (``BTC``: every venue's ``BTC-*-PERP``) or one canonical symbol."""
    wanted = symbol.strip().upper()
    if not _SYMBOL.fullmatch(wanted):
        raise QueryError(
            f"not a symbol: {symbol!r} (use a base such as BTC, or a canonical symbol such as BTC-USDT-PERP)"
        )
    if "-" in wanted:
        return "symbol = ?", [wanted]
    return "symbol LIKE ?", [f"{wanted}-%"]  # a prefix: cheaper than split_part, and safe (only [A-Z0-9] here)


def selection(symbol: str | None, venues: Sequence[str] | None = None) -> tuple[str, list[Any]]:
    """``symbol`` (see :func:`symbol_condition`) and ``venues`` as one SQL condition; ``TRUE`` selects everything."""
    where = _Where().symbol(symbol).venues(venues)
    return " AND ".join(where.conditions) or "TRUE", where.params


class _Where:
    """A conjunction of conditions and their parameters, built clause by clause (no ``? IS NULL`` tricks:
    PostgreSQL cannot infer a parameter's type from that)."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.params: list[Any] = []

    def add(self, condition: str, *params: Any) -> _Where:
        self.conditions.append(condition)
        self.params.extend(params)
        return self

    def symbol(self, symbol: str | None) -> _Where:
        if symbol is None:
            return self
        condition, params = symbol_condition(symbol)
        return self.add(condition, *params)

    def venues(self, venues: Sequence[str] | None) -> _Where:
        if not venues:
            return self
        marks = ", ".join("?" for _ in venues)
        return self.add(f"venue IN ({marks})", *[venue.lower() for venue in venues])

    def at_or_before(self, at: int | None, column: str = "ts_event") -> _Where:
        return self if at is None else self.add(f"{column} <= ?", at)

    def between(self, since: int | None, until: int | None, column: str = "ts_event") -> _Where:
        if since is not None:
            self.add(f"{column} >= ?", since)
        if until is not None:
            self.add(f"{column} < ?", until)
        return self

    def copy(self) -> _Where:
        twin = _Where()
        twin.conditions, twin.params = list(self.conditions), list(self.params)
        return twin

    @property
    def sql(self) -> str:
        return "WHERE " + " AND ".join(self.conditions) if self.conditions else ""


def _columns(table: str) -> str:
    return ", ".join(schema.table(table).column_names)


def _latest_rows(
    store: Store,
    table: str,
    where: _Where,
    tiebreak: str = "",
    lookback: tuple[int | None, int] | None = None,
    per: tuple[str, ...] = ("venue", "symbol"),
) -> pl.DataFrame:
    """The newest row (by ``ts_event``) per venue and symbol (``per``: these columns) among the rows ``where``
    selects; among rows of one ``ts_event``, the first by ``tiebreak`` (a column list).

    The newest time per venue and symbol comes from a ``GROUP BY`` and the rows are joined back: ranking every row
    of a year of 10-second polls to keep one per venue took seconds; the aggregate and a hash join take milliseconds.
    ``lookback`` = (at, span): only rows newer than ``at - span`` count (``at`` None: the newest row selected)."""
    if lookback is not None:
        where = _recent(store, table, where, *lookback)
    columns = _columns(table)
    order = f"ts_event DESC, {tiebreak}" if tiebreak else "ts_event DESC"
    group = ", ".join(per)
    newest = ", ".join(f"{name} AS newest_{name}" for name in per)
    same = " AND ".join(f"candidates.{name} = newest.newest_{name}" for name in per)
    sql = (
        f"SELECT {columns} FROM (SELECT candidates.*, ROW_NUMBER() OVER (PARTITION BY {group} ORDER BY {order}) "
        f"AS recency FROM (SELECT {columns} FROM {table} {where.sql}) AS candidates "
        f"JOIN (SELECT {newest}, max(ts_event) AS newest_time FROM {table} "
        f"{where.sql} GROUP BY {group}) AS newest ON {same} AND candidates.ts_event = newest.newest_time) AS ranked "
        f"WHERE recency = 1 ORDER BY {group}"
    )
    return store.query(sql, where.params + where.params)


def _recent(store: Store, table: str, where: _Where, at: int | None, span: int) -> _Where:
    if at is None:
        newest = store.query(f"SELECT max(ts_event) AS newest FROM {table} {where.sql}", where.params)["newest"][0]
        if newest is None:
            return where
        at = int(newest)
    return where.copy().add("ts_event > ?", at - span)


# -- funding -------------------------------------------------------------------------------------------------


def latest_funding(
    store: Store, symbol: str | None, at: int | None, kind: FundingKind = FundingKind.SETTLED
) -> pl.DataFrame:
    """Per venue and symbol, the newest funding row of ``kind`` known at ``at``: ``ts_event <= at`` (for settled
    prints ``ts_event`` is the settlement time; for predictions, the time the estimate was observed)."""
    return latest_funding_kinds(store, symbol, at, (kind,))


def latest_funding_kinds(
    store: Store, symbol: str | None, at: int | None, kinds: Sequence[FundingKind]
) -> pl.DataFrame:
    """:func:`latest_funding` for each of ``kinds`` in one query: the newest row per venue, symbol and kind,
    ordered by venue, symbol, kind."""
    marks = ", ".join("?" for _ in kinds)
    where = _Where().add(f"kind IN ({marks})", *[FundingKind(kind).value for kind in kinds])
    where.symbol(symbol).at_or_before(at)
    # One OKX push predicts two settlements at one ts_event: the next one (the earlier funding_time) comes first.
    return _latest_rows(store, "funding", where, tiebreak="funding_time", per=("venue", "symbol", "kind"))


def funding_history(
    store: Store,
    symbol: str | None,
    since: int | None = None,
    until: int | None = None,
    venues: Sequence[str] | None = None,
    kinds: Sequence[FundingKind] = (FundingKind.SETTLED,),
) -> pl.DataFrame:
    """Funding rows of the given kinds in ``[since, until)``, oldest first."""
    where = _Where().symbol(symbol).venues(venues).between(since, until)
    marks = ", ".join("?" for _ in kinds)
    where.add(f"kind IN ({marks})", *[FundingKind(kind).value for kind in kinds])
    sql = f"SELECT {_columns('funding')} FROM funding {where.sql} ORDER BY ts_event, venue, symbol, kind"
    return store.query(sql, where.params)


# -- open interest and prices ----------------------------------------------------------------------------------


def latest_open_interest(store: Store, symbol: str | None, at: int | None) -> pl.DataFrame:
    """Per venue and symbol, the newest open-interest row at or before ``at`` and within
    :data:`OPEN_INTEREST_LOOKBACK_MS` of it (``at`` None: of the newest row)."""
    where = _Where().symbol(symbol).at_or_before(at)
    return _latest_rows(store, "open_interest", where, lookback=(at, OPEN_INTEREST_LOOKBACK_MS))


def open_interest_history(
    store: Store,
    symbol: str | None,
    since: int | None = None,
    until: int | None = None,
    venues: Sequence[str] | None = None,
) -> pl.DataFrame:
    where = _Where().symbol(symbol).venues(venues).between(since, until)
    sql = f"SELECT {_columns('open_interest')} FROM open_interest {where.sql} ORDER BY ts_event, venue, symbol"
    return store.query(sql, where.params)


# The columns of :func:`latest_prices`.
PRICE_SCHEMA = {
    "venue": pl.String,
    "symbol": pl.String,
    "price": pl.Float64,
    "price_time": pl.Int64,
    "price_kind": pl.String,
}


def latest_prices(store: Store, symbol: str | None, at: int | None) -> pl.DataFrame:
    """Per venue and symbol, the newest price known at ``at``: a mark price, or else the close of the latest
    candle that opened at or before ``at`` (any interval), within :data:`PRICE_LOOKBACK_MS` of it. Columns: venue,
    symbol, price, price_time, price_kind (``mark`` or ``candle close``). A mark wins a tie because it is what the
    venue itself uses."""
    recent = (at, PRICE_LOOKBACK_MS)
    mark_rows = _Where().add("kind = 'mark'").symbol(symbol).at_or_before(at)
    marks = _latest_rows(store, "prices", mark_rows, lookback=recent)
    bars = _latest_rows(store, "candles", _Where().symbol(symbol).at_or_before(at), "interval, kind", recent)
    candidates = pl.concat(
        [
            marks.select("venue", "symbol", "price", price_time="ts_event", price_kind=pl.lit("mark"), preference=0),
            bars.select(
                "venue", "symbol", price="close", price_time="ts_event", price_kind=pl.lit("candle close"), preference=1
            ),
        ]
    )
    newest = candidates.sort("price_time", "preference", descending=[True, False]).unique(
        ["venue", "symbol"], keep="first", maintain_order=True
    )
    return newest.sort("venue", "symbol").drop("preference")


# -- liquidations ----------------------------------------------------------------------------------------------


def liquidation_events(
    store: Store,
    symbol: str | None,
    since: int | None = None,
    until: int | None = None,
    venues: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Individual liquidations in ``[since, until)``, oldest first."""
    where = _Where().symbol(symbol).venues(venues).between(since, until)
    sql = f"SELECT {_columns('liquidations')} FROM liquidations {where.sql} ORDER BY ts_event, venue, symbol"
    return store.query(sql, where.params)


def liquidation_totals(
    store: Store, symbol: str | None, since: int | None = None, until: int | None = None
) -> pl.DataFrame:
    """Third-party aggregate rows whose period *starts* in ``[since, until)``; the caller widens ``since`` by
    the longest period it accepts and keeps the periods that overlap its window."""
    where = _Where().symbol(symbol).between(since, until)
    sql = (
        f"SELECT {_columns('liquidation_totals')} FROM liquidation_totals {where.sql} ORDER BY ts_event, venue, symbol"
    )
    return store.query(sql, where.params)


# -- what is there ---------------------------------------------------------------------------------------------


def bases_present(store: Store, table: str) -> list[str]:
    """The distinct bases (``BTC``) of the symbols stored in ``table``, sorted: for "did you mean" messages."""
    spec = schema.table(table)
    # The few distinct symbols first, split here: splitting every stored row first took eight times as long.
    frame = store.query(f"SELECT DISTINCT symbol FROM {spec.name}")
    return sorted({str(symbol).split("-", 1)[0] for symbol in frame["symbol"].to_list()})


def latest_time(store: Store, table: str, symbol: str | None = None) -> int | None:
    """The newest ``ts_event`` in ``table`` for ``symbol`` (every symbol when None), or None when empty."""
    spec = schema.table(table)
    where = _Where().symbol(symbol)
    frame = store.query(f"SELECT max(ts_event) AS latest FROM {spec.name} {where.sql}", where.params)
    value = frame["latest"][0]
    return None if value is None else int(value)
