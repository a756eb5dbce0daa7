"""The simulated venues: Binance-, Bybit- and OKX-style BTC perpetuals, each with its own margin table and
funding rules (METHOD.md §1 and §3). Venue names and symbols are the real ones, so every analytic runs unchanged;
every record the simulator writes says ``source="sim"``.
"""

from __future__ import annotations

from perpscope.analytics.liquidation import BINANCE_BTCUSDT, BYBIT_BTCUSDT, MarginTable
from perpscope.sim.exchange import VenueSpec
from perpscope.sim.funding import EQUAL, LINEAR, FundingRules

SYMBOL = "BTC-USDT-PERP"
BASE = "BTC"

# No sourced OKX table exists in perpscope (docs/liquidation-price.md), so the OKX-style venue uses these
# illustrative tiers, in base units as OKX tiers by size: they are the simulator's, not OKX's.
OKX_STYLE_TIERS = MarginTable.from_rates(
    (
        (0.0, 5.0, 100.0, 0.004),
        (5.0, 25.0, 75.0, 0.006),
        (25.0, 100.0, 50.0, 0.008),
        (100.0, 300.0, 20.0, 0.015),
        (300.0, 1_000.0, 10.0, 0.03),
        (1_000.0, 100_000.0, 5.0, 0.06),
    ),
    continuous=False,
    unit="base units",
    source="perpscope simulator: illustrative OKX-style tiers by size (not OKX's published table)",
)

DEFAULT_VENUES: tuple[VenueSpec, ...] = (
    VenueSpec(
        name="binance",
        native_symbol="BTCUSDT",
        table=BINANCE_BTCUSDT,
        funding=FundingRules(interval_h=8.0, sample_s=5.0, weighting=EQUAL),
        share=0.45,
    ),
    VenueSpec(
        name="bybit",
        native_symbol="BTCUSDT",
        table=BYBIT_BTCUSDT,
        funding=FundingRules(interval_h=8.0, sample_s=60.0, weighting=LINEAR),
        share=0.30,
    ),
    VenueSpec(
        name="okx",
        native_symbol="BTC-USDT-SWAP",
        table=OKX_STYLE_TIERS,
        funding=FundingRules(interval_h=8.0, sample_s=60.0, weighting=EQUAL),
        share=0.25,
        tiers_by_size=True,
    ),
)
