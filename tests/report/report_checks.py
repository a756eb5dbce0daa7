"""Checks shared by the report tests: the PNG header, and "every figure in the text carries a unit"."""

from __future__ import annotations

import re
import struct
from pathlib import Path

from perpscope.report.sections import COUNT_HEADERS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# What is not a figure: dates and times (with UTC), canonical symbols, file names, chart file links.
_NOT_FIGURES = [
    re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?( UTC)?"),
    re.compile(r"\d{2}:\d{2}(:\d{2})? UTC"),
    re.compile(r"[A-Z]+-[A-Z]+-PERP"),
    re.compile(r"\S*(_|\.csv|\.gz|\.png)\S*"),
]
_FIGURE = re.compile(r"(?<![\w.])([−+-]?\$?\d[\d,]*(?:\.\d+)?)([%BMK]?)(\s*[a-z]+)?")
_UNIT_WORDS = {
    "venue",
    "venues",
    "h",
    "hour",
    "hours",
    "day",
    "days",
    "prints",
    "print",
    "candles",
    "candle",
    "events",
    "event",
    "m",  # a candle interval or a heatmap column: 1m, 15m
    "min",
    "s",
    "samples",
    "liquidation",  # "9 liquidation waves"
}


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    header = path.read_bytes()[:24]
    assert header[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert header[12:16] == b"IHDR"
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)


def _strip(text: str) -> str:
    for pattern in _NOT_FIGURES:
        text = pattern.sub(" ", text)
    return text


def figures_without_unit(text: str) -> list[str]:
    """Numbers in prose that have neither ``$`` nor ``%`` nor a unit word after them."""
    bad = []
    for match in _FIGURE.finditer(_strip(text)):
        number, suffix, word = match.group(1), match.group(2), (match.group(3) or "").strip()
        if "$" in number or suffix == "%" or word in _UNIT_WORDS:
            continue
        bad.append(match.group(0))
    return bad


def markdown_figures_without_unit(markdown: str) -> list[str]:
    """Every line of a report's Markdown: prose as above; table cells likewise, except bare counts in a
    column whose header names what is counted."""
    bad: list[str] = []
    headers: list[str] = []
    notes = False  # the heatmap model's own notes (margin-table sources, tiers) are quoted, not report figures
    for line in markdown.splitlines():
        notes = line.startswith("_Model notes") or (notes and (line.startswith("- ") or not line))
        if notes or line.startswith("![") or line.startswith("|---") or line.startswith("|--"):
            continue
        if line.startswith("| "):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            if not headers:
                headers = cells
                continue
            for header, cell in zip(headers, cells, strict=True):
                if header in COUNT_HEADERS and re.fullmatch(r"\d[\d,]*", cell):
                    continue
                bad += figures_without_unit(cell)
            continue
        headers = []
        bad += figures_without_unit(line)
    return bad
