"""The SQL behind the views: each function takes a :class:`~perpscope.store.Store` and returns polars.

SQL here is the common subset of DuckDB and PostgreSQL, with ``?`` placeholders, so every backend answers the
same way. Functions fetch rows; the arithmetic on them lives in :mod:`perpscope.analytics`, where it is pure and
tested by hand-computed numbers.

A ``symbol`` argument is either a base (``BTC``: every venue's ``BTC-*-PERP``) or a canonical symbol
(``BTC-USDT-PERP``: exactly that one); ``None`` selects every symbol. Times are int milliseconds UTC; ``at``
bounds are inclusive (``ts_event <= at``), ``since``/``until`` are half-open (``since <= ts_event < until``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from perpscope.models import FundingKind
from perpscope.store import Store, schema

_LATEST = "ROW_NUMBER() OVER (PARTITION BY venue, symbol ORDER BY ts_event DESC) AS recency"


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
        wanted = symbol.strip().upper()
        if "-" in wanted:
            return self.add("symbol = ?", wanted)
        return self.add("split_part(symbol, '-', 1) = ?", wanted)

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

    @property
    def sql(self) -> str:
        return "WHERE " + " AND ".join(self.conditions) if self.conditions else ""


def _columns(table: str) -> str:
    return ", ".join(schema.table(table).column_names)


def _latest_rows(store: Store, table: str, where: _Where) -> pl.DataFrame:
    """The newest row (by ``ts_event``) per venue and symbol among the rows ``where`` selects."""
    columns = _columns(table)
    sql = (
        f"SELECT {columns} FROM (SELECT {columns}, {_LATEST} FROM {table} {where.sql}) AS ranked "
        "WHERE recency = 1 ORDER BY venue, symbol"
    )
    return store.query(sql, where.params)


# -- funding -------------------------------------------------------------------------------------------------


def latest_funding(
    store: Store, symbol: str | None, at: int | None, kind: FundingKind = FundingKind.SETTLED
) -> pl.DataFrame:
    """Per venue and symbol, the newest funding row of ``kind`` known at ``at``: ``ts_event <= at`` (for settled
    prints ``ts_event`` is the settlement time; for predictions, the time the estimate was observed)."""
    where = _Where().add("kind = ?", kind.value).symbol(symbol).at_or_before(at)
    return _latest_rows(store, "funding", where)


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
    """Per venue and symbol, the newest open-interest row at or before ``at``."""
    return _latest_rows(store, "open_interest", _Where().symbol(symbol).at_or_before(at))


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


def latest_prices(store: Store, symbol: str | None, at: int | None) -> pl.DataFrame:
    """Per venue and symbol, the newest price known at ``at``: a mark price, or else the close of the latest
    candle that opened at or before ``at`` (any interval). Columns: venue, symbol, price, price_time,
    price_kind (``mark`` or ``candle close``). A mark wins a tie because it is what the venue itself uses."""
    marks = _Where().add("kind = 'mark'").symbol(symbol).at_or_before(at)
    bars = _Where().symbol(symbol).at_or_before(at)
    sql = (
        "SELECT venue, symbol, price, price_time, price_kind FROM ("
        "SELECT venue, symbol, price, price_time, price_kind, ROW_NUMBER() OVER "
        "(PARTITION BY venue, symbol ORDER BY price_time DESC, preference) AS recency FROM ("
        f"SELECT venue, symbol, price, ts_event AS price_time, 'mark' AS price_kind, 0 AS preference "
        f"FROM prices {marks.sql} UNION ALL "
        f"SELECT venue, symbol, close AS price, ts_event AS price_time, 'candle close' AS price_kind, "
        f"1 AS preference FROM candles {bars.sql}) AS candidates) AS ranked "
        "WHERE recency = 1 ORDER BY venue, symbol"
    )
    return store.query(sql, marks.params + bars.params)


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
    frame = store.query(f"SELECT DISTINCT split_part(symbol, '-', 1) AS base FROM {spec.name} ORDER BY base")
    return [str(base) for base in frame["base"].to_list()]


def latest_time(store: Store, table: str, symbol: str | None = None) -> int | None:
    """The newest ``ts_event`` in ``table`` for ``symbol`` (every symbol when None), or None when empty."""
    spec = schema.table(table)
    where = _Where().symbol(symbol)
    frame = store.query(f"SELECT max(ts_event) AS latest FROM {spec.name} {where.sql}", where.params)
    value = frame["latest"][0]
    return None if value is None else int(value)
