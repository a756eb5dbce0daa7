"""The open-interest view reads a latest price only when some row needs one; without it the rows are the same,
value and type, as with it."""

from __future__ import annotations

from pathlib import Path

import polars as pl

import perpscope
from perpscope import models, queries
from perpscope.analytics import open_interest as oi_math

T = 1_767_225_600_000  # 2026-01-01T00:00:00Z
H = 3_600_000


def oi(venue: str, ts_event: int, **values: float) -> models.OpenInterest:
    return models.OpenInterest(
        venue=venue, symbol="BTC-USDT-PERP", native_symbol="BTCUSDT", ts_event=ts_event, ts_recv=ts_event,
        reported=models.OIUnit.BASE, **values,
    )  # fmt: skip


def mark(venue: str, ts_event: int, price: float) -> models.Price:
    return models.Price(
        venue=venue, symbol="BTC-USDT-PERP", native_symbol="BTCUSDT", ts_event=ts_event, ts_recv=ts_event,
        kind=models.PriceKind.MARK, price=price,
    )  # fmt: skip


def test_rows_with_their_own_conversion_price_need_no_latest_price(tmp_path: Path) -> None:
    with perpscope.open(tmp_path / "db.duckdb") as ps:
        ps.store.write_records(
            [
                oi("binance", T - H, oi_base=2.0, conversion_price=100_000.0),
                oi("okx", T - H, oi_base=3.0, oi_usd=290_000.0),
                mark("binance", T - H, 90_000.0),  # stored, but the row's own price wins
                mark("okx", T - H, 90_000.0),
            ]
        )
        skipped = ps._latest_oi_usd("BTC", T)
        read = oi_math.with_usd(
            queries.latest_open_interest(ps.store, "BTC", T), queries.latest_prices(ps.store, "BTC", T)
        )
        assert skipped.equals(read)  # same values and types
        assert skipped.select("venue", "oi_usd", "oi_usd_basis", "oi_usd_price").rows() == [
            ("binance", 200_000.0, "oi_base × conversion_price", None),
            ("okx", 290_000.0, "converted at ingest", None),
        ]
        # one row without either: the latest mark values it (the look-up happens)
        ps.store.write_records([oi("bybit", T - H, oi_base=1.0)])
        bybit = ps._latest_oi_usd("BTC", T).filter(pl.col("venue") == "bybit")
        assert bybit.select("oi_usd", "oi_usd_basis").rows() == [(None, None)]  # no bybit price stored
        ps.store.write_records([mark("bybit", T - 2 * H, 95_000.0)])
        bybit = ps._latest_oi_usd("BTC", T).filter(pl.col("venue") == "bybit")
        assert bybit.select("oi_usd", "oi_usd_basis", "oi_usd_price").rows() == [(95_000.0, "oi_base × mark", 95_000.0)]
