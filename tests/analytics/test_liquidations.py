"""Liquidation arithmetic (perpscope.analytics.liquidations) on hand-built frames."""

from __future__ import annotations

import polars as pl
import pytest

from perpscope.analytics import liquidations
from perpscope.errors import QueryError
from perpscope.times import MS_PER_DAY, MS_PER_HOUR

H = MS_PER_HOUR
T = 1_759_996_800_000


def events(*rows: tuple[str, str, float, int, bool, str]) -> pl.DataFrame:
    """(venue, side, notional_usd, ts_event, complete, source) rows."""
    schema = ["venue", "side", "notional_usd", "ts_event", "complete", "source"]
    return pl.DataFrame(rows, schema=schema, orient="row").with_columns(symbol=pl.lit("BTC-USDT-PERP"))


def test_totals_by_venue_and_side_with_lower_bound() -> None:
    totals = liquidations.totals_by_venue(
        events(
            ("binance", "long", 100_000.0, T - H, False, "binance ws"),
            ("binance", "long", 50_000.0, T, False, "binance ws"),
            ("binance", "short", 20_000.0, T - 2 * H, False, "import liq.csv"),
            ("bybit", "short", 300_000.0, T - 3 * H, True, "bybit ws"),
            ("bybit", "long", 10_000.0, T - 5 * H, True, "bybit ws"),
            ("okx", "long", 1_000.0, T - 5 * H, True, "okx ws"),
            ("okx", "long", 2_000.0, T - 4 * H, False, "okx ws"),  # one throttled event is enough
        )
    )
    rows = {row["venue"]: row for row in totals.iter_rows(named=True)}
    binance = rows["binance"]
    assert (binance["long_usd"], binance["short_usd"], binance["total_usd"]) == (150_000.0, 20_000.0, 170_000.0)
    assert (binance["long_count"], binance["short_count"]) == (2, 1)
    assert (binance["first_time"], binance["last_time"]) == (T - 2 * H, T)
    assert binance["sources"] == ["binance ws", "import liq.csv"]
    assert binance["lower_bound"] is True
    assert (rows["bybit"]["long_usd"], rows["bybit"]["short_usd"], rows["bybit"]["lower_bound"]) == (
        10_000.0,
        300_000.0,
        False,
    )
    assert (rows["okx"]["total_usd"], rows["okx"]["short_usd"], rows["okx"]["lower_bound"]) == (3_000.0, 0.0, True)
    assert liquidations.grand_total(totals) == {
        "long_usd": 163_000.0,
        "short_usd": 320_000.0,
        "total_usd": 483_000.0,
        "long_count": 5,
        "short_count": 2,
        "lower_bound": True,
    }


def test_totals_of_no_events() -> None:
    empty = events().cast({"notional_usd": pl.Float64, "ts_event": pl.Int64, "complete": pl.Boolean})
    totals = liquidations.totals_by_venue(empty)
    assert totals.is_empty()
    assert totals.schema["long_usd"] == pl.Float64
    assert totals.schema["lower_bound"] == pl.Boolean


def daily(*starts: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "venue": ["hyperliquid"] * len(starts),
            "ts_event": list(starts),
            "period": ["1d"] * len(starts),
            "long_usd": [1e6] * len(starts),
            "short_usd": [2e6] * len(starts),
        }
    )


def test_aggregates_overlapping_a_window() -> None:
    midnight = T - 8 * H  # 2025-10-09 00:00 UTC
    rows = daily(midnight - 2 * MS_PER_DAY, midnight - MS_PER_DAY, midnight, midnight + MS_PER_DAY)
    # window [08:00 the day before, 08:00): 16 h of 10-08, 8 h of 10-09; 10-07 ended before, 10-10 starts after
    inside = liquidations.overlapping_aggregates(rows, T - 24 * H, T)
    assert inside["ts_event"].to_list() == [midnight - MS_PER_DAY, midnight]
    assert inside["period_end"].to_list() == [midnight, midnight + MS_PER_DAY]
    assert inside["overlap_fraction"].to_list() == pytest.approx([16 / 24, 8 / 24])
    empty = liquidations.overlapping_aggregates(rows.clear(), T - 24 * H, T)
    assert empty.is_empty()
    assert empty.schema["overlap_fraction"] == pl.Float64


def test_aggregate_with_a_period_that_is_not_a_duration() -> None:
    rows = daily(T).with_columns(period=pl.lit("daily"))
    with pytest.raises(QueryError, match="period 'daily' is not a duration"):
        liquidations.overlapping_aggregates(rows, T - 24 * H, T)
