"""The facade's analysis methods resolve their time arguments and return the analysis results, in either frame type."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl

import perpscope
from perpscope import models
from perpscope.times import MS_PER_HOUR, iso_to_ms

START = iso_to_ms("2025-10-01T00:00:00Z")
RATES = [0.0001, 0.0001, 0.0006, 0.0008, -0.0002]  # neutral, neutral, elevated, overheated, negative


def settled(index: int, rate: float) -> models.FundingRate:
    moment = START + index * 8 * MS_PER_HOUR
    return models.FundingRate(
        venue="binance", symbol="BTC-USDT-PERP", native_symbol="BTCUSDT", ts_event=moment, ts_recv=moment,
        rate=rate, interval_h=8, funding_time=moment,
    )  # fmt: skip


def database(tmp_path: Path) -> Path:
    path = tmp_path / "db.duckdb"
    with perpscope.open(path) as ps:
        ps.store.write_records([settled(index, rate) for index, rate in enumerate(RATES)])
    return path


def test_regimes_and_flips_through_the_facade(tmp_path: Path) -> None:
    with perpscope.open(database(tmp_path), read_only=True) as ps:
        regimes = ps.funding_regimes("BTC", since="2025-10-01", until="2025-10-03")
        assert isinstance(regimes, pl.DataFrame)
        assert regimes.sort("funding_time")["regime"].to_list() == [
            "neutral", "neutral", "elevated", "overheated", "negative"
        ]  # fmt: skip
        flips = ps.funding_flips("BTC", since="2025-10-01", until="2025-10-03")
        venue_flips = flips["venue"]
        assert venue_flips.height == 1
        assert venue_flips["funding_time"][0] == START + 4 * 8 * MS_PER_HOUR
        events = ps.regime_events("BTC", since="2025-10-01", until="2025-10-03")
        assert events.sort("funding_time")["funding_time"].to_list() == [
            START + 3 * 8 * MS_PER_HOUR,
            START + 4 * 8 * MS_PER_HOUR,
        ]


def test_pandas_on_request_and_no_signals_on_a_calm_series(tmp_path: Path) -> None:
    with perpscope.open(database(tmp_path), read_only=True, dataframes="pandas") as ps:
        regimes = ps.funding_regimes("BTC", since=START, until=START + 3 * 24 * MS_PER_HOUR)
        assert isinstance(regimes, pd.DataFrame)
        assert len(regimes) == len(RATES)
        assert ps.signals("BTC", since=START, until=START + 3 * 24 * MS_PER_HOUR) == []
