"""The collect, backfill and replay commands, end to end against the fake venue (on its own thread)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from collect_helpers import COMPOSE_CLI, cli_with_collect, closed_port

from perpscope.cli.collecting import _connectors, parse_venue_urls
from perpscope.collect.connector import Intervals, VenueUrls
from perpscope.collect.recorder import Recorder
from perpscope.config import BinanceSettings, CollectSettings
from perpscope.errors import InputError
from perpscope.fakevenue import FaultPlan, HttpFault
from perpscope.fakevenue.background import BackgroundVenue
from perpscope.fakevenue.binance import FUNDING_PATH, BinanceDialect
from perpscope.fakevenue.market import FundingSettlement, LiquidationEvent
from perpscope.models import Side
from perpscope.store import DuckDBStore

VENUES = ("binance", "okx", "bybit", "hyperliquid")
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
EIGHT_HOURS = 28_800_000


def test_venue_urls_accept_one_base_or_each_part() -> None:
    urls = parse_venue_urls(["binance=http://127.0.0.1:9000", "okx.rest=http://r:1", "okx.ws=ws://w:2"])
    assert urls.of("binance") == VenueUrls("http://127.0.0.1:9000", "ws://127.0.0.1:9000")
    assert urls.of("okx") == VenueUrls("http://r:1", "ws://w:2")
    assert urls.of("bybit") == VenueUrls()


def test_binance_settings_reach_its_connector() -> None:
    binance = BinanceSettings(api_key="key", api_secret="secret", liquidation_stream="all")
    made = _connectors(
        ["binance", "okx"], ["BTC"], Intervals(), parse_venue_urls([]), collect=CollectSettings(binance=binance)
    )
    connector = made[0]
    assert connector.all_liquidations is True
    assert (connector.credentials.key, connector.credentials.secret) == ("key", "secret")
    plain = _connectors(["binance"], ["BTC"], Intervals(), parse_venue_urls([]), collect=CollectSettings())[0]
    assert plain.all_liquidations is False and plain.credentials is None


@pytest.mark.parametrize(
    ("binance", "message"),
    [
        (BinanceSettings(liquidation_stream="every"), "collect.binance.liquidation_stream: 'every' is not one of"),
        (BinanceSettings(api_key="key"), "collect.binance.api_key and api_secret: give both or neither"),
    ],
)
def test_bad_binance_settings_are_named(binance: BinanceSettings, message: str) -> None:
    with pytest.raises(InputError, match=message):
        _connectors(["binance"], ["BTC"], Intervals(), parse_venue_urls([]), collect=CollectSettings(binance=binance))


def test_without_network_each_venue_is_one_clear_error(tmp_path: Path) -> None:
    ports = {venue: closed_port() for venue in VENUES}
    arguments = ["--db", str(tmp_path / "db.duckdb"), "collect", "--venues", ",".join(VENUES), "--symbols", "BTC,ETH"]
    for venue, port in ports.items():
        arguments += ["--venue-url", f"{venue}=http://127.0.0.1:{port}"]
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", COMPOSE_CLI, *arguments, "--status-every", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    errors = sorted(line for line in done.stderr.splitlines() if line.startswith("error:"))
    assert len(errors) == 4, done.stderr
    for line, venue in zip(errors, sorted(VENUES), strict=True):
        # The websocket or a first REST request, whichever fails first, names the address it could not reach.
        assert line.startswith(f"error: {venue}: cannot connect to "), line
        assert f"://127.0.0.1:{ports[venue]}" in line
    assert time.monotonic() - started < 20


def test_an_unknown_venue_is_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli_with_collect(), ["--db", str(tmp_path / "db.duckdb"), "collect", "--venues", "kraken"]
    )
    assert result.exit_code != 0
    assert "no collector for venue 'kraken'" in str(result.exception)


def test_backfill_pages_history_through_429_and_5xx(tmp_path: Path) -> None:
    faults = FaultPlan(http=(HttpFault(FUNDING_PATH, (2,), 429, retry_after_s=1), HttpFault(FUNDING_PATH, (3,), 503)))
    settlements = [FundingSettlement("BTC", T0 + n * EIGHT_HOURS, round(0.0001 + n * 1e-6, 8)) for n in range(250)]
    db = tmp_path / "db.duckdb"
    with BackgroundVenue(BinanceDialect(page_cap=100), faults) as background:
        venue = background.venue
        background.publish_all(settlements)
        result = CliRunner().invoke(
            cli_with_collect(),
            [
                *("--db", str(db), "backfill", "--venue", "binance", "--symbol", "BTC"),
                *("--channel", "funding_settled", "--since", "2026-01-01", "--until", "2026-12-31"),
                *("--venue-url", f"binance={venue.rest_url}"),
            ],
        )
        requests = venue.ledger.requests[FUNDING_PATH]
    assert result.exit_code == 0, result.output
    assert "binance funding_settled BTC: 250 records fetched (source: binance REST), 250 new to the store" in (
        result.output
    )
    assert requests == 4 + 2  # pages of 100, 100, 50 and an empty one; one 429 and one 503 retried
    store = DuckDBStore(db, read_only=True)
    rows = store.query("SELECT ts_event, rate, interval_h, kind FROM funding ORDER BY ts_event").rows()
    assert len(rows) == 250
    assert rows[0] == (T0, 0.0001, 8.0, "settled")
    assert rows[249] == (T0 + 249 * EIGHT_HOURS, 0.000349, 8.0, "settled")


def test_backfill_refuses_a_channel_without_history(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli_with_collect(),
        [
            *("--db", str(tmp_path / "db.duckdb"), "backfill", "--venue", "binance", "--symbol", "BTC"),
            *("--channel", "liquidations", "--since", "7d"),
        ],
    )
    assert result.exit_code != 0
    assert str(result.exception) == "binance keeps no REST history for liquidations: it can only be collected live"


def test_replay_command_reports_its_counts(tmp_path: Path) -> None:
    dialect = BinanceDialect()
    recorder = Recorder(tmp_path / "rec")
    for number in range(3):
        event = LiquidationEvent("BTC", T0 + number, Side.SHORT, 90_000.0 + number, 0.1)
        (rendered,) = dialect.render(event)
        recorder.add("binance", "binance ws0", T0 + 50, dialect.wrap(rendered.stream, rendered.payload, True))
    recorder.close()
    arguments = ["--db", str(tmp_path / "db.duckdb"), "replay", str(tmp_path / "rec")]
    first = CliRunner().invoke(cli_with_collect(), arguments)
    second = CliRunner().invoke(cli_with_collect(), arguments)
    assert first.exit_code == 0, first.output
    assert "1 files, 3 frames (0 malformed, skipped): 3 records parsed, 3 new to the store" in first.output
    assert "3 records parsed, 0 new to the store" in second.output


def test_ctrl_c_before_a_command_handles_it_is_one_line_and_status_130() -> None:
    """SIGINT while a command is still setting up (collect installs its own handler only once running)."""
    interrupted = (
        "import os, signal, time\n"
        "from perpscope.cli import cli, main\n"
        "@cli.command('nap')\n"
        "def nap() -> None:\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(10)\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", interrupted, "nap"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr.strip()) == (130, "", "error: interrupted")
