"""The liquidation feed's newest-first read (service/dashboard.py): the bound on ts_event it reads through must
choose exactly the rows a plain ``ORDER BY ... LIMIT`` would, ties at the bound included, on both backends."""

from __future__ import annotations

from perpscope import models
from perpscope.service import dashboard
from perpscope.store import Store

T = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def liquidation(venue: str, ts_event: int, price: float) -> models.Liquidation:
    return models.Liquidation(
        venue=venue, symbol="BTC-USDT-PERP", native_symbol="BTCUSDT", ts_event=ts_event, ts_recv=ts_event,
        side=models.Side.LONG, price=price, quantity=0.5, notional_usd=price * 0.5, complete=True,
    )  # fmt: skip


def feed(store: Store, limit: int, **bounds: object) -> list[tuple[str, int, float]]:
    frame = dashboard.latest_liquidations(
        store,
        "BTC",
        bounds.get("since"),
        bounds.get("until"),
        bounds.get("venues"),
        limit,  # type: ignore[arg-type]
    )
    return frame.select("venue", "ts_event", "price").rows()


def test_the_newest_rows_ties_at_the_bound_and_fewer_rows_than_the_limit(any_store: Store) -> None:
    any_store.write_records(
        [
            liquidation("binance", T, 100.0),
            liquidation("bybit", T + 1, 101.0),
            liquidation("okx", T + 1, 102.0),  # ties with bybit at T + 1
            liquidation("binance", T + 1, 103.0),
            liquidation("binance", T + 2, 104.0),
        ]
    )
    # limit 2: T + 2, then the first of the three at T + 1 by venue, symbol, price
    assert feed(any_store, 2) == [("binance", T + 2, 104.0), ("binance", T + 1, 103.0)]
    assert feed(any_store, 3) == [("binance", T + 2, 104.0), ("binance", T + 1, 103.0), ("bybit", T + 1, 101.0)]
    assert feed(any_store, 100) == [
        ("binance", T + 2, 104.0),
        ("binance", T + 1, 103.0),
        ("bybit", T + 1, 101.0),
        ("okx", T + 1, 102.0),
        ("binance", T, 100.0),
    ]
    assert feed(any_store, 2, until=T + 2) == [("binance", T + 1, 103.0), ("bybit", T + 1, 101.0)]
    assert feed(any_store, 5, since=T + 1, venues=["okx", "binance"]) == [
        ("binance", T + 2, 104.0),
        ("binance", T + 1, 103.0),
        ("okx", T + 1, 102.0),
    ]
    assert feed(any_store, 5, since=T + 3) == []
