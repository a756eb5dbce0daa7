"""Hyperliquid perpetuals (docs: Trading > Liquidations, Trading > Margin tiers; METHOD.md §3):

    liq_price = price - s x margin_available / size / (1 - l x s)        l = 1 / maintenance_leverage

with ``margin_available = isolated_margin - maintenance_margin_required`` (isolated) or
``account_value - maintenance_margin_required`` (cross), and the maintenance rate half the initial margin rate at
the tier's max leverage. Expanding ``maintenance_margin_required = Q x price x l (+ others)`` shows this is the same
equation as Binance's with ``cum`` replaced by Hyperliquid's ``maintenance_deduction`` (continuous by the same
rule), so it is solved by :mod:`.core` with the tier re-checked at the liquidation notional. Funding accrual
(which changes isolated margin) and the backstop threshold (2/3 of maintenance) are not modelled.
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
from perpscope.analytics.liquidation.fallbacks import HYPERLIQUID_BTC

VENUE = "hyperliquid"
CONTINUOUS_TABLES = True  # maintenance_deduction makes maintenance continuous in notional


def isolated_liquidation_price(
    side: SideLike,
    entry: float,
    leverage: float,
    quantity: float,
    table: MarginTable = HYPERLIQUID_BTC,
    *,
    extra_margin: float = 0.0,
    check_max_leverage: bool = True,
) -> float:
    """A fresh isolated position (margin ``Q x EP / L`` USD, plus ``extra_margin``); the price in USD."""
    return isolated_at_mark_notional(
        side, entry, leverage, quantity, table, extra_margin=extra_margin, check_leverage=check_max_leverage
    )


def isolated_liquidation_prices(
    sides: npt.ArrayLike,
    entries: npt.ArrayLike,
    leverages: npt.ArrayLike,
    quantities: npt.ArrayLike,
    table: MarginTable = HYPERLIQUID_BTC,
    *,
    check_max_leverage: bool = True,
) -> FloatArray:
    """Vectorised :func:`isolated_liquidation_price` (broadcasting); NaN where the scalar path would raise."""
    return isolated_at_mark_notional_array(
        sides, entries, leverages, quantities, table, check_leverage=check_max_leverage
    )


def cross_liquidation_price(
    side: SideLike,
    mark: float,
    quantity: float,
    account_value: float,
    table: MarginTable = HYPERLIQUID_BTC,
    *,
    other_maintenance: float = 0.0,
) -> float:
    """Cross margin, from the account as it stands at ``mark``: ``account_value`` (USD, includes every position's
    unrealised PnL) and the maintenance required by the *other* cross positions, held constant."""
    require_position(mark, 1.0, quantity)
    return solve_at_mark_notional(side_sign(side), mark, quantity, account_value - other_maintenance, table)
