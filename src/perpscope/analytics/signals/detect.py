"""The five detectors. Each reads the market grid (one row per bar close, see
:func:`perpscope.analytics.market.market_grid`) and returns :class:`Signal` records, oldest first.

A condition fires on its rising edge (true on a bar, false or unknown on the bar before) and not again for the
same kind within ``cooldown_ms``: a condition that lasts a day is one signal, not twenty-four.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl

from perpscope.analytics.signals import Signal, SignalKind, SignalThresholds, strength
from perpscope.analytics.signals import text as say
from perpscope.analytics.waves import CLUSTER_SCHEMA, WAVE_SCHEMA

BASELINE_8H = 0.0001  # the 0.01% interest baseline: the scale of "how negative" funding is


def rising_edges(grid: pl.DataFrame, condition: pl.Expr, cooldown_ms: int) -> Iterator[dict[str, Any]]:
    """The rows of ``grid`` (sorted by time) where ``condition`` turns true, at least ``cooldown_ms`` apart."""
    flagged = grid.sort("time").with_columns(on=condition.fill_null(False))
    flagged = flagged.with_columns(edge=pl.col("on") & ~pl.col("on").shift(1, fill_value=False))
    last = None
    for row in flagged.filter(pl.col("edge")).iter_rows(named=True):
        if last is None or row["time"] - last >= cooldown_ms:
            last = row["time"]
            yield row


def _funding_reference(row: dict[str, Any]) -> tuple[float | None, str]:
    """The OI-weighted cross-venue rate when known, else the simple mean, and which one it is."""
    if row.get("funding_weighted_8h") is not None:
        return row["funding_weighted_8h"], "OI-weighted"
    return row.get("funding_simple_8h"), "simple mean"


def short_squeeze_setups(grid: pl.DataFrame, symbol: str, th: SignalThresholds) -> list[Signal]:
    venues = pl.col("funding_venues").list.len()
    condition = (
        (venues >= th.squeeze_min_venues)
        & (pl.col("venues_negative") == venues)
        & (pl.col("oi_change_fraction") >= th.squeeze_oi_rise)
        & (pl.col("price_change_fraction") >= th.squeeze_price_floor)
    )
    signals = []
    for row in rising_edges(grid, condition, th.cooldown_ms):
        mean = row["funding_simple_8h"]
        evidence = _evidence(row, "funding_simple_8h", "funding_max_8h", "funding_venues", "oi_usd")
        evidence |= _evidence(row, "oi_change_fraction", "price_change_fraction", "close")
        sentence = (
            f"Funding negative on all {len(row['funding_venues'])} venues ({say.names(row['funding_venues'])}; "
            f"mean {say.rate_8h(mean)}, settled) while open interest rose {say.percent(row['oi_change_fraction'])} "
            f"and price held ({say.percent(row['price_change_fraction'])}) over {say.hours(th.window_ms)} to "
            f"{say.moment(row['time'])}: shorts are building into a market that does not fall."
        )
        power = strength(-mean / BASELINE_8H, row["oi_change_fraction"] / th.squeeze_oi_rise)
        signals.append(_signal(row, symbol, SignalKind.SHORT_SQUEEZE_SETUP, power, evidence, sentence, th))
    return signals


def long_squeeze_risks(grid: pl.DataFrame, symbol: str, th: SignalThresholds) -> list[Signal]:
    reference = pl.coalesce("funding_weighted_8h", "funding_simple_8h")
    condition = (reference >= th.overheated_rate_8h) & (pl.col("oi_change_fraction") >= th.overheated_oi_rise)
    signals = []
    for row in rising_edges(grid, condition, th.cooldown_ms):
        rate, basis = _funding_reference(row)
        assert rate is not None  # the condition held
        evidence = _evidence(row, "funding_weighted_8h", "funding_simple_8h", "funding_venues", "oi_usd")
        evidence |= _evidence(row, "oi_change_fraction", "price_change_fraction", "close")
        sentence = (
            f"Funding is overheated at {say.rate_8h(rate)} ({basis} over {say.names(row['funding_venues'])}, "
            f"settled; {rate / BASELINE_8H:.1f}x the 0.01% baseline) while open interest rose "
            f"{say.percent(row['oi_change_fraction'])} in {say.hours(th.window_ms)} to {say.moment(row['time'])}: "
            "crowded longs risk a squeeze."
        )
        power = strength(rate / th.overheated_rate_8h, row["oi_change_fraction"] / th.overheated_oi_rise)
        signals.append(_signal(row, symbol, SignalKind.LONG_SQUEEZE_RISK, power, evidence, sentence, th))
    return signals


def oi_price_divergences(grid: pl.DataFrame, symbol: str, th: SignalThresholds) -> list[Signal]:
    price, oi = pl.col("price_change_fraction"), pl.col("oi_change_fraction")
    up_on_falling = (price >= th.divergence_price) & (oi <= -th.divergence_oi)
    down_on_rising = (price <= -th.divergence_price) & (oi >= th.divergence_oi)
    signals = []
    for row in rising_edges(grid, up_on_falling | down_on_rising, th.cooldown_ms):
        rally = row["price_change_fraction"] > 0
        reading = "short covering: the rally is not new buying" if rally else "new shorts building into the drop"
        sentence = (
            f"Price {say.percent(row['price_change_fraction'])} while open interest "
            f"{say.percent(row['oi_change_fraction'])} ({say.usd(row['oi_usd'] or 0)} now) over "
            f"{say.hours(th.window_ms)} to {say.moment(row['time'])}: {reading}."
        )
        evidence = _evidence(row, "price_change_fraction", "oi_change_fraction", "oi_usd", "close")
        evidence["reading"] = "short covering" if rally else "new shorts building"
        ratios = (
            abs(row["price_change_fraction"]) / th.divergence_price,
            abs(row["oi_change_fraction"]) / th.divergence_oi,
        )
        signals.append(_signal(row, symbol, SignalKind.OI_PRICE_DIVERGENCE, strength(*ratios), evidence, sentence, th))
    return signals


def flips_after_liquidations(
    grid: pl.DataFrame, waves: pl.DataFrame, symbol: str, th: SignalThresholds
) -> list[Signal]:
    """After a wave of long (short) liquidations, the cross-venue mean settled funding turns negative (positive)
    within ``flip_within_ms`` of the wave's end, having had the other sign at its end. Every wave leading to the
    same flip makes one signal: a squeeze in nine bursts is one flip, not nine."""
    funding = grid.filter(pl.col("funding_simple_8h").is_not_null()).sort("time")
    matched: dict[tuple[int, str], tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]] = {}
    for wave in waves.cast(WAVE_SCHEMA).iter_rows(named=True):  # type: ignore[arg-type]
        expected = -1 if wave["side"] == "long" else 1
        before = funding.filter(pl.col("time") <= wave["end"]).tail(1)
        if before.is_empty() or _sign(before["funding_simple_8h"][0]) == expected:
            continue
        after = funding.filter((pl.col("time") > wave["end"]) & (pl.col("time") <= wave["end"] + th.flip_within_ms))
        flipped = after.filter(pl.col("funding_simple_8h") * expected > 0).head(1)
        if flipped.is_empty():
            continue
        row = flipped.row(0, named=True)
        entry = matched.setdefault((row["time"], wave["side"]), (row, before.row(0, named=True), []))
        entry[2].append(wave)
    return [_flip_signal(row, before, _merged(group), symbol, th) for row, before, group in matched.values()]


def _merged(group: list[dict[str, Any]]) -> dict[str, Any]:
    """Waves of one side as one: summed notional and events, the outer times and prices."""
    return {
        "side": group[0]["side"],
        "count": len(group),
        "start": min(wave["start"] for wave in group),
        "end": max(wave["end"] for wave in group),
        "notional_usd": sum(wave["notional_usd"] for wave in group),
        "events": sum(wave["events"] for wave in group),
        "lower_bound": any(wave["lower_bound"] for wave in group),
        "price_low": min(wave["price_low"] for wave in group),
        "price_high": max(wave["price_high"] for wave in group),
    }


def _flip_signal(
    row: dict[str, Any], before: dict[str, Any], wave: dict[str, Any], symbol: str, th: SignalThresholds
) -> Signal:
    to = "negative" if row["funding_simple_8h"] < 0 else "positive"
    evidence = {f"wave_{name}": value for name, value in wave.items()}
    evidence |= {"funding_before_8h": before["funding_simple_8h"], "funding_after_8h": row["funding_simple_8h"]}
    evidence |= _evidence(row, "funding_venues")
    bound = "at least " if wave["lower_bound"] else ""
    waves = f" in {wave['count']} waves" if wave["count"] > 1 else ""
    sentence = (
        f"After {bound}{say.usd(wave['notional_usd'])} of {wave['side']}s were liquidated{waves} between "
        f"{say.price(wave['price_low'])} and {say.price(wave['price_high'])} ({say.moment(wave['start'])} to "
        f"{say.moment(wave['end'])}), mean settled funding over {say.names(row['funding_venues'])} turned {to}: "
        f"{say.rate_8h(before['funding_simple_8h'])} to {say.rate_8h(row['funding_simple_8h'])} by "
        f"{say.moment(row['time'])}."
    )
    power = strength(wave["notional_usd"] / th.waves.min_notional_usd, abs(row["funding_simple_8h"]) / BASELINE_8H)
    return _signal(row, symbol, SignalKind.FLIP_AFTER_LIQUIDATIONS, power, evidence, sentence, th)


def liquidity_sweeps(grid: pl.DataFrame, clusters: pl.DataFrame, symbol: str, th: SignalThresholds) -> list[Signal]:
    """A bar runs through a realized cluster's VWAP (coming from the other side) by at least ``sweep_depth`` of
    it, and a close within ``sweep_bars`` priced bars is back on the side it came from. The cluster must be
    complete before the bar opens; each cluster is swept once."""
    priced = grid.filter(pl.col("close").is_not_null() & pl.col("high").is_not_null() & pl.col("low").is_not_null())
    bars = priced.sort("time").select("time", "open_time", "high", "low", "close").to_dicts()
    big = clusters.cast(CLUSTER_SCHEMA).filter(pl.col("notional_usd") >= th.sweep_min_cluster_usd)  # type: ignore[arg-type]
    signals, swept = [], set()
    for index in range(1, len(bars)):
        bar, previous = bars[index], bars[index - 1]
        for cluster in big.filter(pl.col("last_time") < bar["open_time"]).iter_rows(named=True):
            key = (cluster["side"], cluster["price_low"])
            level = cluster["vwap"]
            upward = previous["close"] < level and bar["high"] >= level * (1 + th.sweep_depth)
            downward = previous["close"] > level and bar["low"] <= level * (1 - th.sweep_depth)
            if key in swept or not (upward or downward):
                continue
            back = next(
                (later for later in bars[index : index + th.sweep_bars] if (later["close"] < level) == upward), None
            )
            if back is not None:
                swept.add(key)
                signals.append(_sweep_signal(back, bar, cluster, upward, symbol, th))
    return sorted(signals, key=lambda signal: signal.time)


def _sweep_signal(
    back: dict[str, Any], bar: dict[str, Any], cluster: dict[str, Any], upward: bool, symbol: str, th: SignalThresholds
) -> Signal:
    extreme = bar["high"] if upward else bar["low"]
    evidence = {
        "level": cluster["vwap"],
        "cluster_side": cluster["side"],
        "cluster_notional_usd": cluster["notional_usd"],
    }
    evidence |= {"cluster_price_low": cluster["price_low"], "cluster_price_high": cluster["price_high"]}
    evidence |= {"cluster_lower_bound": cluster["lower_bound"], "run_time": bar["time"], "run_extreme": extreme}
    evidence |= {"close": back["close"], "direction": "up" if upward else "down"}
    bound = "at least " if cluster["lower_bound"] else ""
    sentence = (
        f"Price ran {'up' if upward else 'down'} through the {say.price(cluster['vwap'])} cluster where {bound}"
        f"{say.usd(cluster['notional_usd'])} of {cluster['side']}s had been liquidated (reaching "
        f"{say.price(extreme)} in the bar to {say.moment(bar['time'])}) and closed back "
        f"{'below' if upward else 'above'} it at {say.price(back['close'])} by {say.moment(back['time'])}: "
        "a liquidity sweep."
    )
    power = strength(cluster["notional_usd"] / th.sweep_min_cluster_usd)
    return _signal(back, symbol, SignalKind.LIQUIDITY_SWEEP, power, evidence, sentence, th)


def detect_all(
    grid: pl.DataFrame, waves: pl.DataFrame, clusters: pl.DataFrame, symbol: str, th: SignalThresholds
) -> list[Signal]:
    """Every detector's signals, sorted by time then kind."""
    found = short_squeeze_setups(grid, symbol, th) + long_squeeze_risks(grid, symbol, th)
    found += flips_after_liquidations(grid, waves, symbol, th) + liquidity_sweeps(grid, clusters, symbol, th)
    found += oi_price_divergences(grid, symbol, th)
    return sorted(found, key=lambda signal: (signal.time, signal.kind.value))


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


def _evidence(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: row.get(name) for name in names}


def _signal(
    row: dict[str, Any],
    symbol: str,
    kind: SignalKind,
    power: float,
    evidence: dict[str, Any],
    sentence: str,
    th: SignalThresholds,
) -> Signal:
    evidence = evidence | {"window_h": th.window_ms / 3_600_000}
    return Signal(
        time=row["time"], symbol=symbol, kind=kind, strength=round(power, 4), evidence=evidence, sentence=sentence
    )
