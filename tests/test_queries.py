"""Query building: symbol selection, and how far back "latest" looks."""

from __future__ import annotations

import pytest

from perpscope import models, queries
from perpscope.errors import QueryError
from perpscope.store import Store
from perpscope.times import MS_PER_DAY

AT = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def test_symbol_condition_for_a_base_and_a_canonical_symbol() -> None:
    assert queries.symbol_condition(" btc ") == ("symbol LIKE ?", ["BTC-%"])
    assert queries.symbol_condition("btc-usdt-perp") == ("symbol = ?", ["BTC-USDT-PERP"])


@pytest.mark.parametrize("bad", ["BTC%", "B_C", "BTC-USDT", "'; DROP TABLE funding; --", ""])
def test_anything_else_is_refused_by_name(bad: str) -> None:
    with pytest.raises(QueryError, match="not a symbol"):
        queries.symbol_condition(bad)


def open_interest(venue: str, ts_event: int, oi_base: float) -> models.OpenInterest:
    return models.OpenInterest(
        venue=venue, symbol="BTC-USDT-PERP", native_symbol="BTCUSDT", ts_event=ts_event, ts_recv=ts_event,
        oi_base=oi_base, reported=models.OIUnit.BASE,
    )  # fmt: skip


def test_latest_open_interest_leaves_out_venues_silent_past_the_lookback(any_store: Store) -> None:
    any_store.write_records(
        [
            open_interest("binance", AT - 3_600_000, 80_000.0),
            open_interest("binance", AT - 7_200_000, 79_000.0),
            open_interest("okx", AT - queries.OPEN_INTEREST_LOOKBACK_MS + 1, 20_000.0),  # just inside
            open_interest("bybit", AT - queries.OPEN_INTEREST_LOOKBACK_MS, 50_000.0),  # just outside
        ]
    )
    latest = queries.latest_open_interest(any_store, "BTC", AT)
    assert latest.select("venue", "oi_base").rows() == [("binance", 80_000.0), ("okx", 20_000.0)]
    # without a time, the lookback counts back from the newest row selected (binance's, an hour before AT),
    # which brings bybit's row just inside
    assert queries.latest_open_interest(any_store, "BTC", None)["venue"].to_list() == ["binance", "bybit", "okx"]
    assert queries.latest_open_interest(any_store, "BTC", AT - 40 * MS_PER_DAY).is_empty()


def funding(venue: str, ts_event: int, rate: float, kind: models.FundingKind, funding_time: int) -> models.FundingRate:
    return models.FundingRate(
        venue=venue, symbol="BTC-USDT-PERP", native_symbol="BTCUSDT", ts_event=ts_event, ts_recv=ts_event,
        rate=rate, interval_h=8.0, kind=kind, funding_time=funding_time,
    )  # fmt: skip


def test_latest_funding_of_several_kinds_in_one_query_equals_one_query_per_kind(any_store: Store) -> None:
    settled, predicted = models.FundingKind.SETTLED, models.FundingKind.PREDICTED
    hour = 3_600_000
    any_store.write_records(
        [
            funding("binance", AT - 16 * hour, 0.0001, settled, AT - 16 * hour),
            funding("binance", AT - 8 * hour, 0.0002, settled, AT - 8 * hour),
            funding("binance", AT - hour, 0.0003, predicted, AT),
            funding("okx", AT - 8 * hour, -0.0001, settled, AT - 8 * hour),
            # one push predicting two settlements at one ts_event: the earlier funding_time is the latest
            funding("okx", AT - hour, 0.0004, predicted, AT + 8 * hour),
            funding("okx", AT - hour, 0.0005, predicted, AT),
            funding("okx", AT + hour, 0.0009, predicted, AT + 8 * hour),  # after AT: not known yet
        ]
    )
    both = queries.latest_funding_kinds(any_store, "BTC", AT, (settled, predicted))
    assert both.select("venue", "kind", "rate", "funding_time").rows() == [
        ("binance", "predicted", 0.0003, AT),
        ("binance", "settled", 0.0002, AT - 8 * hour),
        ("okx", "predicted", 0.0005, AT),
        ("okx", "settled", -0.0001, AT - 8 * hour),
    ]
    for kind in (settled, predicted):
        assert both.filter(both["kind"] == kind.value).equals(queries.latest_funding(any_store, "BTC", AT, kind))
