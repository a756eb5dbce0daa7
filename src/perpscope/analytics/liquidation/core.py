"""Venue-neutral pieces: sides, input checks, bankruptcy price, and the solver for maintenance at the mark notional.

The solver prices a position whose maintenance margin is ``Q x P x mmr_n - amount_n`` with the tier ``n`` taken at
the notional at the mark price ``P`` (Binance, Hyperliquid). Liquidation is where the equity meets it:

    C + s x Q x (P - R) = Q x P x mmr_n - amount_n      =>      P = (R - s x (C + amount_n) / Q) / (1 - s x mmr_n)

with ``s`` = +1 long, -1 short, ``R`` the reference price at which the collateral ``C`` is counted (the entry price
for isolated margin, where ``C = Q x R / L``). A long whose collateral covers a fall to zero (1x isolated, or a
large cross balance) cannot be liquidated: every venue module reports 0 for it rather than a negative price.

Why the iteration converges to the exact answer: with the amounts derived for continuity, the maintenance is the
maximum of the tiers' lines, so every tier's formula is on the safe side of the true price (a long's candidate is
never above it, a short's never below). Re-checking the tier at the candidate's notional therefore moves the
candidate monotonically towards the true price and stops, within as many steps as there are tiers, at the only
candidate whose notional lies in its own tier: the exact liquidation price. tests/analytics checks it against the
closed form ``max`` (long) / ``min`` (short) over all tiers.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from perpscope.analytics.liquidation.brackets import FloatArray, IndexArray, MarginTable
from perpscope.models import Side

SideLike = Side | str | int | np.integer


def side_sign(side: SideLike) -> int:
    """+1 for a long, -1 for a short; accepts ``Side``, ``"long"``/``"short"`` or the sign itself."""
    if isinstance(side, int | np.integer) and not isinstance(side, bool):
        if side in (1, -1):
            return int(side)
    elif isinstance(side, str):
        normalised = side.lower()
        if normalised == Side.LONG:
            return 1
        if normalised == Side.SHORT:
            return -1
    raise ValueError(f"side {side!r} is not long/short (or +1/-1)")


def side_signs(sides: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """An array of +1/-1 from +1/-1 numbers or ``"long"``/``"short"`` strings; anything else is a ``ValueError``."""
    array = np.asarray(sides)
    if array.dtype.kind in "USO":
        lowered = np.char.lower(array.astype(str))
        signs = np.where(lowered == Side.LONG.value, 1, np.where(lowered == Side.SHORT.value, -1, 0))
    else:
        signs = array.astype(np.int64, copy=False)
    if not np.isin(signs, (1, -1)).all():
        raise ValueError("sides must be +1 (long) / -1 (short) or 'long' / 'short'")
    return signs.astype(np.int8)


def require_position(entry: float, leverage: float, quantity: float) -> None:
    """Entry price and quantity positive and finite, leverage a finite number >= 1 (no venue offers less)."""
    for name, value in (("entry", entry), ("quantity", quantity)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    if not (math.isfinite(leverage) and leverage >= 1):
        raise ValueError(f"leverage must be a finite number >= 1, got {leverage!r}")


def tier_within_limits(table: MarginTable, value: float, leverage: float) -> int:
    """The tier of ``value`` (what the venue tiers by, at entry); a ``ValueError`` if the venue would refuse it."""
    tier = table.index(value)
    last_cap = float(table.caps[-1])
    if value >= last_cap:
        raise ValueError(f"position {value:,.2f} ({table.unit}) is beyond the table's last cap {last_cap:,.2f}")
    allowed = float(table.max_leverages[tier])
    if leverage > allowed:
        bracket = table.brackets[tier]
        raise ValueError(
            f"leverage {leverage:g}x is above the {allowed:g}x allowed for a position of {value:,.2f} "
            f"({table.unit}; bracket {tier + 1}: {bracket.floor:,.0f}-{bracket.cap:,.0f})"
        )
    return tier


def bankruptcy_price(side: SideLike, reference: float, quantity: float, collateral: float) -> float:
    """Where the collateral is used up: ``R - s x C / Q`` (isolated: ``EP x (1 - s / L)``), floored at 0."""
    return max(reference - side_sign(side) * collateral / quantity, 0.0)


def price_in_tier(sign: int, reference: float, quantity: float, collateral: float, rate: float, amount: float) -> float:
    return (reference - sign * (collateral + amount) / quantity) / (1 - sign * rate)


def solve_at_mark_notional(
    sign: int, reference: float, quantity: float, collateral: float, table: MarginTable
) -> float:
    """The exact liquidation price, re-checking the tier at the notional at the candidate price until stable."""
    rates, amounts = table.rates, table.amounts
    tier = table.index(quantity * reference)
    price = price_in_tier(sign, reference, quantity, collateral, float(rates[tier]), float(amounts[tier]))
    for _ in range(len(table)):
        next_tier = table.index(quantity * price)
        if next_tier == tier:
            break
        tier = next_tier
        price = price_in_tier(sign, reference, quantity, collateral, float(rates[tier]), float(amounts[tier]))
    return max(price, 0.0)


def solve_at_mark_notional_array(
    signs: FloatArray,
    references: FloatArray,
    quantities: FloatArray,
    collaterals: FloatArray,
    table: MarginTable,
    start_tiers: IndexArray | None = None,
) -> FloatArray:
    """:func:`solve_at_mark_notional` for arrays (same arithmetic, same result); re-prices only what moved tier.

    ``start_tiers``: the tiers of ``quantities x references`` when the caller already has them."""
    tiers = table.indices(quantities * references) if start_tiers is None else start_tiers.copy()
    prices = _prices_in_tiers(signs, references, quantities, collaterals, table, tiers)
    active = np.arange(prices.size)
    for _ in range(len(table)):
        next_tiers = table.indices(quantities[active] * prices[active])
        moved = next_tiers != tiers[active]
        if not moved.any():
            break
        active = active[moved]
        tiers[active] = next_tiers[moved]
        prices[active] = _prices_in_tiers(
            signs[active], references[active], quantities[active], collaterals[active], table, tiers[active]
        )
    return np.maximum(prices, 0.0)


def _prices_in_tiers(
    signs: FloatArray,
    references: FloatArray,
    quantities: FloatArray,
    collaterals: FloatArray,
    table: MarginTable,
    tiers: IndexArray,
) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        result: FloatArray = (references - signs * (collaterals + table.amounts[tiers]) / quantities) / (
            1 - signs * table.rates[tiers]
        )
    return result


def as_columns(*arrays: npt.ArrayLike) -> tuple[tuple[int, ...], list[FloatArray]]:
    """Broadcast inputs to one shape and flatten them to float64 columns; returns the shape to restore."""
    broadcast = np.broadcast_arrays(*(np.asarray(array, dtype=np.float64) for array in arrays))
    shape = broadcast[0].shape
    return shape, [np.ascontiguousarray(array).reshape(-1) for array in broadcast]


def isolated_at_mark_notional(
    side: SideLike,
    entry: float,
    leverage: float,
    quantity: float,
    table: MarginTable,
    *,
    extra_margin: float = 0.0,
    check_leverage: bool = True,
) -> float:
    """Isolated margin ``Q x EP / L`` (+ extra) priced with maintenance at the mark notional."""
    sign = side_sign(side)
    require_position(entry, leverage, quantity)
    if check_leverage:
        tier_within_limits(table, quantity * entry, leverage)
    collateral = quantity * entry / leverage + extra_margin
    return solve_at_mark_notional(sign, entry, quantity, collateral, table)


def isolated_at_mark_notional_array(
    sides: npt.ArrayLike,
    entries: npt.ArrayLike,
    leverages: npt.ArrayLike,
    quantities: npt.ArrayLike,
    table: MarginTable,
    *,
    check_leverage: bool = True,
) -> FloatArray:
    """Vectorised :func:`isolated_at_mark_notional`; NaN wherever the scalar path would raise."""
    shape, (signs, entry, leverage, quantity) = as_columns(side_signs(sides), entries, leverages, quantities)
    notional = quantity * entry
    entry_tiers = table.indices(notional)
    with np.errstate(invalid="ignore", divide="ignore"):
        collateral = quantity * entry / leverage + 0.0
        prices = solve_at_mark_notional_array(signs, entry, quantity, collateral, table, entry_tiers)
    invalid = invalid_positions(table, entry, leverage, quantity, notional, entry_tiers, check_leverage=check_leverage)
    prices[invalid] = np.nan
    return prices.reshape(shape)


def invalid_positions(
    table: MarginTable,
    entries: FloatArray,
    leverages: FloatArray,
    quantities: FloatArray,
    tier_values: FloatArray,
    tiers: IndexArray,
    *,
    check_leverage: bool,
) -> npt.NDArray[np.bool_]:
    """True where :func:`require_position` (and, if asked, :func:`tier_within_limits`) would raise.

    ``tier_values`` is what the venue tiers by, at entry, and ``tiers`` their tiers."""
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(entries) & (entries > 0) & np.isfinite(quantities) & (quantities > 0)
        valid &= np.isfinite(leverages) & (leverages >= 1)
        if check_leverage:
            valid &= (tier_values < table.caps[-1]) & (leverages <= table.max_leverages[tiers])
    return ~valid
