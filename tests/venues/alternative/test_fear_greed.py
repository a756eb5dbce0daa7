"""The Fear & Greed parser, request, fetch (over a loopback server) and the ``sentiment`` table, by hand."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from perpscope.collect.http import HttpSettings
from perpscope.errors import ParseError, VenueResponseError
from perpscope.models import SentimentIndex
from perpscope.store import Store, WriteCount, schema
from perpscope.venues.alternative import endpoints
from perpscope.venues.alternative.capabilities import CAPABILITIES
from perpscope.venues.alternative.fetch import fetch_fear_greed
from perpscope.venues.alternative.parse import parse_fear_greed

from .conftest import SAVED_ANSWER, Loopback

RECEIVED = 1_760_150_000_000  # 2025-10-11 02:33:20 UTC
DAY_MS = 86_400_000


def test_fear_greed_answer_parses_oldest_first() -> None:
    values = parse_fear_greed(SAVED_ANSWER, ts_recv=RECEIVED)
    assert [(v.ts_event, v.value, v.classification) for v in values] == [
        (1_759_968_000_000, 70.0, "Greed"),  # 2025-10-09 00:00 UTC
        (1_760_054_400_000, 64.0, "Greed"),
        (1_760_140_800_000, 24.0, "Extreme Fear"),  # 2025-10-11: the day after the crash
    ]
    assert values[-1] == SentimentIndex(
        venue="alternative.me",
        symbol="BTC",
        native_symbol="fng",
        ts_event=1_760_140_800_000,
        ts_recv=RECEIVED,
        source="alternative.me /fng/",
        series="fear_greed",
        value=24.0,
        classification="Extreme Fear",
    )
    every = {(v.venue, v.symbol, v.native_symbol, v.source, v.series, v.ts_recv) for v in values}
    assert every == {("alternative.me", "BTC", "fng", "alternative.me /fng/", "fear_greed", RECEIVED)}


def test_fear_greed_bad_input_names_the_field() -> None:
    bad = SAVED_ANSWER.replace(b'"value": "64"', b'"value": "164"')
    with pytest.raises(ParseError, match=r"alternative\.me /fng/: field '\$\.data\[1\]\.value'.*0-100"):
        parse_fear_greed(bad, ts_recv=0)
    dated = SAVED_ANSWER.replace(b'"timestamp": "1760054400"', b'"timestamp": "10-10-2025"')
    with pytest.raises(ParseError, match=r"data\[1\]\.timestamp"):
        parse_fear_greed(dated, ts_recv=0)
    with pytest.raises(VenueResponseError, match="rate limited"):
        parse_fear_greed(b'{"data": [], "metadata": {"error": "rate limited"}}', ts_recv=0)


def test_fear_greed_request_and_capabilities() -> None:
    assert endpoints.fear_greed_request(30) == {"limit": 30, "format": "json"}
    assert endpoints.fear_greed_request(0) == {"limit": 0, "format": "json"}
    with pytest.raises(ValueError, match="limit"):
        endpoints.fear_greed_request(-1)
    assert endpoints.FEAR_GREED.path == "/fng/"
    assert (CAPABILITIES.period, CAPABILITIES.scale, CAPABILITIES.history_since) == ("1d", (0.0, 100.0), "2018-02-01")


def test_fetch_over_a_loopback_server(fng_server: Loopback) -> None:
    values = asyncio.run(fetch_fear_greed(3, base_url=fng_server.url))
    assert fng_server.requests == ["/fng/?limit=3&format=json"]
    assert [(v.ts_event, v.value, v.classification) for v in values] == [
        (1_759_968_000_000, 70.0, "Greed"),
        (1_760_054_400_000, 64.0, "Greed"),
        (1_760_140_800_000, 24.0, "Extreme Fear"),
    ]


def test_fetch_reports_an_api_error_and_an_http_failure(fng_server: Loopback) -> None:
    fng_server.body = b'{"name": "Fear and Greed Index", "data": [], "metadata": {"error": "limit too large"}}'
    with pytest.raises(VenueResponseError, match="limit too large"):
        asyncio.run(fetch_fear_greed(3, base_url=fng_server.url))
    fng_server.status, fng_server.body = 404, b"not found"
    with pytest.raises(VenueResponseError, match=r"/fng/: HTTP 404"):
        asyncio.run(fetch_fear_greed(3, base_url=fng_server.url, http=HttpSettings(max_attempts=1)))


def test_sentiment_table_keys_and_policy() -> None:
    spec = schema.table("sentiment")
    assert spec.record is SentimentIndex
    assert spec.key == ("venue", "symbol", "series", "ts_event")
    assert spec.on_conflict == "replace"
    assert spec.column_names[6:] == ["series", "value", "classification"]


def test_stored_on_every_backend_once_and_revised_in_place(any_store: Store) -> None:
    values = parse_fear_greed(SAVED_ANSWER, ts_recv=RECEIVED)
    assert any_store.write_records(values) == {"sentiment": WriteCount(3, 3)}
    assert any_store.write_records(values) == {"sentiment": WriteCount(3, 0)}  # a second fetch adds nothing
    columns = ", ".join(schema.table("sentiment").column_names)
    rows = any_store.query(f"SELECT {columns} FROM sentiment ORDER BY ts_event").to_dicts()
    assert [msgspec.convert(row, SentimentIndex) for row in rows] == values
    # The publisher revises a day: the copy received last is kept, and the row is not counted as new.
    revised = msgspec.structs.replace(values[-1], value=26.0, classification="Fear", ts_recv=RECEIVED + DAY_MS)
    assert any_store.write_records([revised]) == {"sentiment": WriteCount(1, 0)}
    stored = any_store.query("SELECT ts_event, value, classification, ts_recv FROM sentiment ORDER BY ts_event")
    assert stored.rows() == [
        (1_759_968_000_000, 70.0, "Greed", RECEIVED),
        (1_760_054_400_000, 64.0, "Greed", RECEIVED),
        (1_760_140_800_000, 26.0, "Fear", RECEIVED + DAY_MS),
    ]
