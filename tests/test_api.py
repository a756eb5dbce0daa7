"""The views' service layer (Perpscope.funding / open_interest / liquidations ...), run on every backend through
``any_store``, against records written with ``store.write_records``. Expected numbers are worked by hand in the
comments next to them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas
import polars as pl
import pytest

import perpscope
from perpscope.api import Perpscope
from perpscope.config import Settings
from perpscope.errors import InputError, QueryError
from perpscope.models import (
    FundingKind,
    FundingRate,
    Liquidation,
    LiquidationTotal,
    OIUnit,
    OpenInterest,
    Price,
    PriceKind,
    Record,
    Side,
)
from perpscope.store import DuckDBStore, Store

H = 3_600_000
T = 1_759_996_800_000  # 2025-10-09 08:00:00 UTC, a settlement on every venue below
USDT, USD = "BTC-USDT-PERP", "BTC-USD-PERP"


def settled(venue: str, symbol: str, rate: float, interval_h: float, time: int) -> FundingRate:
    return FundingRate(
        venue=venue,
        symbol=symbol,
        native_symbol=symbol,
        ts_event=time,
        ts_recv=time,
        source=f"{venue} test",
        rate=rate,
        interval_h=interval_h,
        funding_time=time,
    )


def predicted(venue: str, rate: float, observed: int, funding_time: int) -> FundingRate:
    return FundingRate(
        venue=venue,
        symbol=USDT,
        native_symbol="BTCUSDT",
        ts_event=observed,
        ts_recv=observed,
        source=f"{venue} ws",
        rate=rate,
        interval_h=8,
        kind=FundingKind.PREDICTED,
        funding_time=funding_time,
    )


def oi(venue: str, symbol: str, time: int, reported: OIUnit, **values: float) -> OpenInterest:
    return OpenInterest(
        venue=venue,
        symbol=symbol,
        native_symbol=symbol,
        ts_event=time,
        ts_recv=time,
        source=f"{venue} oi",
        reported=reported,
        **values,
    )


def mark(venue: str, symbol: str, price: float, time: int) -> Price:
    return Price(
        venue=venue, symbol=symbol, native_symbol=symbol, ts_event=time, ts_recv=time, kind=PriceKind.MARK, price=price
    )


def liquidation(venue: str, side: Side, notional: float, time: int, complete: bool, symbol: str = USDT) -> Liquidation:
    return Liquidation(
        venue=venue,
        symbol=symbol,
        native_symbol=symbol,
        ts_event=time,
        ts_recv=time,
        source=f"{venue} liq",
        side=side,
        price=100_000.0,
        quantity=notional / 100_000.0,
        notional_usd=notional,
        complete=complete,
    )


def daily_total(start: int, long_usd: float, short_usd: float) -> LiquidationTotal:
    return LiquidationTotal(
        venue="hyperliquid",
        symbol=USD,
        native_symbol="BTC",
        ts_event=start,
        ts_recv=start,
        source="import daily.csv.gz",
        period="1d",
        long_usd=long_usd,
        short_usd=short_usd,
        count=7,
    )


def market() -> list[Record]:
    """Four BTC venues settling at T (8 h, 4 h, 1 h, 8 h), one ETH perp, OI and liquidations around T."""
    return [
        settled("binance", USDT, 0.0004, 8, T - 8 * H),
        settled("binance", USDT, 0.0001, 8, T),
        predicted("binance", 0.00009, T - H, T),  # an estimate for T, which has since settled
        predicted("binance", 0.00015, T + H, T + 8 * H),
        settled("bybit", USDT, -0.0003, 4, T - 4 * H),
        settled("bybit", USDT, -0.0001, 4, T),  # 8 h: -0.0002
        settled("hyperliquid", USD, 0.00005, 1, T - H),
        settled("hyperliquid", USD, 0.0000375, 1, T),  # 8 h: 0.0003
        settled("okx", USDT, 0.0002, 8, T),
        settled("binance", "ETH-USDT-PERP", 0.0005, 8, T),
        oi("binance", USDT, T - 24 * H - H // 2, OIUnit.USD, oi_usd=4e9),
        oi("binance", USDT, T - H // 2, OIUnit.USD, oi_usd=5e9),
        oi("bybit", USDT, T - H, OIUnit.BASE, oi_base=30_000.0, conversion_price=100_000.0),  # 3e9
        oi("hyperliquid", USD, T - 24 * H, OIUnit.BASE, oi_base=25_000.0),  # no price then: USD unknown
        oi("hyperliquid", USD, T, OIUnit.BASE, oi_base=20_000.0),  # x mark 100,000 = 2e9
        oi("okx", USDT, T - 5 * H, OIUnit.USD, oi_usd=7e9),  # 5 h old at T: too old to weight
        mark("hyperliquid", USD, 100_000.0, T - 300_000),
        liquidation("binance", Side.LONG, 999.0, T - 24 * H, complete=False),  # on the open edge: out
        liquidation("binance", Side.LONG, 100_000.0, T - H, complete=False),
        liquidation("binance", Side.LONG, 50_000.0, T, complete=False),  # on the closed edge: in
        liquidation("binance", Side.SHORT, 20_000.0, T - 2 * H, complete=False),
        liquidation("binance", Side.LONG, 777.0, T + 1, complete=False),  # after the window
        liquidation("bybit", Side.SHORT, 300_000.0, T - 3 * H, complete=True),
        liquidation("bybit", Side.LONG, 10_000.0, T - 23 * H, complete=True),
        liquidation("binance", Side.LONG, 1e6, T - H, complete=False, symbol="ETH-USDT-PERP"),
        daily_total(T - 56 * H, 1.0, 1.0),  # 2025-10-07: ends before the window
        daily_total(T - 32 * H, 4e6, 1e6),  # 2025-10-08: 16 of its 24 h inside
        daily_total(T - 8 * H, 2e6, 3e6),  # 2025-10-09: 8 h inside
    ]


@pytest.fixture
def api(any_store: Store) -> Perpscope:
    any_store.write_records(market())
    return Perpscope(any_store, Settings())


def by_venue(frame: pl.DataFrame) -> dict[str, dict[str, object]]:
    return {row["venue"]: row for row in frame.iter_rows(named=True)}


# -- funding -------------------------------------------------------------------------------------------------


def test_funding_latest_settled_normalised_per_venue(api: Perpscope) -> None:
    rows = by_venue(api.funding("BTC"))
    assert sorted(rows) == ["binance", "bybit", "hyperliquid", "okx"]
    hyperliquid = rows["hyperliquid"]
    # 0.0000375 per 1 h = 0.0003 per 8 h = 0.0000375 x 8760 = 32.85% a year
    assert hyperliquid["rate"] == 0.0000375
    assert hyperliquid["interval_h"] == 1.0
    assert hyperliquid["rate_8h"] == pytest.approx(0.0003)
    assert hyperliquid["apr"] == pytest.approx(0.3285)
    assert hyperliquid["funding_time"] == T
    assert hyperliquid["source"] == "hyperliquid test"
    assert rows["bybit"]["rate_8h"] == pytest.approx(-0.0002)  # -0.0001 per 4 h
    assert rows["bybit"]["apr"] == pytest.approx(-0.219)


def test_funding_predicted_next_only_for_a_later_settlement(api: Perpscope) -> None:
    rows = by_venue(api.funding("BTC"))
    binance = rows["binance"]
    assert binance["predicted_rate"] == 0.00015
    assert binance["predicted_funding_time"] == T + 8 * H
    assert binance["predicted_observed_at"] == T + H
    assert binance["predicted_apr"] == pytest.approx(0.00015 * 1095)
    assert binance["predicted_source"] == "binance ws"
    assert rows["bybit"]["predicted_rate"] is None
    # Half an hour after T the newest estimate is the one for T itself, already settled: no next rate.
    assert by_venue(api.funding("BTC", at=T + H // 2))["binance"]["predicted_rate"] is None


def test_funding_oi_weighted_aggregate(api: Perpscope) -> None:
    aggregate = api.funding_aggregate("BTC").row(0, named=True)
    # (0.0001 x 5e9 + -0.0002 x 3e9 + 0.0003 x 2e9) / 1e10 = (5e5 - 6e5 + 6e5) / 1e10 = 5e-5
    assert aggregate["oi_weighted_rate_8h"] == pytest.approx(5e-5)
    assert aggregate["oi_weighted_apr"] == pytest.approx(5e-5 * 1095)
    # every current rate once: (0.0001 - 0.0002 + 0.0003 + 0.0002) / 4 = 0.0001
    assert aggregate["simple_mean_rate_8h"] == pytest.approx(0.0001)
    assert aggregate["venues_included"] == ["binance", "bybit", "hyperliquid"]
    assert aggregate["venues_excluded"] == ["okx"]
    assert aggregate["weights_total_usd"] == pytest.approx(1e10)
    assert aggregate["as_of"] == T
    assert aggregate["oi_max_age_h"] == 2.0
    rows = by_venue(api.funding("BTC"))
    assert rows["binance"]["weight"] == pytest.approx(0.5)
    assert rows["bybit"]["oi_usd"] == pytest.approx(3e9)
    assert rows["bybit"]["oi_usd_basis"] == "oi_base × conversion_price"
    assert rows["hyperliquid"]["oi_usd"] == pytest.approx(2e9)
    assert rows["hyperliquid"]["oi_usd_basis"] == "oi_base × mark"
    assert rows["hyperliquid"]["oi_usd_derived"] is True
    assert rows["binance"]["oi_usd_derived"] is False
    assert rows["okx"]["in_aggregate"] is False
    assert rows["okx"]["weight"] is None


def test_funding_at_picks_the_print_settled_by_then(api: Perpscope) -> None:
    at = T - H // 2
    rows = by_venue(api.funding("BTC", at=at))
    assert sorted(rows) == ["binance", "bybit", "hyperliquid"]  # okx's only print is at T
    assert rows["binance"]["rate"] == 0.0004
    assert rows["binance"]["funding_time"] == T - 8 * H
    assert rows["bybit"]["rate_8h"] == pytest.approx(-0.0006)
    assert rows["hyperliquid"]["rate_8h"] == pytest.approx(0.0004)
    aggregate = api.funding_aggregate("BTC", at=at).row(0, named=True)
    # hyperliquid's first OI is at T, after `at`: only binance 5e9 and bybit 3e9 weigh
    # (0.0004 x 5e9 - 0.0006 x 3e9) / 8e9 = 2.5e-5
    assert aggregate["oi_weighted_rate_8h"] == pytest.approx(2.5e-5)
    assert aggregate["venues_included"] == ["binance", "bybit"]
    assert aggregate["as_of"] == at
    # The same moment as an ISO string and as a datetime
    assert api.funding("BTC", at="2025-10-09T07:30:00Z")["rate"].to_list() == [0.0004, -0.0003, 0.00005]
    moment = datetime(2025, 10, 9, 7, 30, tzinfo=UTC)
    assert api.funding("BTC", at=moment)["funding_time"].to_list() == [T - 8 * H, T - 4 * H, T - H]


def test_funding_symbol_filter_base_and_canonical(api: Perpscope) -> None:
    assert api.funding("ETH")["rate"].to_list() == [0.0005]
    assert api.funding("btc-usd-perp")["venue"].to_list() == ["hyperliquid"]
    assert sorted(api.funding(None)["symbol"].to_list()) == ["BTC-USD-PERP"] + ["BTC-USDT-PERP"] * 3 + ["ETH-USDT-PERP"]
    assert api.funding_aggregate(None)["base"].to_list() == ["BTC", "ETH"]


def test_funding_unknown_symbol_names_what_is_there(api: Perpscope, any_store: Store) -> None:
    where = getattr(any_store, "where", None) or any_store.url
    with pytest.raises(QueryError) as caught:
        api.funding("DOGE")
    assert str(caught.value) == f"no funding for DOGE in {where}; symbols present: BTC, ETH"
    with pytest.raises(QueryError, match=r"no funding for BTC at or before 2025-10-01 00:00:00 UTC"):
        api.funding("BTC", at="2025-10-01")


def test_funding_history_normalises_each_row(api: Perpscope) -> None:
    history = api.funding_history("BTC", since=T - 4 * H, until=T, venues=["bybit", "hyperliquid"])
    assert history.select("venue", "rate_8h").rows() == [("bybit", pytest.approx(-0.0006)), ("hyperliquid", 0.0004)]
    kinds = api.funding_history("BTC", venues=["binance"], kinds=["settled", "predicted"])["kind"].to_list()
    assert kinds == ["settled", "predicted", "settled", "predicted"]


# -- open interest ---------------------------------------------------------------------------------------------


def test_open_interest_latest_usd_and_change(api: Perpscope) -> None:
    rows = by_venue(api.open_interest("BTC", window="24h"))
    binance = rows["binance"]
    assert binance["oi_usd"] == 5e9
    assert binance["ts_event"] == T - H // 2
    assert binance["age_ms"] == H // 2
    assert binance["fresh"] is True
    # start = T - 24 h; binance's print 30 min before it counts: 5e9 - 4e9 = 1e9, +25%
    assert binance["oi_usd_start"] == 4e9
    assert binance["change_usd"] == 1e9
    assert binance["change_fraction"] == pytest.approx(0.25)
    hyperliquid = rows["hyperliquid"]
    assert hyperliquid["oi_usd"] == pytest.approx(2e9)
    assert hyperliquid["change_base"] == -5_000.0  # 20,000 - 25,000 BTC
    assert hyperliquid["change_usd"] is None  # no price known at the start
    assert rows["bybit"]["change_usd"] is None  # no print near the start
    assert rows["okx"]["fresh"] is False
    assert rows["okx"]["age_ms"] == 5 * H
    totals = api.open_interest_totals("BTC", window="24h").row(0, named=True)
    assert totals["oi_usd"] == pytest.approx(1e10)  # okx's stale 7e9 left out
    assert totals["venues"] == 3
    assert totals["change_usd"] == 1e9
    assert totals["venues_with_change"] == 1


def test_open_interest_history_as_stored(api: Perpscope) -> None:
    history = api.open_interest_history("BTC", since=T - H, until=T + 1, venues=["bybit", "hyperliquid"])
    assert history.select("venue", "oi_base", "oi_usd").rows() == [
        ("bybit", 30_000.0, None),
        ("hyperliquid", 20_000.0, None),
    ]


# -- liquidations ----------------------------------------------------------------------------------------------


def test_liquidation_totals_by_venue_and_side(api: Perpscope) -> None:
    rows = by_venue(api.liquidations("BTC", window="24h", at=T))
    binance = rows["binance"]
    # (T - 24 h, T]: 100,000 + 50,000 long (the 999 on the open edge and the 777 after T are out)
    assert (binance["long_usd"], binance["short_usd"], binance["total_usd"]) == (150_000.0, 20_000.0, 170_000.0)
    assert (binance["long_count"], binance["short_count"]) == (2, 1)
    assert binance["lower_bound"] is True
    assert binance["sources"] == ["binance liq"]
    assert (binance["window_start"], binance["window_end"]) == (T - 24 * H, T)
    bybit = rows["bybit"]
    assert (bybit["long_usd"], bybit["short_usd"], bybit["lower_bound"]) == (10_000.0, 300_000.0, False)


def test_liquidations_empty_window_and_unknown_symbol(api: Perpscope) -> None:
    assert api.liquidations("BTC", window="1h", at=T + 10 * H).is_empty()
    assert api.latest_time("liquidations", "BTC") == T + 1
    with pytest.raises(QueryError, match=r"no liquidations for SOL in .*; symbols present: BTC, ETH$"):
        api.liquidations("SOL")


def test_liquidation_aggregates_overlapping_the_window(api: Perpscope) -> None:
    rows = api.liquidation_aggregates("BTC", window="24h", at=T)
    assert rows["ts_event"].to_list() == [T - 32 * H, T - 8 * H]
    assert rows["long_usd"].to_list() == [4e6, 2e6]
    # 16 h and 8 h of each day inside (T - 24 h, T]
    assert rows["overlap_fraction"].to_list() == pytest.approx([16 / 24, 8 / 24], abs=1e-6)


def test_liquidation_events_in_range(api: Perpscope) -> None:
    events = api.liquidation_events("BTC", since=T - 2 * H, until=T, venues=["binance"])
    assert events.select("side", "notional_usd").rows() == [("short", 20_000.0), ("long", 100_000.0)]


def test_bad_time_arguments_are_input_errors(api: Perpscope) -> None:
    with pytest.raises(InputError, match="at: not a time"):
        api.funding("BTC", at="yesterday-ish")
    with pytest.raises(InputError, match="window: not a duration"):
        api.liquidations("BTC", window="a day")


# -- pandas and empty stores (embedded backend only) ------------------------------------------------------------


def test_pandas_on_request(duckdb_store: DuckDBStore, tmp_path: Path) -> None:
    duckdb_store.write_records(market())
    with perpscope.open(tmp_path / "test.duckdb", dataframes="pandas", settings=Settings()) as api:
        frame = api.funding("BTC")
        assert isinstance(frame, pandas.DataFrame)
        assert frame.set_index("venue").loc["hyperliquid", "rate_8h"] == pytest.approx(0.0003)
        aggregate = api.funding_aggregate("BTC")
        assert isinstance(aggregate, pandas.DataFrame)
        assert aggregate.loc[0, "oi_weighted_rate_8h"] == pytest.approx(5e-5)
        assert isinstance(api.open_interest_totals("BTC"), pandas.DataFrame)
        assert isinstance(api.liquidations("BTC", at=T), pandas.DataFrame)


def test_empty_store_is_a_query_error(duckdb_store: DuckDBStore) -> None:
    api = Perpscope(duckdb_store, Settings())
    with pytest.raises(QueryError) as caught:
        api.funding("BTC")
    assert str(caught.value) == f"no funding for BTC in {duckdb_store.path}; symbols present: none"
    with pytest.raises(QueryError, match="no open interest for BTC"):
        api.open_interest("BTC")
    with pytest.raises(QueryError, match="no liquidations for BTC"):
        api.liquidations("BTC")
