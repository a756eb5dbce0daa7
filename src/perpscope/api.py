"""The service layer: what the CLI, the web routes, reports and Python users all call.

``perpscope.open(db)`` returns a :class:`Perpscope`; its queries return polars DataFrames, or pandas ones when
opened with ``dataframes="pandas"``. No caller below this layer builds SQL of its own. The methods live in one
mixin per area (``perpscope/service/*_methods.py``) over :class:`perpscope.service.base.Service`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from perpscope.config import Settings, load_settings
from perpscope.service.analysis_methods import AnalysisMethods
from perpscope.service.base import DataFrames, Moment, Span
from perpscope.service.heatmap_methods import HeatmapMethods
from perpscope.service.view_methods import ViewMethods
from perpscope.store import open_store

if TYPE_CHECKING:
    from perpscope.importers import FileImport
    from perpscope.report import ReportFiles

__all__ = ["DataFrames", "Moment", "Perpscope", "Span", "open"]


class Perpscope(ViewMethods, AnalysisMethods, HeatmapMethods):
    def import_files(
        self,
        paths: Sequence[str | Path],
        *,
        format: str | None = None,
        tz: tzinfo = UTC,
        venue: str | None = None,
        symbol: str | None = None,
        progress: bool = False,
        on_done: Callable[[FileImport], None] | None = None,
    ) -> list[FileImport]:
        """Import files and directories (see docs/importing.md); each file whole or not at all. ``on_done``
        hears about each file as soon as it is stored, before a later file can fail."""
        from perpscope.importers import import_paths  # the importers load pyarrow readers only when asked

        return import_paths(
            self.store,
            [Path(path).expanduser() for path in paths],
            format=format,
            tz=tz,
            venue=venue,
            symbol=symbol,
            progress=progress,
            on_done=on_done,
        )

    def report(
        self,
        out: str | Path,
        symbol: str = "BTC",
        window: Span = "7d",
        at: Moment = None,
        on_step: Callable[[str], None] | None = None,
    ) -> ReportFiles:
        """Write the market report (Markdown with PNG charts, and self-contained HTML) to ``out``; see
        docs/report.md. The window ends at ``at``, or at the newest stored print for the symbol."""
        from perpscope.report import write_report  # matplotlib loads only when a report is asked for

        return write_report(self, Path(out).expanduser(), symbol, self._moment(at, "at"), window, on_step)


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
