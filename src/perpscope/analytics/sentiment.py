"""The derivatives positioning index: 0 (crowded short, fearful) to 100 (crowded long, greedy), from four
components whose scores and inputs stay visible (docs/analytics.md).

Each component maps one measured input linearly onto 0-100 around a neutral point and clamps at the ends:

    score = clamp(50 + 50 x (input - neutral) / span, 0, 100)

The index is the weighted mean of the components that could be measured, with the weights renormalised over
them; ``complete`` says whether all four were. Nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import msgspec


@dataclass(frozen=True)
class Component:
    name: str
    neutral: float  # the input that scores 50
    span: float  # input - neutral = +span scores 100, -span scores 0
    weight: float
    unit: str
    meaning: str


COMPONENTS: tuple[Component, ...] = (
    Component(
        "funding",
        0.0001,
        0.0004,
        0.35,
        "fraction per 8 h",
        "OI-weighted cross-venue settled rate_8h (simple mean when no OI): 0.01% scores 50, 0.05% 100, -0.03% 0",
    ),
    Component(
        "oi_change",
        0.0,
        0.10,
        0.25,
        "fraction over the window",
        "aggregate OI change over the window (venues present at both ends): +10% scores 100, -10% scores 0",
    ),
    Component(
        "long_short",
        0.5,
        0.25,
        0.20,
        "share of accounts net long",
        "mean long-account share over venues: 50% scores 50, 75% scores 100, 25% scores 0",
    ),
    Component(
        "liquidations",
        0.0,
        1.0,
        0.20,
        "(short - long) / total liquidated USD",
        "liquidation imbalance over the window: only shorts liquidated scores 100, only longs 0",
    ),
)

BANDS = ((25.0, "extreme fear"), (45.0, "fear"), (55.0, "neutral"), (75.0, "greed"), (100.01, "extreme greed"))
"""Upper bounds (exclusive) of the labels, as the Fear & Greed Index reads its own scale."""


class ComponentScore(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    value: float | None  # the measured input, in ``unit``
    unit: str
    score: float | None  # 0-100; None when the input is unknown
    weight: float  # the weight actually applied (renormalised), 0 when unknown
    meaning: str


class PositioningIndex(msgspec.Struct, frozen=True, kw_only=True):
    time: int
    symbol: str
    value: float | None  # 0-100; None when no component could be measured
    label: str | None
    complete: bool  # every component measured
    components: tuple[ComponentScore, ...]


def score(component: Component, value: float) -> float:
    """``clamp(50 + 50 x (value - neutral) / span, 0, 100)``."""
    return min(100.0, max(0.0, 50.0 + 50.0 * (value - component.neutral) / component.span))


def label(value: float) -> str:
    return next(name for bound, name in BANDS if value < bound)


def liquidation_imbalance(long_usd: float, short_usd: float) -> float | None:
    """``(short - long) / (short + long)``: +1 only shorts liquidated, -1 only longs; None when nothing was."""
    total = long_usd + short_usd
    return None if total <= 0 else (short_usd - long_usd) / total


def positioning_index(
    time: int,
    symbol: str,
    inputs: Mapping[str, float | None],
    components: tuple[Component, ...] = COMPONENTS,
) -> PositioningIndex:
    """The index at ``time`` from ``inputs`` (component name -> measured value, None or absent when unknown)."""
    known = {c.name: inputs[c.name] for c in components if inputs.get(c.name) is not None}
    total_weight = sum(c.weight for c in components if c.name in known)
    scores = []
    for component in components:
        value = known.get(component.name)
        measured = value is not None and total_weight > 0
        scores.append(
            ComponentScore(
                name=component.name,
                value=value,
                unit=component.unit,
                score=score(component, value) if value is not None else None,
                weight=component.weight / total_weight if measured else 0.0,
                meaning=component.meaning,
            )
        )
    used = [(entry.score, entry.weight) for entry in scores if entry.score is not None]
    value = sum(part * weight for part, weight in used) if used else None
    return PositioningIndex(
        time=time,
        symbol=symbol,
        value=value,
        label=label(value) if value is not None else None,
        complete=len(used) == len(components),
        components=tuple(scores),
    )
