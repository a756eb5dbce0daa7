"""The plumbing every service mixin shares: the store, DataFrame output, and time arguments.

:class:`perpscope.api.Perpscope` is composed of one mixin per area (views, analysis, heatmap), each a thin layer of
methods over pure functions; they all stand on :class:`Service`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Self

import polars as pl

from perpscope import queries
from perpscope.config import Settings
from perpscope.errors import InputError, QueryError
from perpscope.store import Store
from perpscope.times import format_ms, now_ms, parse_duration, parse_time

DataFrames = Literal["polars", "pandas"]
Moment = int | str | datetime | None  # int ms UTC, a string for perpscope.times.parse_time, or a datetime
Span = int | str | timedelta  # int ms, or a duration such as "24h"


class Service:
    def __init__(self, store: Store, settings: Settings, dataframes: DataFrames = "polars"):
        self.store = store
        self.settings = settings
        self.dataframes = dataframes

    def _frame(self, frame: pl.DataFrame) -> Any:
        """Every DataFrame leaves through here, so ``dataframes="pandas"`` applies everywhere."""
        return frame.to_pandas() if self.dataframes == "pandas" else frame

    def query(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Raw read-only SQL (``?`` placeholders) over the tables in docs/data-model.md."""
        return self._frame(self.store.query(sql, params))

    def _window(self, window: Span, at: Moment) -> tuple[int, int]:
        until = self._moment(at, "at")
        until = now_ms() if until is None else until
        return until - self._span(window), until

    # -- what is stored --------------------------------------------------------------------------------------

    def latest_time(self, table: str, symbol: str | None = None) -> int | None:
        """The newest ``ts_event`` (ms UTC) stored in ``table`` for ``symbol``; None when there is none."""
        return queries.latest_time(self.store, table, symbol)

    def bases(self, table: str) -> list[str]:
        """The bases (``BTC``, ``ETH``) with rows in ``table``."""
        return queries.bases_present(self.store, table)

    def _nothing(self, table: str, what: str, symbol: str | None, at: int | None) -> QueryError:
        where = getattr(self.store, "where", None) or self.store.url
        wanted = symbol.upper() if symbol else "any symbol"
        when = f" at or before {format_ms(at)}" if at is not None else ""
        present = ", ".join(self.bases(table)) or "none"
        return QueryError(f"no {what} for {wanted}{when} in {where}; symbols present: {present}")

    @staticmethod
    def _moment(value: Moment, name: str) -> int | None:
        """A time argument as int ms UTC: ms, a parse_time string (ISO, epoch, ``7d`` ago), or a datetime
        (naive = UTC)."""
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, datetime):
            moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
            return round(moment.timestamp() * 1000)
        try:
            return parse_time(str(value))
        except ValueError as error:
            raise InputError(f"{name}: {error}") from None

    @staticmethod
    def _span(value: Span) -> int:
        if isinstance(value, timedelta):
            return round(value.total_seconds() * 1000)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as error:
            raise InputError(f"window: {error}") from None

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
