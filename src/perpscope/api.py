"""The service layer: what the CLI, the web routes, reports and Python users all call.

``perpscope.open(db)`` returns a :class:`Perpscope`; its queries return polars DataFrames, or pandas ones when
opened with ``dataframes="pandas"``. No caller below this layer builds SQL of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any, Literal

import polars as pl

from perpscope.config import Settings, load_settings
from perpscope.store import Store, open_store

DataFrames = Literal["polars", "pandas"]


class Perpscope:
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

    def import_files(
        self,
        paths: Sequence[str | Path],
        *,
        format: str | None = None,
        tz: tzinfo = UTC,
        progress: bool = False,
    ) -> Any:
        """Import files (see ``perpscope import --help``); each file whole or not at all."""
        from perpscope.importers import import_paths

        return import_paths(self.store, [Path(p) for p in paths], format=format, tz=tz, progress=progress)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Perpscope:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open(
    db: str | Path | None = None,
    *,
    read_only: bool = False,
    dataframes: DataFrames = "polars",
    settings: Settings | None = None,
) -> Perpscope:
    """Open a perpscope database: a DuckDB path, ``postgresql://...``, or the configured default."""
    settings = settings or load_settings()
    url = str(db) if db is not None else settings.db
    store = open_store(url, read_only=read_only, lock_timeout_s=settings.store.lock_timeout_s)
    return Perpscope(store, settings, dataframes)
