"""Opening input files: plain, ``.gz`` and ``.zip`` (the way Binance's archive packages its CSVs) look the same.

Every stream is wrapped so that a damaged container surfaces as a :class:`ParseError` naming the file, whichever
format is reading it, and so that the bytes read from disk can drive a progress bar.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

from perpscope.errors import ParseError
from perpscope.importers.base import Progress, Source

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"

Closable = IO[Any] | zipfile.ZipFile


class _CountingReader(io.RawIOBase):
    """A disk file that reports each read to ``progress`` (the compressed bytes, for .gz and .zip)."""

    def __init__(self, raw: IO[bytes], progress: Progress | None):
        self._raw = raw
        self._progress = progress

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: Any) -> int:
        count = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        if self._progress is not None and count:
            self._progress(count)
        return int(count or 0)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Guarded(io.BufferedIOBase):
    """A decompressing stream whose container errors (truncated gzip, bad CRC) become ParseErrors naming the file."""

    def __init__(self, inner: IO[bytes] | io.BufferedIOBase, name: str, closers: tuple[Closable, ...] = ()):
        self._inner = inner
        self._name = name
        self._closers = closers

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._guard(lambda: self._inner.read(-1 if size is None else size))

    def read1(self, size: int = -1) -> bytes:
        """What is decoded so far (used for sniffing: a truncated file still shows its beginning)."""
        inner_read1 = getattr(self._inner, "read1", None)
        if inner_read1 is None:
            return self.read(size)
        return self._guard(lambda: bytes(inner_read1(size)))

    def readline(self, size: int | None = -1) -> bytes:
        return self._guard(lambda: self._inner.readline(-1 if size is None else size))

    def _guard(self, action: Callable[[], bytes]) -> bytes:
        try:
            return action()
        except EOFError:
            raise ParseError("compressed file is truncated (ends before its end marker)", file=self._name) from None
        except (gzip.BadGzipFile, zipfile.BadZipFile, zlib.error, OSError) as error:
            raise ParseError(f"compressed data is damaged: {error}", file=self._name) from None

    def close(self) -> None:
        self._inner.close()
        for closer in self._closers:
            closer.close()
        super().close()


def _guarded(inner: IO[bytes] | io.BufferedIOBase, name: str, closers: tuple[Closable, ...] = ()) -> IO[bytes]:
    return cast(IO[bytes], _Guarded(inner, name, closers))


def _disk(path: Path, progress: Progress | None) -> IO[bytes]:
    return io.BufferedReader(_CountingReader(path.open("rb"), progress))


def _magic(path: Path) -> bytes:
    with path.open("rb") as stream:
        return stream.read(4)


def display_name(path: Path) -> str:
    return path.name


def open_file(path: Path) -> list[Source]:
    """The Sources inside one file on disk: itself, its gunzipped content, or each member of a zip archive."""
    if not path.is_file():
        raise ParseError("no such file", file=str(path))
    magic = _magic(path)
    if magic.startswith(GZIP_MAGIC):
        return [_gzip_source(path)]
    if magic.startswith(ZIP_MAGIC):
        return _zip_sources(path)
    name = display_name(path)
    return [Source(name, path, lambda progress: _guarded(_disk(path, progress), name))]


def _gzip_source(path: Path) -> Source:
    name = display_name(path)

    def opener(progress: Progress | None) -> IO[bytes]:
        disk = _disk(path, progress)
        return _guarded(gzip.GzipFile(fileobj=disk, mode="rb"), name, (disk,))

    return Source(name, path, opener, plain=False)


def _zip_sources(path: Path) -> list[Source]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info.filename for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ParseError(f"not a readable zip archive: {error}", file=display_name(path)) from None
    if not members:
        raise ParseError("zip archive holds no files", file=display_name(path))
    return [_zip_member(path, member) for member in members]


def _zip_member(path: Path, member: str) -> Source:
    name = f"{display_name(path)}:{member}"

    def opener(progress: Progress | None) -> IO[bytes]:
        disk = _disk(path, progress)
        try:
            archive = zipfile.ZipFile(disk)
            inner = archive.open(member)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            disk.close()
            raise ParseError(f"not a readable zip archive: {error}", file=name) from None
        return _guarded(inner, name, (archive, disk))

    return Source(name, path, opener, plain=False)
