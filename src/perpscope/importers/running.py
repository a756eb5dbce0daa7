"""How ``import_paths`` works: expand paths into files, detect each file's format, parse it whole, write it in
one transaction. The format registry itself lives in :mod:`perpscope.importers` (``FORMATS``)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, tzinfo
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from perpscope.errors import ParseError, UnknownFormatError
from perpscope.importers.base import LINE_COLUMN, FileImport, Format, ImportOptions, SkipFile, Source
from perpscope.importers.sources import open_file
from perpscope.store import Store, schema
from perpscope.times import EARLIEST_MS, LATEST_MS, format_ms, now_ms

PROGRESS_MIN_BYTES = 16 * 1024 * 1024  # smaller files import in about a second: no bar
TIME_COLUMNS = ("ts_event", "funding_time")
UNRECOGNISED = "not a format perpscope imports"

OnDone = Callable[[FileImport], None]


@dataclasses.dataclass(frozen=True)
class Unit:
    """What is written in one transaction: one file on disk (all members of a zip), or what a format claimed."""

    name: str
    path: Path
    sources: list[Source]
    explicit: bool  # named by the user (must be recognised) rather than found by walking a directory


@dataclasses.dataclass(frozen=True)
class Settings:
    formats: Sequence[Format]
    chosen: Format | None
    options: ImportOptions
    progress: bool


def run(
    store: Store,
    paths: Sequence[Path],
    *,
    formats: Sequence[Format],
    format: str | None = None,
    tz: tzinfo = UTC,
    venue: str | None = None,
    symbol: str | None = None,
    progress: bool = False,
    on_done: OnDone | None = None,
) -> list[FileImport]:
    chosen = find_format(formats, format) if format else None
    options = ImportOptions(ts_recv=now_ms(), tz=tz, venue=venue, symbol=symbol)
    settings = Settings(formats, chosen, options, progress)
    results = []
    for unit in plan(paths, formats, chosen):
        result = import_unit(store, unit, settings)
        if result is not None:
            results.append(result)
            if on_done is not None:
                on_done(result)
    return results


def find_format(formats: Sequence[Format], name: str) -> Format:
    for candidate in formats:
        if candidate.name == name:
            return candidate
    raise UnknownFormatError(f"unknown format {name!r}; formats: {', '.join(f.name for f in formats)}")


def plan(paths: Sequence[Path], formats: Sequence[Format], chosen: Format | None) -> Iterator[Unit]:
    for path in paths:
        if path.is_dir():
            yield from _directory(path, formats, chosen)
        elif path.exists():
            yield Unit(path.name, path, open_file(path), explicit=True)
        else:
            raise ParseError("no such file or directory", file=str(path))


def _directory(path: Path, formats: Sequence[Format], chosen: Format | None) -> Iterator[Unit]:
    claimants = [chosen] if chosen is not None else list(formats)
    for candidate in claimants:
        expand = getattr(candidate, "expand", None)
        claimed = expand(path) if expand is not None else None
        if claimed is not None:
            for source in claimed:
                yield Unit(source.name, source.path, [source], explicit=True)
            return
    for file in sorted(item for item in path.rglob("*") if item.is_file()):
        if not any(part.startswith(".") for part in file.relative_to(path).parts):
            yield Unit(str(file.relative_to(path.parent)), file, open_file(file), explicit=False)


def detect(source: Source, formats: Sequence[Format]) -> Format | None:
    for candidate in formats:
        if candidate.sniff(source):
            return candidate
    return None


def import_unit(store: Store, unit: Unit, settings: Settings) -> FileImport | None:
    """Parse every source of the unit, then write all its tables at once. ``None``: skipped silently."""
    detected = []
    for source in unit.sources:
        found = settings.chosen or detect(source, settings.formats)
        if found is None:
            if not unit.explicit:
                return FileImport(unit.name, unit.path, "-", {}, skipped=UNRECOGNISED)
            source.read_bytes()  # a damaged container (truncated gzip) is the better error: it raises here
            names = ", ".join(f.name for f in settings.formats)
            raise UnknownFormatError(f"{source.name}: unknown format (no importer recognises it); formats: {names}")
        detected.append((source, found))
    batches: dict[str, list[pa.Table]] = {}
    with _progress_bar(unit, settings.progress) as advance:
        for source, found in detected:
            source.on_read = advance
            try:
                tables = found.read(source, settings.options)
            except SkipFile as skip:
                return FileImport(unit.name, unit.path, found.name, {}, skipped=str(skip))
            except ParseError as error:
                raise error.located(file=source.name) from None
            for name, table in tables.items():
                batches.setdefault(name, []).append(prepare(name, table, source))
    merged = {name: pa.concat_tables(parts) for name, parts in batches.items()}
    counts = store.write(merged)
    format_names = sorted({found.name for _, found in detected})
    return FileImport(unit.name, unit.path, "+".join(format_names), counts)


def prepare(name: str, table: pa.Table, source: Source) -> pa.Table:
    """Check times against the plausible range (naming the line when the format gave ``_line``), then conform."""
    lines = table.column(LINE_COLUMN) if LINE_COLUMN in table.column_names else None
    for column in TIME_COLUMNS:
        if column not in table.column_names or table.num_rows == 0:
            continue
        values = table.column(column).cast(pa.int64())
        bad = pc.or_(pc.less(values, EARLIEST_MS), pc.greater(values, LATEST_MS))
        if pc.any(bad).as_py():
            index = pc.index(bad, True).as_py()
            raise ParseError(
                f"time {values[index].as_py()} is out of range ({format_ms(EARLIEST_MS)} .. {format_ms(LATEST_MS)})",
                file=source.name,
                line=lines[index].as_py() if lines is not None else None,
                field=column if lines is not None else f"{column} (row {index + 1})",
            )
    if lines is not None:
        table = table.drop_columns([LINE_COLUMN])
    return schema.conform(schema.table(name), table)


@contextlib.contextmanager
def _progress_bar(unit: Unit, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    size = unit.path.stat().st_size if unit.path.is_file() else 0
    if not enabled or size < PROGRESS_MIN_BYTES:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"importing {unit.name}", total=size)
        yield lambda count: bar.advance(task, count)
