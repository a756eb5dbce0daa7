"""Every parameter of the liquidation-level estimate, in one frozen object, each with the reason for its default.

The model (METHOD.md §5; docs/heatmap.md) is an *estimate*: no venue publishes who holds which position at which
leverage. Every output carries :meth:`HeatmapConfig.assumptions` so a reader sees what was assumed.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

SplitMethod = Literal["auto", "taker", "ratio", "funding", "even", "candle"]
Pricing = Literal["exact", "naive"]
Removal = Literal["proportional", "none"]
EntryPrice = Literal["vwap", "typical", "close"]

ESTIMATED = "estimated"

# METHOD.md §5 step 3: the example mix of public reconstructions (5x 15%, 10x 30%, 25x 25%, 50x 20%, 100x 10%).
DEFAULT_LEVERAGE_MIX: tuple[tuple[float, float], ...] = (
    (5.0, 0.15),
    (10.0, 0.30),
    (25.0, 0.25),
    (50.0, 0.20),
    (100.0, 0.10),
)
# The naive baseline the issue asks to beat: three fixed leverages, equal weights.
NAIVE_LEVERAGE_MIX: tuple[tuple[float, float], ...] = ((5.0, 1 / 3), (20.0, 1 / 3), (100.0, 1 / 3))


@dataclasses.dataclass(frozen=True)
class HeatmapConfig:
    """The estimation model's parameters. Units: prices USD, quantities base units, times milliseconds.

    Attributes (why each default):

    - ``leverage_mix``: (leverage, weight) pairs; the weights split each side's new quantity across leverages.
      Default: METHOD.md §5's example mix, because no venue publishes the real one; calibrate where ground
      truth exists (``perpscope validate-heatmap``).
    - ``side_split``: how new open interest is divided between longs and shorts. Every new contract is a long
      and a short; the model assumes one of the two is the leveraged, liquidatable side and the other a hedger or
      market maker (low leverage, far liquidation), and ``long share`` is the chance that the leveraged side is the
      long. ``taker``: the bar's taker-buy share of volume (aggressive buyers open longs); ``ratio``: the
      long/short account ratio's long share; ``funding``: 0.5 moved by the funding premium (positive funding means
      longs pay, so longs crowd); ``even``: 0.5; ``candle``: all to the candle's direction (the naive baseline).
      ``auto`` (default) takes, per bar, the first of taker, ratio, funding that the store has, else 0.5: use
      the most direct evidence available, never invent it.
    - ``split_strength``: scales the split's distance from 0.5 (1 = as measured, 0 = even). Default 1: no
      shrinkage until validation says otherwise.
    - ``funding_scale``: the 8-hour funding premium over the 0.01% interest baseline that moves the funding split
      by about 0.38 (tanh(1)/2). Default 0.0005 (0.05% per 8 h, the premium clamp of METHOD.md §1).
    - ``position_notional_usd``: the size of a representative position, which picks the margin bracket (MMR,
      maintenance amount). Default 10,000 USD: a retail size inside the first bracket of every shipped table.
      With a size fixed in USD the liquidation price is a fixed fraction of the entry price on USD-tiered venues.
    - ``pricing``: ``exact`` (default) prices each level with the venue's own rule (METHOD.md §3, never
      ``1 ± 1/L``); ``naive`` uses ``entry x (1 ∓ 1/L)``, for the baseline only.
    - ``clamp_to_max_leverage``: a mix leverage above what the venue allows for the representative position is
      priced at the venue's maximum (Hyperliquid BTC allows 40x): traders who want more get the most they can.
    - ``entry_price``: the price new positions opened at. ``vwap`` (default; METHOD.md §5 step 1: better than
      close) when the bar has quote volume, else the typical price ``(high + low + close) / 3``.
    - ``oi_drop_removal``: ``proportional`` (default): when open interest falls from OI to OI', every live level
      keeps the fraction OI'/OI, because closes hit old positions at random; ``none`` keeps levels until crossed.
    - ``decay_half_life_h``: optional exponential ageing (hours) for positions closed without a trace in OI
      (rolled, hedged away). Default ``None``: no decay, because proportional removal already tracks closes.
    - ``cap_at_open_interest``: the live quantity of a side never exceeds the venue's open interest; if it would,
      the side's levels are scaled down to it in the output. Default on (the issue's invariant). With
      proportional removal the cap cannot bind (each side gains at most ΔOI and loses the OI fraction).
    - ``bin_width``: price bins are logarithmic, ``bin k = [(1+w)^k, (1+w)^(k+1))`` USD, anchored at 1 USD so that
      every venue and run share the same bins. Default 0.001 (0.1%).
    - ``column_ms``: the heatmap's time resolution; a column is the state at the end of its last bar. Default one
      hour: a year is 8,760 columns, readable and small.
    - ``map_targets``: default targets for the sentence form when none are given: fractions above and below the
      current price. Default 5%.
    """

    leverage_mix: tuple[tuple[float, float], ...] = DEFAULT_LEVERAGE_MIX
    side_split: SplitMethod = "auto"
    split_strength: float = 1.0
    funding_scale: float = 0.0005
    position_notional_usd: float = 10_000.0
    pricing: Pricing = "exact"
    clamp_to_max_leverage: bool = True
    entry_price: EntryPrice = "vwap"
    oi_drop_removal: Removal = "proportional"
    decay_half_life_h: float | None = None
    cap_at_open_interest: bool = True
    bin_width: float = 0.001
    column_ms: int = 3_600_000
    map_targets: float = 0.05

    def __post_init__(self) -> None:
        if not self.leverage_mix:
            raise ValueError("leverage_mix must name at least one (leverage, weight) pair")
        for leverage, weight in self.leverage_mix:
            if not (math.isfinite(leverage) and leverage >= 1):
                raise ValueError(f"leverage_mix: leverage {leverage!r} must be a finite number >= 1")
            if not (math.isfinite(weight) and weight >= 0):
                raise ValueError(f"leverage_mix: weight {weight!r} for {leverage:g}x must be >= 0")
        if not math.isclose(sum(weight for _, weight in self.leverage_mix), 1.0, rel_tol=1e-9):
            raise ValueError("leverage_mix: weights must add up to 1")
        positive = {
            "split_strength": self.split_strength >= 0,
            "funding_scale": self.funding_scale > 0,
            "position_notional_usd": self.position_notional_usd > 0,
            "bin_width": 0 < self.bin_width < 1,
            "column_ms": self.column_ms > 0,
            "map_targets": 0 < self.map_targets < 1,
            "decay_half_life_h": self.decay_half_life_h is None or self.decay_half_life_h > 0,
        }
        for name, good in positive.items():
            if not good:
                raise ValueError(f"HeatmapConfig.{name}={getattr(self, name)!r} is out of range")

    @property
    def leverages(self) -> tuple[float, ...]:
        return tuple(leverage for leverage, _ in self.leverage_mix)

    @property
    def weights(self) -> tuple[float, ...]:
        return tuple(weight for _, weight in self.leverage_mix)

    def replace(self, **changes: object) -> HeatmapConfig:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def assumptions(self) -> list[str]:
        """The model's assumptions in words; printed with every output, which is labelled "estimated"."""
        mix = ", ".join(f"{leverage:g}x {weight:.0%}" for leverage, weight in self.leverage_mix)
        decay = "none" if self.decay_half_life_h is None else f"half-life {self.decay_half_life_h:g} h"
        pricing = "each venue's exact liquidation rule" if self.pricing == "exact" else "entry x (1 -/+ 1/leverage)"
        return [
            f"{ESTIMATED}: positions are not public; levels are modelled from open-interest changes",
            f"new positions open at the bar's {self.entry_price} price when open interest rises",
            f"long/short split: {self.side_split} (strength {self.split_strength:g})",
            f"leverage mix: {mix}; representative position {self.position_notional_usd:,.0f} USD",
            f"liquidation prices: {pricing}",
            f"removed when the (mark) price crosses them; open-interest falls: {self.oi_drop_removal}; decay: {decay}",
            "live quantity per side capped at open interest" if self.cap_at_open_interest else "no open-interest cap",
        ]


def naive_baseline(config: HeatmapConfig | None = None) -> HeatmapConfig:
    """The baseline of the issue: ``1 - 1/L`` prices, the whole ΔOI to the candle's direction, fixed 5/20/100x.

    Everything else (removal, cap, bins, columns) stays as in ``config``, so a comparison isolates those three."""
    base = config or HeatmapConfig()
    return base.replace(pricing="naive", side_split="candle", split_strength=1.0, leverage_mix=NAIVE_LEVERAGE_MIX)
