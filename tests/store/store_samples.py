"""Hand-written records of every type, with every optional field both set and left empty."""

from __future__ import annotations

import pyarrow as pa

from perpscope import models
from perpscope.store import schema

T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC, in ms
MINUTE = 60_000


def _base(symbol: str = "BTC-USDT-PERP", native: str = "BTCUSDT", offset: int = 0) -> dict[str, object]:
    return {
        "venue": "binance",
        "symbol": symbol,
        "native_symbol": native,
        "ts_event": T0 + offset,
        "ts_recv": T0 + offset + 250,
        "source": "binance ws",
    }


def every_record() -> list[models.Record]:
    """Two records per table: one with every optional field set, one with them empty."""
    brackets = (
        models.MarginBracket(floor=0.0, cap=50_000.0, max_leverage=125.0, mmr=0.004, maintenance_amount=0.0),
        models.MarginBracket(floor=50_000.0, cap=600_000.0, max_leverage=100.0, mmr=0.005, maintenance_amount=50.0),
    )
    eth = {"symbol": "ETH-USDT-PERP", "native": "ETHUSDT"}
    return [
        models.Instrument(
            **_base(),
            base="BTC",
            quote="USDT",
            settle="USDT",
            contract_size=1.0,
            tick_size=0.1,
            funding_interval_h=8.0,
            inverse=False,
            margin_brackets=brackets,
        ),
        models.Instrument(
            **_base(**eth),
            base="ETH",
            quote="USDT",
            settle="USDT",
            tick_size=None,
            funding_interval_h=4.0,
            inverse=True,
        ),
        models.FundingRate(**_base(), rate=0.0001, interval_h=8.0, funding_time=T0),
        models.FundingRate(
            **_base(offset=MINUTE),
            rate=-0.00025,
            interval_h=4.0,
            kind=models.FundingKind.PREDICTED,
            funding_time=T0 + 4 * 3_600_000,
        ),
        models.OpenInterest(
            **_base(),
            oi_contracts=81_000.5,
            oi_base=81_000.5,
            oi_usd=2.9e9,
            reported=models.OIUnit.CONTRACTS,
            conversion_price=35_802.47,
        ),
        models.OpenInterest(**_base(offset=MINUTE), oi_base=81_100.0, reported=models.OIUnit.BASE),
        models.Liquidation(
            **_base(), side=models.Side.LONG, price=35_000.5, quantity=0.012, notional_usd=420.006, complete=False
        ),
        models.Liquidation(
            **_base(**eth),
            side=models.Side.SHORT,
            price=2_050.25,
            quantity=3.5,
            notional_usd=7_175.875,
            complete=True,
        ),
        models.LiquidationTotal(**_base(), period="1h", long_usd=1_250_000.0, short_usd=375_000.5, count=42),
        models.LiquidationTotal(**_base(offset=3_600_000), period="1h", long_usd=0.0, short_usd=10.0),
        models.Price(**_base(), kind=models.PriceKind.MARK, price=35_801.9),
        models.Price(**_base(), kind=models.PriceKind.INDEX, price=35_790.0),
        models.Candle(
            **_base(),
            interval="1m",
            open=35_800.0,
            high=35_850.5,
            low=35_760.0,
            close=35_820.1,
            volume=123.456,
            quote_volume=4_420_000.25,
        ),
        models.Candle(
            **_base(),
            interval="1m",
            kind=models.CandleKind.MARK,
            open=35_801.0,
            high=35_849.0,
            low=35_761.0,
            close=35_819.0,
        ),
        models.LongShortRatio(
            **_base(), kind=models.RatioKind.ACCOUNTS, period="5m", long_share=0.6125, short_share=0.3875
        ),
        models.LongShortRatio(
            **_base(), kind=models.RatioKind.TOP_POSITIONS, period="5m", long_share=0.5, short_share=0.5
        ),
        models.TakerVolume(**_base(), period="5m", buy_volume=1_200.5, sell_volume=980.25),
        models.TakerVolume(**_base(offset=5 * MINUTE), period="5m", buy_volume=0.0, sell_volume=3.0),
        models.Gap(**_base(), channel="liquidations", ts_end=T0 + 90_000, reason="reconnect"),
        models.Gap(
            **_base(symbol="*", native="*", offset=MINUTE),
            channel="funding",
            ts_end=T0 + 3 * MINUTE,
            reason="restart",
            backfilled=True,
        ),
        models.SentimentIndex(
            **_base(symbol="BTC", native="fng"), series="fear_greed", value=24.0, classification="Extreme Fear"
        ),
        models.SentimentIndex(
            **_base(symbol="BTC", native="fng", offset=86_400_000), series="fear_greed", value=0.0, classification=""
        ),
    ]


def liquidations(count: int, start: int = 0) -> pa.Table:
    """``count`` distinct liquidations, numbered from ``start`` (their ``ts_event`` is ``T0 + number``)."""
    numbers = range(start, start + count)
    return pa.table(
        {
            "venue": ["binance"] * count,
            "symbol": ["BTC-USDT-PERP"] * count,
            "native_symbol": ["BTCUSDT"] * count,
            "ts_event": [T0 + n for n in numbers],
            "ts_recv": [T0 + n + 5 for n in numbers],
            "source": ["test"] * count,
            "side": ["long" if n % 2 else "short" for n in numbers],
            "price": [30_000.0 + n for n in numbers],
            "quantity": [0.5] * count,
            "notional_usd": [0.5 * (30_000.0 + n) for n in numbers],
            "complete": [True] * count,
        },
        schema=schema.table("liquidations").arrow_schema,
    )
