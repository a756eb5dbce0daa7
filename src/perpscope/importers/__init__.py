"""Importing files into the store: the registry of formats, detection, and :func:`import_paths`.

The interface a format implements is documented in :mod:`perpscope.importers.base`; docs/importing.md describes
every format for users.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from pathlib import Path

from perpscope.importers import binance_archive, freqtrade, rest_json, tidy, web_export
from perpscope.importers.base import FileImport, Format, ImportOptions, SkipFile, Source
from perpscope.importers.running import OnDone, run
from perpscope.store import Store

# Detection order: the first format whose sniff() says yes reads the file. Formats with strict, cheap signatures
# (a header row, a file-name pattern, a magic number) come before looser ones.
FORMATS: list[Format] = []

# -- registered formats ---------------------------------------------------------------------------------------
# Each format module ends with an instance (``FORMAT``); add it here, in detection order. Formats with strict
# signatures first (Binance archive: file name + column count), the tidy layouts (exact header sets) after them.
FORMATS.append(binance_archive.FORMAT)  # file name + column count
FORMATS.append(freqtrade.FORMAT)  # file name + magic number
FORMATS.append(rest_json.FORMAT)  # JSON key signatures
FORMATS.append(tidy.FORMAT)  # exact header / parquet schema
FORMATS.append(web_export.FORMAT)  # looser: labels written for people
# --------------------------------------------------------------------------------------------------------------


def format_names() -> list[str]:
    return [entry.name for entry in FORMATS]


def import_paths(
    store: Store,
    paths: Sequence[Path],
    *,
    format: str | None = None,
    tz: tzinfo = UTC,
    progress: bool = False,
    venue: str | None = None,
    symbol: str | None = None,
    on_done: OnDone | None = None,
) -> list[FileImport]:
    """Import files and directories; each file whole or not at all (one transaction per file).

    ``format`` skips detection; ``tz`` reads naive local times; ``venue``/``symbol`` fill in what a file does not
    say; ``on_done`` hears about each file as soon as it is written (the CLI prints it before a later error).
    """
    return run(
        store,
        paths,
        formats=FORMATS,
        format=format,
        tz=tz,
        venue=venue,
        symbol=symbol,
        progress=progress,
        on_done=on_done,
    )


__all__ = ["FORMATS", "FileImport", "Format", "ImportOptions", "SkipFile", "Source", "format_names", "import_paths"]
