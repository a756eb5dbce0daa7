"""Margin tables shipped as fallbacks for when a venue's endpoint cannot be asked (offline, history, tests).

Venues change these without notice: prefer the live table from the connectors (``Instrument.margin_brackets``).
Every table names its source and snapshot; docs/liquidation-price.md reprints them.
"""

from __future__ import annotations

import math

from perpscope.analytics.liquidation.brackets import MarginTable
from perpscope.models import MarginBracket

_BINANCE_BTCUSDT_ROWS = (
    # floor, cap (USDT notional), max leverage, MMR, cum (USDT)
    (0.0, 50_000.0, 125.0, 0.004, 0.0),
    (50_000.0, 600_000.0, 100.0, 0.005, 50.0),
    (600_000.0, 3_000_000.0, 75.0, 0.0065, 950.0),
    (3_000_000.0, 12_000_000.0, 50.0, 0.01, 11_450.0),
    (12_000_000.0, 70_000_000.0, 25.0, 0.02, 131_450.0),
    (70_000_000.0, 100_000_000.0, 20.0, 0.025, 481_450.0),
    (100_000_000.0, 230_000_000.0, 10.0, 0.05, 2_981_450.0),
    (230_000_000.0, 480_000_000.0, 5.0, 0.10, 14_481_450.0),
    (480_000_000.0, 600_000_000.0, 4.0, 0.125, 26_481_450.0),
    (600_000_000.0, 800_000_000.0, 3.0, 0.15, 41_481_450.0),
    (800_000_000.0, 1_200_000_000.0, 2.0, 0.25, 121_481_450.0),
    (1_200_000_000.0, 1_800_000_000.0, 1.0, 0.50, 421_481_450.0),
)

BINANCE_BTCUSDT = MarginTable(
    (
        MarginBracket(floor=floor, cap=cap, max_leverage=leverage, mmr=rate, maintenance_amount=cum)
        for floor, cap, leverage, rate, cum in _BINANCE_BTCUSDT_ROWS
    ),
    source="METHOD.md §3: Binance BTCUSDT brackets, snapshot 2024-10-24 (GET /fapi/v1/leverageBracket)",
)

_BYBIT_BTCUSDT_ROWS = (
    # risk limit (the tier's cap, USDT position value), max leverage, MMR; mm deduction is derived and checked
    (2_000_000.0, 100.0, 0.005),
    (2_600_000.0, 90.0, 0.0056),
    (3_200_000.0, 80.0, 0.0063),
    (3_800_000.0, 75.0, 0.0067),
    (4_400_000.0, 70.0, 0.0071),
    (5_000_000.0, 65.0, 0.0077),
    (5_600_000.0, 55.0, 0.0091),
    (8_500_000.0, 50.0, 0.01),
    (10_000_000.0, 45.0, 0.013),
    (14_000_000.0, 40.0, 0.015),
    (20_000_000.0, 35.0, 0.016),
    (28_000_000.0, 30.0, 0.02),
    (38_000_000.0, 25.0, 0.025),
    (50_000_000.0, 20.0, 0.029),
    (55_000_000.0, 19.0, 0.03),
    (60_000_000.0, 18.0, 0.035),
    (65_000_000.0, 17.0, 0.036),
    (70_000_000.0, 16.0, 0.038),
    (75_000_000.0, 15.0, 0.04),
    (80_000_000.0, 14.0, 0.045),
)

BYBIT_BTCUSDT = MarginTable.from_rates(
    (
        (previous[0] if previous else 0.0, cap, leverage, rate)
        for previous, (cap, leverage, rate) in zip((None, *_BYBIT_BTCUSDT_ROWS[:-1]), _BYBIT_BTCUSDT_ROWS, strict=True)
    ),
    source="Bybit 'Margin Parameters' page, BTCUSDT USDT perpetual, tiers 1-20 (bybit.com/en/announcement-info/"
    "margin-parameters via a stored mirror, undated, read 2026); live: GET /v5/market/risk-limit",
)

# Hyperliquid documents the tiers only as max leverage per notional band; the rate is half the initial margin at
# max leverage and the deduction follows the same continuity rule as Binance's cum (docs: Trading > Margin tiers).
HYPERLIQUID_BTC = MarginTable.from_rates(
    ((0.0, 150_000_000.0, 40.0, 1 / 80), (150_000_000.0, math.inf, 20.0, 1 / 40)),
    source="Hyperliquid docs, Trading > Margin tiers: BTC 0-150M 40x, >150M 20x (mainnet); live: meta marginTables",
)


def hyperliquid_single_tier(max_leverage: float) -> MarginTable:
    """The table of an asset without tiers (margin table id < 50): one tier, rate ``1 / (2 x max_leverage)``."""
    return MarginTable.from_rates(
        ((0.0, math.inf, max_leverage, 1 / (2 * max_leverage)),),
        source=f"Hyperliquid single tier, max leverage {max_leverage:g}",
    )


_FALLBACKS: dict[tuple[str, str], MarginTable] = {
    ("binance", "BTC-USDT-PERP"): BINANCE_BTCUSDT,
    ("bybit", "BTC-USDT-PERP"): BYBIT_BTCUSDT,
    ("hyperliquid", "BTC-USD-PERP"): HYPERLIQUID_BTC,
}


def fallback_table(venue: str, symbol: str) -> MarginTable:
    """The shipped table for ``(venue, canonical symbol)``; a ``ValueError`` names what exists when there is none."""
    try:
        return _FALLBACKS[(venue.lower(), symbol.upper())]
    except KeyError:
        known = ", ".join(f"{v} {s}" for v, s in sorted(_FALLBACKS))
        raise ValueError(
            f"no fallback margin table for {venue} {symbol} (shipped: {known}); "
            "pass table= built from the venue's brackets (Instrument.margin_brackets)"
        ) from None
