"""Binance USDⓈ-M futures, one-way mode (METHOD.md §3; Binance FAQ "How to Calculate Liquidation Price of
USDⓈ-M Futures Contracts", binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93):

    LP = (WB - TMM + UPNL + cum - s x Q x EP) / (Q x MMR - s x Q)

``WB`` wallet balance (isolated: the position's margin ``Q x EP / L``), ``TMM`` and ``UPNL`` the maintenance margin
and unrealised PnL of the *other* positions (cross only; zero for isolated), ``MMR`` and ``cum`` from the bracket of
the notional *at the liquidation price*, re-checked until stable (:mod:`.core` proves the iteration exact). This is
:func:`.core.price_in_tier` with collateral ``C = WB - TMM + UPNL``. Fees and funding are not modelled.
"""

from __future__ import annotations

import numpy.typing as npt

from perpscope.analytics.liquidation.brackets import FloatArray, MarginTable
from perpscope.analytics.liquidation.core import (
    SideLike,
    isolated_at_mark_notional,
    isolated_at_mark_notional_array,
    require_position,
    side_sign,
    solve_at_mark_notional,
)
from perpscope.analytics.liquidation.fallbacks import BINANCE_BTCUSDT

VENUE = "binance"
CONTINUOUS_TABLES = True  # cum makes maintenance continuous in notional


def isolated_liquidation_price(
    side: SideLike,
    entry: float,
    leverage: float,
    quantity: float,
    table: MarginTable = BINANCE_BTCUSDT,
    *,
    extra_margin: float = 0.0,
    check_max_leverage: bool = True,
) -> float:
    """Isolated position of ``quantity`` base units at ``entry`` USD and ``leverage``x; the price in USD.

    ``check_max_leverage`` refuses (ValueError) a leverage above the max of the bracket of the entry notional.
    """
    return isolated_at_mark_notional(
        side, entry, leverage, quantity, table, extra_margin=extra_margin, check_leverage=check_max_leverage
    )


def isolated_liquidation_prices(
    sides: npt.ArrayLike,
    entries: npt.ArrayLike,
    leverages: npt.ArrayLike,
    quantities: npt.ArrayLike,
    table: MarginTable = BINANCE_BTCUSDT,
    *,
    check_max_leverage: bool = True,
) -> FloatArray:
    """Vectorised :func:`isolated_liquidation_price` (broadcasting); NaN where the scalar path would raise."""
    return isolated_at_mark_notional_array(
        sides, entries, leverages, quantities, table, check_leverage=check_max_leverage
    )


def cross_liquidation_price(
    side: SideLike,
    entry: float,
    quantity: float,
    wallet_balance: float,
    table: MarginTable = BINANCE_BTCUSDT,
    *,
    other_maintenance: float = 0.0,
    other_unrealized_pnl: float = 0.0,
) -> float:
    """Cross margin: the whole ``wallet_balance`` (USD) backs the position; the other positions' maintenance and
    unrealised PnL are held at their current values (they move with their own prices, which this cannot know)."""
    require_position(entry, 1.0, quantity)
    collateral = wallet_balance - other_maintenance + other_unrealized_pnl
    return solve_at_mark_notional(side_sign(side), entry, quantity, collateral, table)
