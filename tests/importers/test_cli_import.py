"""``perpscope import`` as a user runs it: a separate process, its exit code, its output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PERPSCOPE = Path(sys.executable).parent / "perpscope"
GOOD = "funding_time,funding_rate\n2025-03-06T16:00:00Z,6.818e-05\n2025-03-07T00:00:00Z,-6.12e-06\n"


def run(db: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [str(PERPSCOPE), "--db", str(db), "import", *arguments]
    environment = {"COLUMNS": "200", "HOME": str(db.parent), "PATH": ""}  # wide table, no user settings
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=environment)


def test_a_good_file_prints_its_summary(tmp_path: Path) -> None:
    path = tmp_path / "binance_btcusdt_funding_8h.csv"
    path.write_text(GOOD)
    first = run(tmp_path / "cli.duckdb", str(path))
    assert first.returncode == 0, first.stderr
    assert "binance_btcusdt_funding_8h.csv │ tidy   │ funding │               2 │            2 │" in first.stdout
    again = run(tmp_path / "cli.duckdb", str(path))
    assert "│               2 │            0 │                      2 │" in again.stdout


def test_a_bad_file_exits_1_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "binance_btcusdt_funding_8h.csv"
    path.write_text(GOOD + "2025-03-07T08:00:00Z,abc\n")
    result = run(tmp_path / "cli.duckdb", str(path), "--venue", "binance")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: binance_btcusdt_funding_8h.csv:4: field 'funding_rate': not a number: 'abc'"
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
