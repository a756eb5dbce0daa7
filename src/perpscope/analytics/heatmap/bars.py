"""The model's input: one venue's bars with open interest, the entry price and the long share already worked out.

The batch model, the reference implementation and the incremental engine all read the same :class:`Bars`, so
they differ only in how they run the dynamics. :func:`build_bars` turns store columns into it (config-driven).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from perpscope.analytics.heatmap.config import HeatmapConfig

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Interest component of the funding formula (METHOD.md §1): funding at 0.01% per 8 h says nothing about crowding.
FUNDING_BASELINE_8H = 0.0001


@dataclasses.dataclass(frozen=True)
class Bars:
    """Regular or irregular bars, oldest first. ``ts`` is the bar's open time (ms UTC); prices USD; open interest
    in base units at the bar's end; ``trigger_high``/``trigger_low`` the mark price's range when known (else the
    last-trade range); ``entry`` where new positions opened; ``long_share`` the leveraged side's long chance."""

    ts: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    trigger_high: FloatArray
    trigger_low: FloatArray
    entry: FloatArray
    open_interest: FloatArray
    long_share: FloatArray

    def __post_init__(self) -> None:
        size = self.ts.size
        for field in dataclasses.fields(self):
            array = getattr(self, field.name)
            if array.ndim != 1 or array.size != size:
                raise ValueError(f"bars: {field.name} has shape {array.shape}, expected ({size},)")
        if size and np.any(np.diff(self.ts) <= 0):
            bad = int(np.argmax(np.diff(self.ts) <= 0)) + 1
            raise ValueError(f"bars: ts must increase strictly (bar {bad})")
        for name in ("open", "high", "low", "close", "trigger_high", "trigger_low", "entry", "open_interest"):
            _require_positive(name, getattr(self, name))
        if np.any(~np.isfinite(self.long_share) | (self.long_share < 0) | (self.long_share > 1)):
            raise ValueError(f"bars: long_share must be in [0, 1] (bar {_first_bad_share(self.long_share)})")

    def __len__(self) -> int:
        return int(self.ts.size)

    def slice(self, start: int, stop: int) -> Bars:
        return Bars(**{field.name: getattr(self, field.name)[start:stop] for field in dataclasses.fields(self)})


def build_bars(
    ts: npt.ArrayLike,
    open_: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    open_interest: npt.ArrayLike,
    config: HeatmapConfig,
    *,
    volume: npt.ArrayLike | None = None,
    quote_volume: npt.ArrayLike | None = None,
    mark_high: npt.ArrayLike | None = None,
    mark_low: npt.ArrayLike | None = None,
    taker_buy: npt.ArrayLike | None = None,
    taker_sell: npt.ArrayLike | None = None,
    ratio_long_share: npt.ArrayLike | None = None,
    funding_8h: npt.ArrayLike | None = None,
) -> Bars:
    """Bars from columns; optional inputs may hold NaN where a bar lacks them (the split then falls back)."""
    o, h, lo, c = (_floats(values) for values in (open_, high, low, close))
    entry = entry_prices(config, h, lo, c, _optional(volume, c.size), _optional(quote_volume, c.size))
    share = long_shares(
        config,
        o,
        c,
        taker_buy=_optional(taker_buy, c.size),
        taker_sell=_optional(taker_sell, c.size),
        ratio_long_share=_optional(ratio_long_share, c.size),
        funding_8h=_optional(funding_8h, c.size),
    )
    mark_h, mark_l = _optional(mark_high, c.size), _optional(mark_low, c.size)
    return Bars(
        ts=np.asarray(ts, dtype=np.int64),
        open=o,
        high=h,
        low=lo,
        close=c,
        trigger_high=np.where(np.isfinite(mark_h), mark_h, h),
        trigger_low=np.where(np.isfinite(mark_l), mark_l, lo),
        entry=entry,
        open_interest=_floats(open_interest),
        long_share=share,
    )


def entry_prices(
    config: HeatmapConfig, high: FloatArray, low: FloatArray, close: FloatArray, volume: FloatArray, quote: FloatArray
) -> FloatArray:
    """VWAP (quote volume / volume) where both are positive, else the typical price; or as configured."""
    typical = (high + low + close) / 3.0
    if config.entry_price == "close":
        return close.copy()
    if config.entry_price == "typical":
        return typical
    with np.errstate(invalid="ignore", divide="ignore"):
        vwap = quote / volume
    usable = np.isfinite(vwap) & (volume > 0) & (vwap >= low) & (vwap <= high)
    return np.where(usable, vwap, typical)


def long_shares(
    config: HeatmapConfig,
    open_: FloatArray,
    close: FloatArray,
    *,
    taker_buy: FloatArray,
    taker_sell: FloatArray,
    ratio_long_share: FloatArray,
    funding_8h: FloatArray,
) -> FloatArray:
    """The long share per bar by ``config.side_split`` (see :class:`HeatmapConfig`), shrunk by ``split_strength``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        taker = taker_buy / (taker_buy + taker_sell)
    funding = 0.5 + 0.5 * np.tanh((funding_8h - FUNDING_BASELINE_8H) / config.funding_scale)
    candle = np.where(close > open_, 1.0, np.where(close < open_, 0.0, 0.5))
    even = np.full(close.size, 0.5)
    sources = {"taker": [taker], "ratio": [ratio_long_share], "funding": [funding], "even": [], "candle": [candle]}
    chain = sources.get(config.side_split, [taker, ratio_long_share, funding])
    raw = even
    for candidate in reversed(chain):  # the first source in the chain wins where it has a value
        raw = np.where(np.isfinite(candidate), candidate, raw)
    result: FloatArray = np.clip(0.5 + config.split_strength * (raw - 0.5), 0.0, 1.0)
    return result


def _floats(values: npt.ArrayLike) -> FloatArray:
    return np.ascontiguousarray(values, dtype=np.float64)


def _optional(values: npt.ArrayLike | None, size: int) -> FloatArray:
    if values is None:
        return np.full(size, np.nan)
    array = _floats(values)
    if array.shape != (size,):
        raise ValueError(f"bars: optional column has shape {array.shape}, expected ({size},)")
    return array


def _require_positive(name: str, array: FloatArray) -> None:
    bad = ~np.isfinite(array) | (array <= 0)
    if bad.any():
        index = int(np.argmax(bad))
        raise ValueError(f"bars: {name} must be positive and finite (bar {index}: {array[index]!r})")


def _first_bad_share(share: FloatArray) -> int:
    return int(np.argmax(~np.isfinite(share) | (share < 0) | (share > 1)))
