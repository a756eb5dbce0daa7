"""Raw frames on disk, and reading them back.

Each line is one frame: ``{"t": ts_recv_ms, "v": venue, "k": stream key, "p": payload text}``. Files are
``<dir>/<venue>/<YYYY-MM-DD>T<HH>[.<n>].jsonl.gz`` (UTC hour of receipt), so they rotate hourly; a process that
finds its hour's file already there (a restart) starts ``.1``, ``.2``... rather than append to a stream it did not
finish. Every frame is compressed with a sync flush and handed to the operating system at once: a SIGKILL loses
nothing already received, because the kernel holds what was written. A file whose process died has no gzip
trailer; :func:`read_frames` reads it to the last whole line (``zcat`` does too, then warns).
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import msgspec

log = logging.getLogger(__name__)

SUFFIX = ".jsonl.gz"


class RawFrame(msgspec.Struct, frozen=True):
    t: int  # receipt time, ms UTC
    v: str  # venue
    k: str  # stream key
    p: str  # payload, as received


def hour_of(ts_ms: int) -> str:
    return dt.datetime.fromtimestamp(ts_ms / 1000, tz=dt.UTC).strftime("%Y-%m-%dT%H")


def fresh_path(folder: Path, venue: str, hour: str) -> Path:
    """The hour's file, or the first ``.<n>`` variant not yet taken."""
    path = folder / venue / f"{hour}{SUFFIX}"
    number = 0
    while path.exists():
        number += 1
        path = folder / venue / f"{hour}.{number}{SUFFIX}"
    return path


class _HourFile:
    """One gzip stream, written frame by frame, each frame flushed through to the operating system."""

    def __init__(self, path: Path, hour: str):
        self.path = path
        self.hour = hour
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: BinaryIO = path.open("xb", buffering=0)
        self._compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: gzip header and trailer

    def write(self, line: bytes) -> None:
        self._handle.write(self._compressor.compress(line) + self._compressor.flush(zlib.Z_SYNC_FLUSH))

    def close(self) -> None:
        self._handle.write(self._compressor.flush(zlib.Z_FINISH))
        self._handle.close()


class Recorder:
    """Writes frames as they arrive, one open file per venue. Not thread-safe: use it from one event loop."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.frames = 0
        self._files: dict[str, _HourFile] = {}
        self._encoder = msgspec.json.Encoder()

    def add(self, venue: str, key: str, ts_recv: int, payload: str) -> None:
        hour = hour_of(ts_recv)
        current = self._files.get(venue)
        if current is None or current.hour != hour:
            if current is not None:
                current.close()
            current = self._files[venue] = _HourFile(fresh_path(self.folder, venue, hour), hour)
        current.write(self._encoder.encode(RawFrame(ts_recv, venue, key, payload)) + b"\n")
        self.frames += 1

    @property
    def paths(self) -> list[Path]:
        return [file.path for file in self._files.values()]

    def close(self) -> None:
        for file in self._files.values():
            file.close()
        self._files.clear()


def recordings(folder: str | Path) -> list[Path]:
    """Every recording under ``folder``, in venue then time order."""
    return sorted(Path(folder).rglob(f"*{SUFFIX}"))


def read_frames(path: Path) -> Iterator[RawFrame]:
    """The frames in one file. An unfinished or torn tail (the writer was killed) ends the file with a warning
    naming it; bad lines are skipped with a warning naming file and line."""
    data = path.read_bytes()
    line_number = 0
    decoder = msgspec.json.Decoder(RawFrame)
    for chunk, complete in _members(data):
        lines = chunk.split(b"\n")
        tail = lines.pop()  # empty when the chunk ended with a newline
        if tail and not complete:
            log.warning("%s: last line cut off by a crash, skipped", path)
        for line in lines:
            line_number += 1
            try:
                yield decoder.decode(line)
            except msgspec.DecodeError as error:
                log.warning("%s:%d: not a recorded frame, skipped: %s", path, line_number, error)


def _members(data: bytes) -> Iterator[tuple[bytes, bool]]:
    """Decompressed gzip members of ``data``, each with whether it was finished (has its trailer)."""
    while data:
        decompressor = zlib.decompressobj(31)
        try:
            chunk = decompressor.decompress(data)
        except zlib.error:
            return  # garbage after a crash: nothing more can be trusted
        yield chunk, decompressor.eof
        if not decompressor.eof:
            return
        data = decompressor.unused_data
