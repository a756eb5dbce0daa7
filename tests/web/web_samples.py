"""Hand-written store contents for the dashboard tests, and how to start Chromium here."""

from __future__ import annotations

from pathlib import Path

from perpscope.models import FundingKind, FundingRate, Liquidation, OIUnit, OpenInterest, Side

HOUR = 3_600_000
T0 = 1_760_000_400_000  # 2025-10-09 09:00 UTC, a whole hour
HAND_NOW = T0 + 24 * HOUR
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def funding(
    venue: str, rate: float, interval_h: float, at: int, kind: FundingKind = FundingKind.SETTLED, due: int | None = None
) -> FundingRate:
    native = "BTCUSDT" if venue != "hyperliquid" else "BTC"
    symbol = "BTC-USDT-PERP" if venue != "hyperliquid" else "BTC-USD-PERP"
    return FundingRate(
        venue=venue,
        symbol=symbol,
        native_symbol=native,
        ts_event=at,
        ts_recv=at,
        source=f"{venue} test",
        rate=rate,
        interval_h=interval_h,
        kind=kind,
        funding_time=at if due is None else due,
    )


def open_interest(venue: str, usd: float, at: int) -> OpenInterest:
    symbol = "BTC-USDT-PERP" if venue != "hyperliquid" else "BTC-USD-PERP"
    return OpenInterest(
        venue=venue,
        symbol=symbol,
        native_symbol="BTCUSDT",
        ts_event=at,
        ts_recv=at,
        source=f"{venue} test",
        oi_usd=usd,
        oi_base=usd / 100_000,
        reported=OIUnit.USD,
    )


def liquidation(
    venue: str, side: Side, price: float, quantity: float, at: int, received: int | None = None
) -> Liquidation:
    return Liquidation(
        venue=venue,
        symbol="BTC-USDT-PERP",
        native_symbol="BTCUSDT",
        ts_event=at,
        ts_recv=received if received is not None else at,
        source=f"{venue} test",
        side=side,
        price=price,
        quantity=quantity,
        notional_usd=price * quantity,
        complete=venue != "bybit",
    )


def hand_records() -> list[object]:
    """Binance 8-hourly and Hyperliquid hourly funding, OI at two times, five liquidations (see the tests)."""
    records: list[object] = []
    for step in range(4):  # binance settles at T0, T0+8h, T0+16h, T0+24h
        records.append(funding("binance", 0.0001 * (step + 1), 8.0, T0 + step * 8 * HOUR))
    for step in range(25):  # hyperliquid settles hourly, 0.00001 per hour
        records.append(funding("hyperliquid", 0.00001, 1.0, T0 + step * HOUR))
    records.append(funding("binance", 0.0002, 8.0, HAND_NOW, FundingKind.PREDICTED, due=HAND_NOW + 8 * HOUR))
    records += [open_interest("binance", 1_000_000_000.0, T0), open_interest("binance", 1_200_000_000.0, HAND_NOW)]
    records += [open_interest("hyperliquid", 500_000_000.0, T0), open_interest("hyperliquid", 400_000_000.0, HAND_NOW)]
    records += [
        liquidation("binance", Side.LONG, 100_000.0, 2.0, HAND_NOW - 3 * HOUR),
        liquidation("binance", Side.SHORT, 101_000.0, 1.0, HAND_NOW - 2 * HOUR),
        liquidation("binance", Side.LONG, 99_000.0, 0.5, HAND_NOW - HOUR),
        liquidation("bybit", Side.SHORT, 102_000.0, 3.0, HAND_NOW - 30 * 60_000),
        liquidation("bybit", Side.LONG, 98_000.0, 1.0, HAND_NOW - 30 * HOUR),  # outside the 24 h window
    ]
    return records
