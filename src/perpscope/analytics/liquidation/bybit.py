"""Bybit USDT perpetuals, isolated margin (Bybit help "Liquidation Price (USDT Contract)" and "Liquidation Price
Calculation under Isolated Mode (Unified Trading Account)"; METHOD.md §3):

    long LP = EP - (IM - MM) / Q - extra / Q          short LP = EP + (IM - MM) / Q + extra / Q
    IM = Q x EP / L        MM = Q x EP x MMR - mm_deduction

Unlike Binance, the maintenance is counted on the position value *at entry*, with the risk-limit tier of that
value, so the price is closed-form: no re-check at the liquidation notional. The help pages note that the estimated
fee to close makes the venue's figure differ slightly; fees are not modelled. Cross margin on the Unified Trading
Account is liquidated on the account's maintenance-margin rate, for which Bybit publishes no per-position formula,
so no cross variant is offered.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from perpscope.analytics.liquidation.brackets import FloatArray, MarginTable
from perpscope.analytics.liquidation.core import (
    SideLike,
    as_columns,
    invalid_positions,
    require_position,
    side_sign,
    side_signs,
    tier_within_limits,
)
from perpscope.analytics.liquidation.fallbacks import BYBIT_BTCUSDT

VENUE = "bybit"
CONTINUOUS_TABLES = True  # mm_deduction makes maintenance continuous in position value


def isolated_liquidation_price(
    side: SideLike,
    entry: float,
    leverage: float,
    quantity: float,
    table: MarginTable = BYBIT_BTCUSDT,
    *,
    extra_margin: float = 0.0,
    check_max_leverage: bool = True,
) -> float:
    """Isolated position of ``quantity`` base units at ``entry`` USD and ``leverage``x; the price in USD."""
    sign = side_sign(side)
    require_position(entry, leverage, quantity)
    value = quantity * entry
    tier = tier_within_limits(table, value, leverage) if check_max_leverage else table.index(value)
    initial = value / leverage
    maintenance = value * float(table.rates[tier]) - float(table.amounts[tier])
    return max(entry - sign * (initial + extra_margin - maintenance) / quantity, 0.0)


def isolated_liquidation_prices(
    sides: npt.ArrayLike,
    entries: npt.ArrayLike,
    leverages: npt.ArrayLike,
    quantities: npt.ArrayLike,
    table: MarginTable = BYBIT_BTCUSDT,
    *,
    check_max_leverage: bool = True,
) -> FloatArray:
    """Vectorised :func:`isolated_liquidation_price` (broadcasting); NaN where the scalar path would raise."""
    shape, (signs, entry, leverage, quantity) = as_columns(side_signs(sides), entries, leverages, quantities)
    value = quantity * entry
    tiers = table.indices(value)
    with np.errstate(invalid="ignore", divide="ignore"):
        initial = value / leverage
        maintenance = value * table.rates[tiers] - table.amounts[tiers]
        prices: FloatArray = np.maximum(entry - signs * (initial + 0.0 - maintenance) / quantity, 0.0)
    prices[invalid_positions(table, entry, leverage, quantity, value, tiers, check_leverage=check_max_leverage)] = (
        np.nan
    )
    return prices.reshape(shape)
