"""The import framework's interface: what a file format implements, and what it is given.

A **Source** is one input file, already unwrapped from ``.gz`` or from a ``.zip`` member (see
:mod:`perpscope.importers.sources`). It knows its display name for errors (``archive.zip:member.csv``) and the file
on disk (``path``) for formats that need a real path (parquet, feather) or a directory.

A **Format** turns a Source into Arrow tables keyed by table name, matching :mod:`perpscope.store.schema`:

- ``name``: the ``--format`` value.
- ``sniff(source)``: cheap, from ``source.head()`` (and the name); ``True`` means "this is mine". Detection asks
  the formats in the order of ``perpscope.importers.FORMATS`` and takes the first that says yes.
- ``read(source, options)``: the whole file, parsed. Raise :class:`~perpscope.errors.ParseError` naming file, line
  and field for anything that does not fit (:func:`number`, :func:`checked_ms` and :func:`require_columns` do
  that), or :class:`SkipFile` for a file that is recognised but holds nothing the store keeps. Every record carries
  ``ts_recv = options.ts_recv`` and ``source = "import <file name>"`` (:func:`source_label`).
- optional ``expand(path) -> list[Source] | None``: the directory hook. When ``import_paths`` meets a directory it
  first offers it to every format that has ``expand`` (or only to ``--format``'s); the first one returning a list
  claims the directory, and each Source in the list is imported as one unit (whole or not at all). A Source may
  stand for a directory or a group of files: set ``path`` to it and let ``head()`` return ``b""``. When no format
  claims a directory it is walked recursively and each file is detected on its own; files found that way which no
  format recognises (README, LICENSE) are skipped and reported, while a file named explicitly must be recognised.

``import_paths`` parses every Source of a file fully before writing, then writes all its tables in one
``store.write`` call, so a bad line leaves the store untouched. It also checks that ``ts_event`` and
``funding_time`` are plausible (:func:`perpscope.times.in_range`) as a safety net; formats check earlier, with
line numbers. A table may carry an int64 column ``_line`` (the source line of each row) which the framework uses
in error messages and drops before writing.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

import pyarrow as pa

from perpscope.errors import InputError, ParseError
from perpscope.store.base import WriteCount
from perpscope.times import EARLIEST_MS, LATEST_MS, epoch_to_ms, format_ms, in_range

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")

QUOTES = ("USDT", "USDC", "USD")  # quote suffixes recognised in native symbols such as BTCUSDT
LINE_COLUMN = "_line"  # optional per-row source line number in a format's tables; dropped before writing


@dataclasses.dataclass(frozen=True, kw_only=True)
class ImportOptions:
    ts_recv: int  # the import time, ms; stamped on every record as ts_recv
    tz: tzinfo = UTC  # for naive local times (web exports)
    venue: str | None = None  # override/default when a file does not say which venue it holds
    symbol: str | None = None  # override/default when a file does not say which symbol it holds


class SkipFile(InputError):
    """Raised by ``Format.read`` for a recognised file that holds nothing the store keeps; the reason is shown."""


Progress = Callable[[int], None]  # told how many bytes were just read from disk (drives the progress bar)
Opener = Callable[[Progress | None], IO[bytes]]  # a fresh binary stream of the unwrapped content


class Source:
    """One input file, unwrapped. ``open()`` gives a fresh binary stream of its content each time."""

    def __init__(self, name: str, path: Path, opener: Opener | None = None, *, plain: bool = True):
        self.name = name
        self.path = path
        self.plain = plain  # True when the bytes at ``path`` are the content itself (no .gz/.zip around them)
        self._opener = opener
        self.on_read: Progress | None = None  # set by import_paths while it reads the file fully

    def __repr__(self) -> str:
        return f"Source({self.name!r})"

    def open(self, *, report: bool = True) -> IO[bytes]:
        """A fresh binary stream of the content; ``report=False`` keeps sniffing out of the progress count."""
        if self._opener is None:
            if self.path.is_dir():
                raise ParseError("is a directory, not a file", file=self.name)
            return self.path.open("rb")
        return self._opener(self.on_read if report else None)

    def head(self, size: int = 65536) -> bytes:
        """The first ``size`` bytes (fewer for a short file; ``b""`` for a directory), for sniffing."""
        if self.path.is_dir() and self._opener is None:
            return b""
        chunks: list[bytes] = []
        try:
            with self.open(report=False) as stream:
                read = getattr(stream, "read1", stream.read)  # read1: a truncated file still shows its beginning
                while sum(map(len, chunks)) < size and (chunk := read(min(size, 4096))):
                    chunks.append(chunk)
        except (OSError, EOFError, ParseError):
            pass  # a damaged file still sniffs by what could be read; read() reports the damage
        return b"".join(chunks)[:size]

    def read_bytes(self) -> bytes:
        with self.open() as stream:
            return stream.read()

    def text_lines(self) -> Iterator[tuple[int, str]]:
        """``(line number, line)`` from 1, line endings stripped, UTF-8 (a leading BOM is dropped)."""
        with self.open() as stream:
            for number, raw in enumerate(stream, start=1):
                try:
                    text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError as error:
                    raise ParseError(f"not UTF-8 text ({error.reason})", file=self.name, line=number) from None
                yield number, text.rstrip("\r\n")


@runtime_checkable
class Format(Protocol):
    name: str

    def sniff(self, source: Source) -> bool: ...

    def read(self, source: Source, options: ImportOptions) -> dict[str, pa.Table]: ...


@dataclasses.dataclass(frozen=True)
class FileImport:
    """What importing one file did: ``counts`` per table; ``skipped`` says why nothing was written, if so."""

    name: str
    path: Path
    format: str
    counts: dict[str, WriteCount]
    skipped: str | None = None


# -- helpers every format uses, so that errors read the same everywhere ---------------------------------------


def source_label(source: Source) -> str:
    """The ``source`` column of imported records: ``import <file name>``."""
    return f"import {source.name}"


def number(text: str, *, file: str, line: int, field: str, allow_empty: bool = False) -> float | None:
    """A finite float from a CSV cell; ParseError naming file, line and field otherwise."""
    stripped = text.strip()
    if not stripped:
        if allow_empty:
            return None
        raise ParseError("empty, a number is required", file=file, line=line, field=field)
    try:
        value = float(stripped)
    except ValueError:
        raise ParseError(f"not a number: {stripped!r}", file=file, line=line, field=field) from None
    if not math.isfinite(value):
        raise ParseError(f"not a finite number: {stripped!r}", file=file, line=line, field=field)
    return value


def required_number(text: str, *, file: str, line: int, field: str) -> float:
    value = number(text, file=file, line=line, field=field)
    assert value is not None  # number() raises for empty cells unless allow_empty
    return value


def checked_ms(ms: int, *, file: str, line: int | None, field: str) -> int:
    """``ms`` unchanged when plausible (2009..2100), else ParseError: usually a seconds/ms/us unit mistake."""
    if not in_range(ms):
        raise ParseError(
            f"time {ms} is out of range ({format_ms(EARLIEST_MS)} .. {format_ms(LATEST_MS)}): wrong unit?",
            file=file,
            line=line,
            field=field,
        )
    return ms


def require_columns(header: Sequence[str], needed: Sequence[str], *, file: str, line: int = 1) -> dict[str, int]:
    """Column name -> index for ``needed`` columns of a header row; ParseError naming the first missing one."""
    positions = {name.strip(): index for index, name in enumerate(header)}
    for name in needed:
        if name not in positions:
            found = ", ".join(name.strip() for name in header)
            raise ParseError(f"missing column (header has: {found})", file=file, line=line, field=name)
    return {name: positions[name] for name in needed}


def timestamp_ms(text: str, *, tz: tzinfo, file: str, line: int | None, field: str) -> int:
    """ISO 8601 (naive times are in ``tz``) or epoch s/ms/us/ns by magnitude -> plausible milliseconds."""
    stripped = text.strip()
    if _NUMERIC.match(stripped):
        return checked_ms(epoch_to_ms(float(stripped)), file=file, line=line, field=field)
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        raise ParseError(
            f"not a time: {stripped!r} (expected ISO 8601 or epoch)", file=file, line=line, field=field
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    return checked_ms((micros + 500) // 1000, file=file, line=line, field=field)


def csv_rows(source: Source, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` for every non-blank CSV row; a quoted cell spanning lines reports its last line."""
    current = 0

    def lines() -> Iterator[str]:
        nonlocal current
        for current, text in source.text_lines():  # noqa: B007 - current is read by the loop below
            yield text

    try:
        for cells in csv.reader(lines(), delimiter=delimiter):
            if cells and any(cell.strip() for cell in cells):
                yield current, cells
    except csv.Error as error:
        raise ParseError(f"malformed CSV: {error}", file=source.name, line=current) from None


def split_symbol(text: str) -> tuple[str, str, str] | None:
    """``btcusdt`` / ``BTC-USDT-PERP`` / ``BTC/USDT`` -> (``BTC``, ``USDT``, native spelling)."""
    upper = text.upper()
    pieces = [piece for piece in re.split(r"[-/:_]", upper) if piece and piece not in {"PERP", "SWAP"}]
    if len(pieces) >= 2 and pieces[1] in QUOTES:
        return pieces[0], pieces[1], upper.replace("-PERP", "").replace("-", "")
    for quote in QUOTES:
        if upper.endswith(quote) and len(upper) > len(quote) and upper[: -len(quote)].isalnum():
            return upper[: -len(quote)], quote, upper
    return None
