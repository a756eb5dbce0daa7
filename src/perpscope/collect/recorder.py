"""Raw frames on disk, and reading them back.

Each line is one frame: ``{"t": ts_recv_ms, "v": venue, "k": stream key, "p": payload text}``. Files are
``<dir>/<venue>/<YYYY-MM-DD>T<HH>.jsonl.gz`` (UTC hour of receipt), so they rotate hourly. Every flush appends
one complete gzip member: after a SIGKILL everything up to the last flush is readable, and a reader that meets a
torn last member keeps the whole lines it can decompress. ``gzip``/``zcat`` read the files as they are.
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True)
class RecorderSettings:
    flush_interval_s: float = 1.0


def hour_file(folder: Path, venue: str, ts_ms: int) -> Path:
    hour = dt.datetime.fromtimestamp(ts_ms / 1000, tz=dt.UTC).strftime("%Y-%m-%dT%H")
    return folder / venue / f"{hour}{SUFFIX}"


class Recorder:
    """Appends frames; :meth:`flush` writes one gzip member per open file. Not thread-safe: one event loop."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.frames = 0
        self._buffers: dict[Path, list[bytes]] = {}
        self._files: dict[Path, BinaryIO] = {}
        self._encoder = msgspec.json.Encoder()

    def add(self, venue: str, key: str, ts_recv: int, payload: str) -> None:
        line = self._encoder.encode(RawFrame(ts_recv, venue, key, payload)) + b"\n"
        self._buffers.setdefault(hour_file(self.folder, venue, ts_recv), []).append(line)
        self.frames += 1

    def flush(self) -> None:
        buffers, self._buffers = self._buffers, {}
        for path, lines in buffers.items():
            handle = self._files.get(path)
            if handle is None:
                self._close_other_hours(path)
                path.parent.mkdir(parents=True, exist_ok=True)
                handle = self._files[path] = path.open("ab")
            handle.write(_gzip_member(b"".join(lines)))
            handle.flush()

    def _close_other_hours(self, path: Path) -> None:
        """A new hour for a venue: the previous hour's file is complete."""
        for other in [p for p in self._files if p.parent == path.parent and p != path]:
            self._files.pop(other).close()

    def close(self) -> None:
        self.flush()
        for handle in self._files.values():
            handle.close()
        self._files.clear()


def _gzip_member(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip header and trailer
    return compressor.compress(data) + compressor.flush()


def recordings(folder: str | Path) -> list[Path]:
    """Every recording under ``folder``, in venue then time order."""
    return sorted(Path(folder).rglob(f"*{SUFFIX}"))


def read_frames(path: Path) -> Iterator[RawFrame]:
    """The frames in one file. A truncated or corrupt tail (a crash mid-write) ends the file quietly, with a
    warning naming the file; bad lines are skipped with a warning naming file and line."""
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
    """Decompressed gzip members of ``data`` with whether each was complete."""
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
