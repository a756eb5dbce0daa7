"""Binance margin brackets with an API key: the HMAC-SHA256 signature (Binance's documented example), the signing
transport, the settings that hold the key (never shown), and, against the fake venue on loopback (which checks the
signature), the asked symbols' instruments stored with the brackets it served."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from pathlib import Path

import httpx
import pytest

from perpscope.collect.collector import Collector, CollectorSettings
from perpscope.collect.connector import ConnectorSettings, Intervals, VenueUrls
from perpscope.collect.http import HttpSettings
from perpscope.collect.writer import WriterSettings
from perpscope.config import load_settings
from perpscope.errors import ConfigError
from perpscope.fakevenue import binance_data
from perpscope.fakevenue.binance import BinanceDialect
from perpscope.fakevenue.market import MarginTiersEvent
from perpscope.fakevenue.server import FakeVenue
from perpscope.models import MarginBracket, brackets_from_json
from perpscope.store import DuckDBStore
from perpscope.venues.binance.connector import BinanceConnector
from perpscope.venues.binance.signing import ApiKey, SigningTransport, signature

# Binance's documented example (USDⓈ-M general info, "SIGNED Endpoint Examples").
DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
DOC_QUERY = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
)
SECRET = "test-secret-0123456789"


def test_the_signature_of_binances_documented_example() -> None:
    assert signature(DOC_SECRET, DOC_QUERY) == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def test_the_transport_signs_the_brackets_request_only() -> None:
    transport = SigningTransport(ApiKey("the-key", SECRET), clock=lambda: 1_499_827_319_559)
    signed = transport.sign(httpx.Request("GET", "https://fapi.binance.com/fapi/v1/leverageBracket?symbol=BTCUSDT"))
    query = "symbol=BTCUSDT&recvWindow=5000&timestamp=1499827319559"
    expected = hmac.new(SECRET.encode(), query.encode(), hashlib.sha256).hexdigest()
    assert signed.url.query.decode() == f"{query}&signature={expected}"
    assert signed.headers["X-MBX-APIKEY"] == "the-key"
    public = httpx.Request("GET", "https://fapi.binance.com/fapi/v1/fundingRate?symbol=BTCUSDT")
    assert transport.sign(public) is public


def test_the_secret_is_never_shown() -> None:
    assert SECRET not in repr(ApiKey("the-key", SECRET))
    with pytest.raises(ValueError, match="both"):
        ApiKey("the-key", "")


def test_the_key_is_a_setting_and_its_secret_is_hidden(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[collect.binance]\napi_key = "the-key"\napi_secret = "{SECRET}"\n', encoding="utf-8")
    settings = load_settings(path, environ={})
    assert (settings.collect.binance.api_key, settings.collect.binance.api_secret) == ("the-key", SECRET)
    assert SECRET not in repr(settings)
    environ = {"PERPSCOPE_COLLECT__BINANCE__API_SECRET": "from-env"}
    assert load_settings(path, environ=environ).collect.binance.api_secret == "from-env"
    path.write_text("[collect.binance]\napi_secret = 918273645\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(path, environ={})
    assert str(refused.value) == f"{path}: 'collect.binance.api_secret' must be str, got a value (hidden)"


def _bracket(floor: float, cap: float, leverage: float, mmr: float, amount: float) -> MarginBracket:
    return MarginBracket(floor=floor, cap=cap, max_leverage=leverage, mmr=mmr, maintenance_amount=amount)


# Hand-written tiers, unlike the fake's default (USD notional; cum = previous cum + floor x the MMR step).
BTC_BRACKETS = (
    _bracket(0.0, 300_000.0, 150.0, 0.004, 0.0),
    _bracket(300_000.0, 800_000.0, 100.0, 0.005, 300.0),
    _bracket(800_000.0, 3_000_000.0, 75.0, 0.0065, 1_500.0),
)


async def _collect(store: DuckDBStore, secret: str) -> Collector:
    async with FakeVenue(BinanceDialect(api_secret=SECRET)) as venue:
        await venue.publish(MarginTiersEvent("BTC", 1, BTC_BRACKETS))
        urls = VenueUrls(venue.rest_url, venue.websocket_url)
        settings = ConnectorSettings(("BTC", "ETH"), Intervals(open_interest_s=0.0, history_s=0.0), urls)
        http = HttpSettings(timeout_s=2.0, max_attempts=2, budget_share=20.0)
        connector = BinanceConnector(settings, http, credentials=ApiKey("the-key", secret))
        collector = Collector([connector], store, CollectorSettings(writer=WriterSettings(flush_interval_s=0.2)))
        running = asyncio.create_task(collector.run())
        deadline = time.monotonic() + 10
        while not (venue.connections or collector.errors) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)  # the streams open once the reference data is in
        await asyncio.sleep(0.3)
        collector.stop()
        await running
        return collector


def _brackets(store: DuckDBStore, symbol: str) -> tuple[MarginBracket, ...]:
    frame = store.query("SELECT margin_brackets FROM instruments WHERE venue = 'binance' AND symbol = ?", [symbol])
    return brackets_from_json(frame["margin_brackets"][0])


def test_the_asked_symbols_are_stored_with_the_brackets_served(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "binance.duckdb")
    collector = asyncio.run(_collect(store, SECRET))
    assert collector.errors == {}
    assert _brackets(store, "BTC-USDT-PERP") == BTC_BRACKETS
    assert _brackets(store, "ETH-USDT-PERP") == binance_data.DEFAULT_BRACKETS  # none published: the default
    sql = "SELECT symbol, native_symbol, contract_size, tick_size, funding_interval_h, source FROM instruments"
    source = "binance rest /fapi/v1/exchangeInfo, /fapi/v1/leverageBracket"
    assert sorted(store.query(sql).rows()) == [
        ("BTC-USDT-PERP", "BTCUSDT", 1.0, 0.1, 8.0, source),
        ("ETH-USDT-PERP", "ETHUSDT", 1.0, 0.1, 8.0, source),
    ]


def test_a_wrong_secret_stops_the_venue_with_binances_message(tmp_path: Path) -> None:
    wrong = "not-the-secret-9876"
    collector = asyncio.run(_collect(DuckDBStore(tmp_path / "binance.duckdb"), wrong))
    message = collector.errors["binance"]
    assert "HTTP 400" in message and "-1022" in message and "Signature for this request is not valid." in message
    assert wrong not in message and SECRET not in message


def test_a_clock_thirty_seconds_ahead_is_corrected_from_the_server_time() -> None:
    async def ask() -> tuple[int, int, int]:
        async with FakeVenue(BinanceDialect(api_secret=SECRET)) as venue:
            await venue.publish(MarginTiersEvent("BTC", 1, BTC_BRACKETS))
            ahead = SigningTransport(ApiKey("the-key", SECRET), clock=lambda: time.time_ns() // 1_000_000 + 30_000)
            async with httpx.AsyncClient(transport=ahead, base_url=venue.rest_url) as client:
                first = await client.get("/fapi/v1/leverageBracket", params={"symbol": "BTCUSDT"})
                second = await client.get("/fapi/v1/leverageBracket", params={"symbol": "BTCUSDT"})
            return first.status_code, second.status_code, ahead.offset_ms

    first, second, offset = asyncio.run(ask())
    assert (first, second) == (200, 200)  # refused with -1021 once, behind the scenes, then signed on Binance's time
    assert -31_000 < offset < -29_000


def test_a_proxy_prefix_is_still_signed() -> None:
    transport = SigningTransport(ApiKey("the-key", SECRET), clock=lambda: 1_499_827_319_559)
    signed = transport.sign(
        httpx.Request("GET", "https://proxy.example/binance/fapi/v1/leverageBracket?symbol=BTCUSDT")
    )
    assert "signature=" in signed.url.query.decode() and signed.headers["X-MBX-APIKEY"] == "the-key"
