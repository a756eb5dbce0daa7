"""``perpscope funding`` / ``oi`` / ``liquidations``: JSON parsed and its values asserted, the human tables'
units and sources, and errors without tracebacks. The database is a real DuckDB file written with records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from perpscope.cli import cli
from perpscope.models import FundingKind, FundingRate, Liquidation, LiquidationTotal, OIUnit, OpenInterest, Side
from perpscope.store import DuckDBStore

H = 3_600_000
T = 1_759_996_800_000  # 2025-10-09 08:00:00 UTC
T_ISO = "2025-10-09T08:00:00Z"


def rate(venue: str, symbol: str, value: float, interval_h: float, time: int, **extra: Any) -> FundingRate:
    fields = {"ts_event": time, "funding_time": time, "source": f"import {venue}.csv.gz"} | extra
    return FundingRate(
        venue=venue, symbol=symbol, native_symbol=symbol, ts_recv=time, rate=value, interval_h=interval_h, **fields
    )


def open_interest(venue: str, symbol: str, usd: float, time: int) -> OpenInterest:
    return OpenInterest(
        venue=venue,
        symbol=symbol,
        native_symbol=symbol,
        ts_event=time,
        ts_recv=time,
        source=f"{venue} oi",
        oi_usd=usd,
        reported=OIUnit.USD,
    )


def liquidation(venue: str, side: Side, notional: float, time: int, complete: bool) -> Liquidation:
    return Liquidation(
        venue=venue,
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=time,
        ts_recv=time,
        source=f"{venue} ws",
        side=side,
        price=100_000.0,
        quantity=notional / 100_000.0,
        notional_usd=notional,
        complete=complete,
    )


@pytest.fixture
def db(duckdb_store: DuckDBStore) -> str:
    duckdb_store.write_records(
        [
            rate("binance", "BTC-USDT-PERP", 0.0003, 8, T - 8 * H),
            rate("binance", "BTC-USDT-PERP", 0.0001, 8, T),
            rate("binance", "BTC-USDT-PERP", 0.0002, 8, T + H, kind=FundingKind.PREDICTED, funding_time=T + 8 * H),
            rate("hyperliquid", "BTC-USD-PERP", 0.0000125, 1, T),  # 0.0001 per 8 h, 10.95% a year
            rate("hyperliquid", "BTC-USD-PERP", -0.0001, 1, T - H),
            open_interest("binance", "BTC-USDT-PERP", 6e9, T - H),
            open_interest("binance", "BTC-USDT-PERP", 5e9, T - 25 * H),
            open_interest("hyperliquid", "BTC-USD-PERP", 2e9, T),
            liquidation("binance", Side.LONG, 120_000.0, T - H, complete=False),
            liquidation("binance", Side.SHORT, 30_000.0, T - 2 * H, complete=False),
            liquidation("bybit", Side.SHORT, 400_000.0, T - 3 * H, complete=True),
            LiquidationTotal(
                venue="hyperliquid",
                symbol="BTC-USD-PERP",
                native_symbol="BTC",
                ts_event=T - 8 * H,
                ts_recv=T,
                source="import daily.csv.gz",
                period="1d",
                long_usd=7e6,
                short_usd=1e6,
            ),
        ]
    )
    return duckdb_store.path


def run(db: str, *arguments: str) -> Any:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["--db", db, *arguments], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def run_json(db: str, *arguments: str) -> Any:
    return json.loads(run(db, *arguments, "--json").output)


def test_funding_json(db: str) -> None:
    payload = run_json(db, "funding")
    assert (payload["symbol"], payload["as_of"], payload["at"]) == ("BTC", T_ISO, None)
    assert payload["units"]["apr"].startswith("fraction per year")
    binance, hyperliquid = payload["venues"]
    assert binance["venue"] == "binance"
    assert (binance["rate"], binance["rate_unit"], binance["interval_h"]) == (0.0001, "fraction per 8h interval", 8.0)
    assert binance["settled_at"] == T_ISO
    assert binance["source"] == "import binance.csv.gz"
    assert binance["predicted_next"]["rate"] == 0.0002
    assert binance["predicted_next"]["funding_time"] == "2025-10-09T16:00:00Z"
    assert (hyperliquid["rate"], hyperliquid["rate_unit"]) == (0.0000125, "fraction per 1h interval")
    assert hyperliquid["rate_8h"] == pytest.approx(0.0001)
    assert hyperliquid["apr"] == pytest.approx(0.1095)
    assert hyperliquid["predicted_next"] is None
    aggregate = payload["aggregate"]
    # both at 0.0001 per 8 h: any weighting gives 0.0001
    assert aggregate["oi_weighted_rate_8h"] == pytest.approx(0.0001)
    assert aggregate["weights_usd"] == {"binance": 6e9, "hyperliquid": 2e9}
    assert aggregate["venues_included"] == ["binance", "hyperliquid"]
    assert aggregate["oi_max_age_h"] == 2.0


def test_funding_at_picks_the_earlier_print(db: str) -> None:
    payload = run_json(db, "funding", "--at", "2025-10-09T07:30:00Z")
    assert payload["at"] == payload["as_of"] == "2025-10-09T07:30:00Z"
    rates = {venue["venue"]: venue["rate_8h"] for venue in payload["venues"]}
    assert rates == {"binance": pytest.approx(0.0003), "hyperliquid": pytest.approx(-0.0008)}
    # only binance's OI (at 07:00) exists by 07:30: it alone weighs
    assert payload["aggregate"]["oi_weighted_rate_8h"] == pytest.approx(0.0003)
    assert payload["aggregate"]["venues_included"] == ["binance"]
    assert payload["aggregate"]["venues_excluded"] == ["hyperliquid"]


def test_funding_table_says_units_and_sources(db: str) -> None:
    output = run(db, "funding").output
    for header in ("rate %/interval", "8h %", "APR %", "OI USD", "weight %"):
        assert header in output
    assert "0.001250" in output  # hyperliquid's hourly rate in percent, six decimals
    assert "10.95" in output
    assert "OI-weighted 8h: 0.010000% (APR 10.95%) over binance, hyperliquid" in output
    assert "sources: import binance.csv.gz (binance); import hyperliquid.csv.gz (hyperliquid)" in output
    assert "OI: binance oi (binance); hyperliquid oi (hyperliquid)" in output
    assert "data as of 2025-10-09 08:00:00 UTC" in output


def test_oi_json(db: str) -> None:
    payload = run_json(db, "oi", "--window", "24h")
    assert (payload["as_of"], payload["window"]) == (T_ISO, "24h")
    binance = payload["venues"][0]
    assert (binance["venue"], binance["oi_usd"], binance["oi_usd_basis"]) == ("binance", 6e9, "reported")
    assert (binance["at"], binance["age_s"], binance["fresh"]) == ("2025-10-09T07:00:00Z", 3600.0, True)
    # start 2025-10-08 08:00; the print at 07:00 that day is 1 h before it: 6e9 - 5e9 = 1e9 (+20%)
    assert (binance["start_at"], binance["change_usd"]) == ("2025-10-08T07:00:00Z", 1e9)
    assert binance["change_fraction"] == pytest.approx(0.2)
    assert payload["total"] == {"base": "BTC", "oi_usd": 8e9, "venues": 2, "change_usd": 1e9, "venues_with_change": 1}
    assert "OI USD" in run(db, "oi").output


def test_liquidations_json(db: str) -> None:
    payload = run_json(db, "liquidations", "--at", T_ISO, "--window", "24h")
    assert (payload["window_start_exclusive"], payload["window_end"]) == ("2025-10-08T08:00:00Z", T_ISO)
    binance, bybit = payload["venues"]
    assert (binance["long_usd"], binance["short_usd"], binance["lower_bound"]) == (120_000.0, 30_000.0, True)
    assert (bybit["short_usd"], bybit["lower_bound"]) == (400_000.0, False)
    assert payload["total"]["total_usd"] == 550_000.0
    assert payload["total"]["lower_bound"] is True
    assert payload["note"] is None
    (daily,) = payload["third_party_totals"]
    assert (daily["period_start"], daily["long_usd"], daily["source"]) == (
        "2025-10-09T00:00:00Z",
        7e6,
        "import daily.csv.gz",
    )
    assert daily["overlap_fraction"] == pytest.approx(8 / 24, abs=1e-6)


def test_liquidations_table_and_empty_window_note(db: str) -> None:
    output = run(db, "liquidations", "--at", T_ISO).output
    for text in ("long USD", "short USD", "lower bound", "sources: binance ws (binance); bybit ws (bybit)"):
        assert text in output
    later = run(db, "liquidations", "--at", "2025-10-20T00:00:00Z").output
    assert "no liquidations for BTC in the 24h to 2025-10-20 00:00:00 UTC; latest stored: 2025-10-09 07:00:00 UTC" in (
        " ".join(later.split())
    )


def test_bad_time_is_a_usage_error(db: str) -> None:
    result = CliRunner().invoke(cli, ["--db", db, "funding", "--at", "last tuesday"])
    assert result.exit_code == 2
    assert "not a time: 'last tuesday'" in result.output


def test_empty_store_error_without_traceback(duckdb_store: DuckDBStore) -> None:
    command = [sys.executable, "-c", "from perpscope.cli import main; main()", "--db", duckdb_store.path]
    result = subprocess.run([*command, "funding", "--symbol", "ETH"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert f"error: no funding for ETH in {duckdb_store.path}; symbols present: none" in message
    assert result.stdout == ""


def test_missing_database(tmp_path: Path) -> None:
    missing = str(tmp_path / "absent.duckdb")
    command = [sys.executable, "-c", "from perpscope.cli import main; main()", "--db", missing, "oi"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "no perpscope database at" in result.stderr
    assert "Traceback" not in result.stderr
