"""What ``collect`` will do: flags over the ``[collect]`` settings over a profile; the ``sim`` profile's venues,
intervals, URLs and labels; and ``collect --venues sim`` against a served simulator, through the CLI."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from collect_helpers import closed_port

from perpscope.cli.collecting import CollectPlan, plan_collection
from perpscope.collect.connector import Intervals, VenueUrls
from perpscope.collect.profiles import SIM_INTERVALS, sim_urls
from perpscope.config import CollectSettings, VenueUrlSettings
from perpscope.store import DuckDBStore


def test_settings_are_the_defaults_when_no_flag_is_given() -> None:
    settings = CollectSettings(
        venues="okx,bybit",
        symbols="ETH",
        oi_poll_s=5.0,
        funding_poll_s=30.0,
        stale_after_s=12.0,
        flush_interval_s=2.0,
        restart_lookback="6h",
        record_dir="/tmp/frames",
        budget_share=0.25,
        okx=VenueUrlSettings(rest="http://127.0.0.1:9000", websocket="ws://127.0.0.1:9001"),
    )
    plan = plan_collection(settings)
    assert plan == CollectPlan(
        venues=("okx", "bybit"),
        symbols=("ETH",),
        intervals=Intervals(open_interest_s=5.0, funding_s=30.0),
        urls=plan.urls,
        stale_after_s=12.0,
        flush_interval_s=2.0,
        restart_lookback="6h",
        record_dir=Path("/tmp/frames"),
        budget_share=0.25,
    )
    assert plan.urls.of("okx") == VenueUrls("http://127.0.0.1:9000", "ws://127.0.0.1:9001")
    assert plan.urls.of("bybit") == VenueUrls()  # the venue's own


def test_flags_win_over_settings() -> None:
    settings = CollectSettings(okx=VenueUrlSettings(rest="http://127.0.0.1:9000", websocket="ws://127.0.0.1:9001"))
    plan = plan_collection(
        settings,
        venues="okx",
        symbols="SOL,BTC",
        venue_urls=("okx.rest=http://10.0.0.1:80",),
        oi_interval=2.0,
        funding_interval=4.0,
        stale_after=9.0,
        restart_lookback="1h",
        record_dir=Path("frames"),
    )
    assert (plan.venues, plan.symbols) == (("okx",), ("SOL", "BTC"))
    assert (plan.intervals.open_interest_s, plan.intervals.funding_s) == (2.0, 4.0)
    assert (plan.stale_after_s, plan.restart_lookback, plan.record_dir) == (9.0, "1h", Path("frames"))
    # The flag replaces the REST URL only; the websocket URL from the settings stays.
    assert plan.urls.of("okx") == VenueUrls("http://10.0.0.1:80", "ws://127.0.0.1:9001")


def test_the_sim_profile() -> None:
    plan = plan_collection(CollectSettings(oi_poll_s=99.0), venues="sim")
    assert (plan.profile, plan.venues, plan.symbols) == ("sim", ("binance", "bybit", "okx"), ("BTC",))
    assert plan.intervals == SIM_INTERVALS  # the settings' intervals are for real venues
    assert plan.intervals.open_interest_s == 0.0 and plan.intervals.open_interest_history_s == 1.0
    assert plan.intervals.history_lookback_s == 30 * 86_400
    assert plan.source_prefix == "sim "
    assert [plan.urls.of(venue) for venue in plan.venues] == [
        VenueUrls("http://127.0.0.1:17801", "ws://127.0.0.1:17801"),
        VenueUrls("http://127.0.0.1:17802", "ws://127.0.0.1:17802"),
        VenueUrls("http://127.0.0.1:17803", "ws://127.0.0.1:17803"),
    ]
    moved = plan_collection(CollectSettings(), venues="SIM", venue_urls=("bybit=http://127.0.0.1:5000",))
    assert moved.urls.of("bybit") == VenueUrls("http://127.0.0.1:5000", "ws://127.0.0.1:5000")
    assert moved.urls.of("okx") == sim_urls()["okx"]


def test_the_binance_connector_follows_history_only_where_asked() -> None:
    from perpscope.collect.connector import ConnectorSettings
    from perpscope.venues.binance.connector import BinanceConnector
    from perpscope.venues.capabilities import Channel

    real = BinanceConnector(ConnectorSettings(("BTC",)))
    assert [(p.carried.channel, p.interval_s, p.lookback_ms) for p in real.history_polls()] == [
        (Channel.LONG_SHORT, 60.0, 3_600_000),
        (Channel.TAKER, 60.0, 3_600_000),
        (Channel.MARK_CANDLES, 60.0, 3_600_000),
    ]
    assert [plan.key for plan in real.polls()] == ["binance open_interest BTCUSDT", "binance funding BTCUSDT"]
    assert real.streams()[0].spec.url.endswith(
        "/stream?streams=btcusdt@forceOrder/btcusdt@markPrice@1s/btcusdt@kline_1m"
    )
    simulated = BinanceConnector(ConnectorSettings(("BTC",), SIM_INTERVALS))
    assert [plan.key for plan in simulated.polls()] == ["binance funding BTCUSDT"]
    assert [p.carried.channel for p in simulated.history_polls()] == [
        Channel.LONG_SHORT,
        Channel.TAKER,
        Channel.MARK_CANDLES,
        Channel.OPEN_INTEREST,
    ]


def test_collect_venues_sim_against_sim_serve(tmp_path: Path) -> None:
    """Both commands as a user runs them, on a free block of ports."""
    port = _free_block()
    serve = [sys.executable, "-m", "perpscope.cli", "sim", "serve", "--days", "0.25", "--speed", "3600"]
    server = subprocess.Popen([*serve, "--port", str(port)], stdout=subprocess.PIPE, text=True)
    database = tmp_path / "sim.duckdb"
    try:
        assert server.stdout is not None
        assert server.stdout.readline().startswith("SIMULATED DATA")
        urls = [f"{venue}=http://127.0.0.1:{port + number}" for number, venue in enumerate(("binance", "bybit", "okx"))]
        collect = [
            sys.executable,
            "-X",
            "faulthandler",
            "-m",
            "perpscope.cli",
            "--db",
            str(database),
            "collect",
            "--venues",
            "sim",
        ]
        collect += [argument for url in urls for argument in ("--venue-url", url)]
        collector = subprocess.Popen([*collect, "--status-every", "0"], stderr=subprocess.PIPE, text=True)
        time.sleep(8)
        collector.send_signal(signal.SIGINT)
        try:
            _, stderr = collector.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            collector.send_signal(signal.SIGABRT)
            _, stderr = collector.communicate()
            pytest.fail(f"collect did not stop within 30 s of SIGINT; its stderr:\n{stderr}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            pytest.fail("sim serve did not stop within 15 s of SIGTERM")
    assert collector.returncode == 0, stderr
    assert stderr.startswith("SIMULATED DATA: collecting the market of 'perpscope sim serve'")
    with DuckDBStore(database, read_only=True) as store:
        counts = store.query("SELECT venue, count(*) AS n FROM prices GROUP BY 1 ORDER BY 1").rows()
        sources = store.query("SELECT DISTINCT source FROM candles")["source"].to_list()
    assert [venue for venue, _ in counts] == ["binance", "bybit", "okx"]
    assert all(count > 100 for _, count in counts)  # a mark and an index a simulated minute, 8 s at 3600x
    # Binance streams its candles; Bybit (and OKX) follow theirs as REST history: every source is marked simulated.
    assert {"sim binance ws kline", "sim bybit rest /v5/market/kline"} <= set(sources)
    assert all(source.startswith("sim ") for source in sources)


def _free_block() -> int:
    """Three consecutive free ports (rechecked: another process may take one in between, rarely)."""
    for _ in range(20):
        port = closed_port()
        if port < 65_000 and all(_is_free(port + offset) for offset in (1, 2)):
            return port
    raise RuntimeError("no block of three free ports")


def _is_free(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
