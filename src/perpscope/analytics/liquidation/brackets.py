"""Maintenance-margin tables: validated, with the maintenance amount derived, and the fallback tables.

A table is a tuple of ``models.MarginBracket`` rows. The tier of a position is the row with ``floor <= x < cap``
(floor inclusive), where ``x`` is what the venue tiers by: the notional in USD for Binance, Bybit and Hyperliquid,
the size in base units (contracts x ``ctVal``) for OKX. Beyond the last cap the last row applies (a short's
liquidation notional can exceed it); the venue would not let such a position be opened, which the leverage check
reports.

Continuity: Binance ``cum``, Bybit ``mm_deduction`` and Hyperliquid ``maintenance_deduction`` are all defined by

    amount_n = floor_n x (mmr_n - mmr_{n-1}) + amount_{n-1}        amount_0 = 0

so that ``maintenance = x x mmr_n - amount_n`` is continuous in ``x``. A ``continuous`` table is checked against
that derivation; OKX applies the tier's rate to the whole position (no deduction), so its tables are not continuous.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from perpscope.models import MarginBracket

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]

# A venue's amounts are exact in its own decimal arithmetic; allow one cent plus float noise.
_AMOUNT_TOLERANCE_USD = 0.01
_AMOUNT_TOLERANCE_RELATIVE = 1e-9


def derive_maintenance_amounts(floors: Sequence[float], rates: Sequence[float]) -> list[float]:
    """``amount_n = floor_n x (rate_n - rate_{n-1}) + amount_{n-1}``, ``amount_0 = 0`` (Binance ``cum``)."""
    amounts: list[float] = []
    previous_rate = 0.0
    previous_amount = 0.0
    for floor, rate in zip(floors, rates, strict=True):
        previous_amount = floor * (rate - previous_rate) + previous_amount
        previous_rate = rate
        amounts.append(previous_amount)
    return amounts


class MarginTable:
    """A validated, immutable margin table with NumPy columns for vectorised lookups."""

    __slots__ = (
        "_floor_values",
        "amounts",
        "brackets",
        "caps",
        "continuous",
        "floors",
        "max_leverages",
        "rates",
        "source",
        "unit",
    )

    def __init__(
        self,
        brackets: Iterable[MarginBracket],
        *,
        continuous: bool = True,
        unit: str = "USD notional",
        source: str = "",
    ) -> None:
        self.brackets: tuple[MarginBracket, ...] = tuple(brackets)
        self.continuous = continuous
        self.unit = unit
        self.source = source
        _validate(self.brackets, continuous=continuous, source=source)
        self.floors = _column(bracket.floor for bracket in self.brackets)
        self._floor_values = tuple(bracket.floor for bracket in self.brackets)
        self.caps = _column(bracket.cap for bracket in self.brackets)
        self.max_leverages = _column(bracket.max_leverage for bracket in self.brackets)
        self.rates = _column(bracket.mmr for bracket in self.brackets)
        self.amounts = _column(bracket.maintenance_amount for bracket in self.brackets)

    @classmethod
    def from_rates(
        cls,
        rows: Iterable[tuple[float, float, float, float]],
        *,
        continuous: bool = True,
        unit: str = "USD notional",
        source: str = "",
    ) -> MarginTable:
        """Rows of ``(floor, cap, max_leverage, mmr)``; the maintenance amount is derived (zero if not continuous)."""
        listed = list(rows)
        floors = [row[0] for row in listed]
        rates = [row[3] for row in listed]
        amounts = derive_maintenance_amounts(floors, rates) if continuous else [0.0] * len(listed)
        brackets = (
            MarginBracket(floor=floor, cap=cap, max_leverage=leverage, mmr=rate, maintenance_amount=amount)
            for (floor, cap, leverage, rate), amount in zip(listed, amounts, strict=True)
        )
        return cls(brackets, continuous=continuous, unit=unit, source=source)

    def __len__(self) -> int:
        return len(self.brackets)

    def __repr__(self) -> str:
        return f"MarginTable({len(self)} brackets by {self.unit}, source={self.source!r})"

    def index(self, value: float) -> int:
        """The tier of ``value`` (floor inclusive); clipped to the first and last tiers."""
        position = bisect.bisect_right(self._floor_values, value) - 1  # scalar twin of searchsorted(side="right")
        return min(max(position, 0), len(self) - 1)

    def indices(self, values: FloatArray) -> IndexArray:
        """:meth:`index` for an array, by ``np.searchsorted`` on the floors."""
        positions = np.searchsorted(self.floors, values, side="right") - 1
        return np.clip(positions, 0, len(self) - 1)


def _column(values: Iterable[float]) -> FloatArray:
    array = np.fromiter(values, dtype=np.float64)
    array.setflags(write=False)
    return array


def _validate(brackets: tuple[MarginBracket, ...], *, continuous: bool, source: str) -> None:
    where = f"margin table {source!r}" if source else "margin table"
    if not brackets:
        raise ValueError(f"{where}: no brackets")
    if brackets[0].floor != 0:
        raise ValueError(f"{where}: bracket 1 field 'floor' is {brackets[0].floor}, expected 0")
    for number, bracket in enumerate(brackets, start=1):
        _validate_row(bracket, f"{where}: bracket {number}")
    for number, (lower, upper) in enumerate(itertools.pairwise(brackets), start=2):
        if not math.isclose(upper.floor, lower.cap, rel_tol=1e-12, abs_tol=1e-9):
            raise ValueError(
                f"{where}: bracket {number} field 'floor' is {upper.floor}, "
                f"expected {lower.cap} (brackets must be contiguous)"
            )
        if upper.mmr < lower.mmr:
            raise ValueError(f"{where}: bracket {number} field 'mmr' decreases ({lower.mmr} -> {upper.mmr})")
    if continuous:
        _validate_amounts(brackets, where)


def _validate_row(bracket: MarginBracket, where: str) -> None:
    if not bracket.cap > bracket.floor:
        raise ValueError(f"{where} field 'cap': {bracket.cap} is not above floor {bracket.floor}")
    if not 0 < bracket.mmr < 1:
        raise ValueError(f"{where} field 'mmr': {bracket.mmr} is not a fraction in (0, 1)")
    if not bracket.max_leverage >= 1:
        raise ValueError(f"{where} field 'max_leverage': {bracket.max_leverage} is below 1")
    if not math.isfinite(bracket.maintenance_amount) or bracket.maintenance_amount < 0:
        raise ValueError(
            f"{where} field 'maintenance_amount': {bracket.maintenance_amount} is not a finite amount >= 0"
        )


def _validate_amounts(brackets: tuple[MarginBracket, ...], where: str) -> None:
    derived = derive_maintenance_amounts([b.floor for b in brackets], [b.mmr for b in brackets])
    for number, (bracket, expected) in enumerate(zip(brackets, derived, strict=True), start=1):
        tolerance = _AMOUNT_TOLERANCE_USD + _AMOUNT_TOLERANCE_RELATIVE * abs(expected)
        if abs(bracket.maintenance_amount - expected) > tolerance:
            raise ValueError(
                f"{where}: bracket {number} field 'maintenance_amount' is {bracket.maintenance_amount}, "
                f"but floor x (mmr - previous mmr) + previous amount gives {expected}"
            )
