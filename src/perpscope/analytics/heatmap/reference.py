"""The straightforward implementation: bar by bar, with a pandas table of live levels (docs/heatmap.md).

It follows the model's rules literally (consume, scale, create; snapshot at each column's last bar; cap at open
interest) with the scalar liquidation-price functions, and makes no attempt at speed: it is what anyone would
write first. Tests hold the vectorised model equal to it, and the benchmark measures the speed-up against it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from perpscope.analytics.heatmap.bars import Bars, FloatArray
from perpscope.analytics.heatmap.config import HeatmapConfig
from perpscope.analytics.heatmap.outputs import Heatmap, LiquidationMap, bin_index
from perpscope.analytics.heatmap.pricing import level_price, resolve_table
from perpscope.analytics.liquidation import MarginTable

_COLUMNS = ["sign", "price", "quantity"]


def reference_heatmap(
    bars: Bars, config: HeatmapConfig, venue: str, *, symbol: str | None = None, table: MarginTable | None = None
) -> Heatmap:
    """The heatmap, computed bar by bar."""
    snapshots, prices = _simulate(bars, config, venue, symbol, table, snapshot_at=None)
    width = config.bin_width
    all_prices = np.concatenate([np.asarray(prices, dtype=np.float64), bars.low, bars.high])
    first = int(bin_index(np.array([all_prices.min()]), width)[0])
    count = int(bin_index(np.array([all_prices.max()]), width)[0]) - first + 1
    ids = sorted(snapshots)
    grids = {sign: np.zeros((len(ids), count)) for sign in (1, -1)}
    for row, column_id in enumerate(ids):
        live, oi = snapshots[column_id]
        for sign in (1, -1):
            side = live[live["sign"] == sign]
            factor = _cap(config, float(side["quantity"].sum()), oi)
            keys = bin_index(side["price"].to_numpy(), width) - first
            usd = (side["quantity"] * side["price"]).to_numpy() * factor
            sums = pd.Series(usd).groupby(keys).sum()
            grids[sign][row, sums.index.to_numpy()] = sums.to_numpy()
    frame = pd.DataFrame({"ts": bars.ts, "open": bars.open, "high": bars.high, "low": bars.low, "close": bars.close})
    frame["column"] = frame["ts"] // config.column_ms
    candles = frame.groupby("column").agg(
        open=("open", "first"), high=("high", "max"), low=("low", "min"), close=("close", "last")
    )
    return Heatmap(
        venues=(venue,),
        symbol=symbol or "BTC",
        times=np.asarray(ids, dtype=np.int64) * config.column_ms,
        first_bin=first,
        bin_width=width,
        long=grids[1],
        short=grids[-1],
        candles=candles.to_numpy(),
        assumptions=tuple(config.assumptions()),
    )


def reference_map(
    bars: Bars,
    config: HeatmapConfig,
    venue: str,
    at: int,
    *,
    symbol: str | None = None,
    table: MarginTable | None = None,
) -> LiquidationMap:
    """The live levels at the end of bar index ``at``, computed bar by bar."""
    snapshots, _ = _simulate(bars.slice(0, at + 1), config, venue, symbol, table, snapshot_at=at)
    live, oi = snapshots[at]
    sides = {}
    for sign in (1, -1):
        side = live[live["sign"] == sign].sort_values("price")
        factor = _cap(config, float(side["quantity"].sum()), oi)
        sides[sign] = (side["price"].to_numpy(), (side["quantity"] * side["price"]).to_numpy() * factor)
    return LiquidationMap(
        venues=(venue,),
        symbol=symbol or "BTC",
        at=int(bars.ts[at]),
        price=float(bars.close[at]),
        long_prices=sides[1][0],
        long_usd=sides[1][1],
        short_prices=sides[-1][0],
        short_usd=sides[-1][1],
        assumptions=tuple(config.assumptions()),
    )


def _simulate(
    bars: Bars,
    config: HeatmapConfig,
    venue: str,
    symbol: str | None,
    table: MarginTable | None,
    snapshot_at: int | None,
) -> tuple[dict[int, tuple[pd.DataFrame, float]], list[float]]:
    """Run the rules bar by bar; snapshot the live table at each column's last bar (or at ``snapshot_at``)."""
    table = resolve_table(venue, symbol, table, config)
    live = pd.DataFrame({name: pd.Series(dtype="float64") for name in _COLUMNS})
    snapshots: dict[int, tuple[pd.DataFrame, float]] = {}
    prices: list[float] = []
    columns = bars.ts // config.column_ms
    for t in range(len(bars)):
        if t > 0:
            crossed_long = (live["sign"] == 1) & (live["price"] >= bars.trigger_low[t])
            crossed_short = (live["sign"] == -1) & (live["price"] <= bars.trigger_high[t])
            live = live[~(crossed_long | crossed_short)]
            live = live.assign(quantity=live["quantity"] * _ratio(bars, config, t))
            new = _new_levels(bars, config, venue, table, t)
            prices.extend(new["price"])
            live = pd.concat([live, new], ignore_index=True) if len(new) else live
        last_of_column = t == len(bars) - 1 or columns[t + 1] != columns[t]
        if snapshot_at is None and last_of_column:
            snapshots[int(columns[t])] = (live.copy(), float(bars.open_interest[t]))
        if snapshot_at == t:
            snapshots[t] = (live.copy(), float(bars.open_interest[t]))
    return snapshots, prices


def _ratio(bars: Bars, config: HeatmapConfig, t: int) -> float:
    ratio = 1.0
    previous, current = bars.open_interest[t - 1], bars.open_interest[t]
    if config.oi_drop_removal == "proportional" and current < previous:
        ratio *= current / previous
    if config.decay_half_life_h is not None:
        ratio *= 0.5 ** ((bars.ts[t] - bars.ts[t - 1]) / (config.decay_half_life_h * 3_600_000))
    return float(ratio)


def _new_levels(bars: Bars, config: HeatmapConfig, venue: str, table: MarginTable | None, t: int) -> pd.DataFrame:
    rise = bars.open_interest[t] - bars.open_interest[t - 1]
    rows: list[dict[str, float]] = []
    if rise <= 0:
        return pd.DataFrame(rows, columns=_COLUMNS)
    for sign, share in ((1, bars.long_share[t]), (-1, 1.0 - bars.long_share[t])):
        for leverage, weight in config.leverage_mix:
            price = level_price(venue, sign, float(bars.entry[t]), leverage, config, table)
            quantity = rise * share * weight
            if np.isfinite(price) and price > 0 and quantity > 0:
                rows.append({"sign": float(sign), "price": price, "quantity": quantity})
    return pd.DataFrame(rows, columns=_COLUMNS)


def _cap(config: HeatmapConfig, total: float, oi: float) -> float:
    return oi / total if config.cap_at_open_interest and total > oi else 1.0


def reference_prices(bars: Bars, config: HeatmapConfig, venue: str, table: MarginTable | None) -> FloatArray:
    """Every level price the reference creates, in creation order (for tests)."""
    _, prices = _simulate(bars, config, venue, None, table, snapshot_at=-1)
    return np.asarray(prices, dtype=np.float64)
