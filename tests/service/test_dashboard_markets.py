"""The dashboard's list of markets (service/dashboard.py ``markets``): one statement, the same answer as asking
per table and per base."""

from __future__ import annotations

from typing import Any

from perpscope import models, queries
from perpscope.service import dashboard
from perpscope.store import Store

T = 1_767_225_600_000


def base(venue: str, symbol: str) -> dict[str, Any]:
    return {"venue": venue, "symbol": symbol, "native_symbol": symbol.replace("-", ""), "ts_event": T, "ts_recv": T}


def test_bases_from_three_tables_and_venues_from_three(any_store: Store) -> None:
    any_store.write_records(
        [
            models.FundingRate(**base("binance", "BTC-USDT-PERP"), rate=0.0001, interval_h=8.0, funding_time=T),
            models.OpenInterest(**base("okx", "BTC-USDT-PERP"), oi_base=1.0, reported=models.OIUnit.BASE),
            models.Liquidation(
                **base("bybit", "ETH-USDT-PERP"),
                side=models.Side.SHORT,
                price=3_000.0,
                quantity=1.0,
                notional_usd=3_000.0,
                complete=True,
            ),
            models.Candle(
                **base("okx", "SOL-USDT-PERP"),
                interval="1m",
                kind=models.CandleKind.LAST,
                open=1.0,
                high=1.0,
                low=1.0,
                close=1.0,
                volume=1.0,
            ),
            models.OpenInterest(**base("okx", "XRP-USDT-PERP"), oi_base=1.0, reported=models.OIUnit.BASE),
        ]
    )
    found = dashboard.markets(any_store)
    # XRP has open interest only: not a base listed; SOL has candles only: listed, with no venue
    assert found == {"BTC": ["binance", "okx"], "ETH": ["bybit"], "SOL": []}
    tables = ("funding", "liquidations", "candles")
    bases = sorted({name for table in tables for name in queries.bases_present(any_store, table)})
    assert found == {name: dashboard.venues_present(any_store, name) for name in bases}
