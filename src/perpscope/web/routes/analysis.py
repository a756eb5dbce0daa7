"""Signals, liquidation waves, and the reports written by ``perpscope report``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParameter
from starlette.responses import FileResponse

from perpscope.service import analysis
from perpscope.service import dashboard as board
from perpscope.web import limits
from perpscope.web.push import signal_fields
from perpscope.web.responses import JSON, rows
from perpscope.web.routes import Api, Symbol, Time, Window, at_or_present, context

router = APIRouter(tags=["analysis"])

REPORT_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
REPORT_FILE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}\.(html|md|png|svg)$"
MAX_REPORTS = 200


@router.get("/api/signals", summary="Signals in the window ending at the data's present, newest first")
def signals(request: Request, api: Api, symbol: Symbol = "BTC", window: Window = "24h", at: Time = None) -> JSON:
    span = limits.window_ms(window)
    end = at_or_present(api, symbol, at)
    key = (symbol.upper(), span, end, board.data_version(api.store, symbol))
    found = context(request).cache.get("signals", key, lambda: analysis.signals(api.store, symbol, end - span, end))
    listed = sorted((signal_fields(signal) for signal in found), key=lambda item: -item["time"])
    return JSON(
        {
            "symbol": symbol.upper(),
            "window_start": end - span,
            "window_end": end,
            "signals": listed,
            "units": {"time": "int ms UTC", "strength": "0..1", "evidence": "each key names its unit"},
        }
    )


@router.get("/api/liquidations/waves", summary="Bursts of one side's liquidations in a time range")
def waves(api: Api, symbol: Symbol = "BTC", window: Window = "7d", since: Time = None, until: Time = None) -> JSON:
    span = limits.time_range(since, until, at_or_present(api, symbol, None), limits.window_ms(window))
    frame = analysis.liquidation_waves(api.store, symbol, span.since, span.until)
    units = {"notional_usd": "USD", "price_*": "USD", "vwap": "USD", "start": "int ms UTC", "end": "int ms UTC"}
    return JSON(
        {"symbol": symbol.upper(), "since": span.since, "until": span.until, "waves": rows(frame), "units": units}
    )


@router.get("/api/reports", summary="Reports found in the reports folder (written by perpscope report)")
def reports(request: Request) -> JSON:
    folder = context(request).reports_dir
    found: list[dict[str, Any]] = []
    if folder is not None and folder.is_dir():
        for entry in sorted(folder.iterdir(), key=lambda path: path.name)[: MAX_REPORTS * 4]:
            html, markdown = entry / "report.html", entry / "report.md"
            if entry.is_dir() and re.fullmatch(REPORT_NAME, entry.name) and (html.is_file() or markdown.is_file()):
                found.append(_report_entry(entry, html, markdown))
    found.sort(key=lambda item: -item["modified_ms"])
    return JSON({"folder": str(folder) if folder else None, "reports": found[:MAX_REPORTS]})


def _report_entry(entry: Path, html: Path, markdown: Path) -> dict[str, Any]:
    newest = max(path.stat().st_mtime for path in (html, markdown) if path.is_file())
    return {
        "name": entry.name,
        "html": f"/reports/{entry.name}/report.html" if html.is_file() else None,
        "markdown": f"/reports/{entry.name}/report.md" if markdown.is_file() else None,
        "modified_ms": int(newest * 1000),
    }


@router.get("/reports/{name}/{file}", include_in_schema=False)
def report_file(
    request: Request,
    name: Annotated[str, PathParameter(pattern=REPORT_NAME)],
    file: Annotated[str, PathParameter(pattern=REPORT_FILE)],
) -> FileResponse:
    """One file of one report. Names are checked against strict patterns, then the resolved path must still
    lie inside the reports folder (no ``..``, no symlink out)."""
    folder = context(request).reports_dir
    if folder is None:
        raise HTTPException(404, "no reports folder configured (perpscope serve --reports DIR)")
    root = folder.resolve()
    path = (root / name / file).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise HTTPException(404, f"no report file {name}/{file}")
    # A report is self-contained HTML with inline styles; it may not run scripts or load anything remote.
    policy = "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'"
    return FileResponse(path, headers={"Content-Security-Policy": policy})
