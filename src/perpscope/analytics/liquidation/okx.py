"""OKX USDT-margined swaps, isolated margin (METHOD.md §3; OKX help, isolated margin mode and tiered maintenance
margin rules):

    long LP = (EP - margin / Q) / (1 - MMR - taker_fee)      short LP = (EP + margin / Q) / (1 + MMR + taker_fee)

``margin = Q x EP / L`` (+ margin added). OKX tiers by position *size* in contracts, not by notional, and applies the
tier's rate to the whole position with no deduction; since the size does not change with price there is nothing to
re-check. Tables for OKX therefore have floors and caps in base units (contracts x ``ctVal``; see
:func:`table_from_position_tiers`) and are not continuous. The fee term is the taker fee to close at the
liquidation price, which OKX includes in the maintenance requirement. Cross margin on OKX is assessed on the
account's margin ratio (all positions, all currencies in multi-currency modes), so no cross variant is offered.
No fallback table is shipped: no sourced snapshot of BTC-USDT-SWAP tiers was found (GET /api/v5/public/position-tiers).
"""

from __future__ import annotations

from collections.abc import Iterable

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

VENUE = "okx"
CONTINUOUS_TABLES = False  # the tier's rate applies to the whole position
# Regular-user (Lv1) taker fee on USDT-margined perpetuals, 0.05% (OKX fee schedule as summarised by secondary
# sources); pass the account's own rate where it is known.
DEFAULT_TAKER_FEE = 0.0005


def table_from_position_tiers(
    tiers: Iterable[tuple[float, float, float, float]], contract_value: float, *, source: str = ""
) -> MarginTable:
    """A table from OKX position tiers ``(min_contracts, max_contracts, max_leverage, mmr)``, in base units.

    Older OKX tables start each tier one contract above the previous maximum (``1,001``); the floor is taken as the
    previous cap so the table is contiguous."""
    rows: list[tuple[float, float, float, float]] = []
    for min_contracts, max_contracts, leverage, rate in tiers:
        floor = rows[-1][1] if rows else min_contracts * contract_value
        rows.append((floor, max_contracts * contract_value, leverage, rate))
    return MarginTable.from_rates(rows, continuous=False, unit="base units", source=source)


def isolated_liquidation_price(
    side: SideLike,
    entry: float,
    leverage: float,
    quantity: float,
    table: MarginTable,
    *,
    taker_fee: float = DEFAULT_TAKER_FEE,
    extra_margin: float = 0.0,
    check_max_leverage: bool = True,
) -> float:
    """Isolated position of ``quantity`` base units (contracts x ``ctVal``) at ``entry`` USD; the price in USD."""
    sign = side_sign(side)
    require_position(entry, leverage, quantity)
    tier = tier_within_limits(table, quantity, leverage) if check_max_leverage else table.index(quantity)
    margin = quantity * entry / leverage + extra_margin
    return max((entry - sign * margin / quantity) / (1 - sign * (float(table.rates[tier]) + taker_fee)), 0.0)


def isolated_liquidation_prices(
    sides: npt.ArrayLike,
    entries: npt.ArrayLike,
    leverages: npt.ArrayLike,
    quantities: npt.ArrayLike,
    table: MarginTable,
    *,
    taker_fee: float = DEFAULT_TAKER_FEE,
    check_max_leverage: bool = True,
) -> FloatArray:
    """Vectorised :func:`isolated_liquidation_price` (broadcasting); NaN where the scalar path would raise."""
    shape, (signs, entry, leverage, quantity) = as_columns(side_signs(sides), entries, leverages, quantities)
    tiers = table.indices(quantity)
    with np.errstate(invalid="ignore", divide="ignore"):
        margin = quantity * entry / leverage + 0.0
        prices: FloatArray = np.maximum(
            (entry - signs * margin / quantity) / (1 - signs * (table.rates[tiers] + taker_fee)), 0.0
        )
    prices[invalid_positions(table, entry, leverage, quantity, quantity, tiers, check_leverage=check_max_leverage)] = (
        np.nan
    )
    return prices.reshape(shape)
