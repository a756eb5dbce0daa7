"""The analysis layer's findings for a report, read through the service facade (docs/analytics.md): liquidation
waves, signals, cross-venue funding turns and overheated-regime changes.

Every call covers the report's window ``[start, end]``; the facade's ranges are half-open, so ``end + 1`` is passed
where the range excludes its end. A finding the service cannot compute (no candles for the market grid, say) comes
back as the service's own error message, which the report prints in one line instead of the section.
"""

from __future__ import annotations

from perpscope.api import Perpscope
from perpscope.errors import QueryError
from perpscope.report.data import FundingTurn, RegimeChange, Signal, Wave, Window


def waves(api: Perpscope, window: Window) -> tuple[Wave, ...]:
    """Bursts of one side's liquidations with events in the window, oldest first."""
    found = api.liquidation_waves(window.symbol, window.start, window.end + 1)
    return tuple(
        Wave(
            start=row["start"],
            end=row["end"],
            side=row["side"],
            notional_usd=row["notional_usd"],
            events=row["events"],
            low_price=row["price_low"],
            high_price=row["price_high"],
            venues=tuple(row["venues"]),
            lower_bound=row["lower_bound"],
        )
        for row in found.iter_rows(named=True)
    )


def signals(api: Perpscope, window: Window) -> tuple[tuple[Signal, ...], str | None]:
    """Signals in ``(start, end]`` with the analysis layer's sentences, oldest first; or the reason there are none
    to show (the service's error)."""
    try:
        found = api.signals(window.symbol, window.start, window.end)
    except (QueryError, ValueError) as error:
        return (), str(error)
    ordered = sorted(found, key=lambda item: (item.time, str(item.kind)))
    return tuple(Signal(str(item.kind), item.time, item.strength, item.sentence) for item in ordered), None


def funding_turns(api: Perpscope, window: Window) -> tuple[FundingTurn, ...]:
    """Moments in the window when every venue with settled funding in it had the same sign after a mixed or
    opposite spell. A turn to positive is kept only when it ends an all-negative spell: every venue positive is
    the ordinary state of a perpetual market and says nothing on its own."""
    try:
        flips = api.funding_flips(window.symbol, window.start, window.end + 1)
    except (QueryError, ValueError):
        return ()  # no settled funding: the funding section already says so
    turns = [
        FundingTurn(row["time"], row["to_sign"], tuple(row["venues"]), row["first_since"])
        for row in flips["cross_venue"].iter_rows(named=True)
    ]
    kept, previous = [], None
    for turn in sorted(turns, key=lambda item: item.time):
        if turn.sign == "negative" or previous == "negative":
            kept.append(turn)
        previous = turn.sign
    return tuple(kept)


def regime_changes(api: Perpscope, window: Window) -> tuple[RegimeChange, ...]:
    """Each venue's settled prints in the window that entered or left the overheated regime, oldest first."""
    try:
        events = api.regime_events(window.symbol, window.start, window.end + 1)
    except (QueryError, ValueError):
        return ()
    return tuple(
        RegimeChange(row["venue"], row["funding_time"], row["rate_8h"], row["event"], row["regime"])
        for row in events.sort("funding_time", "venue").iter_rows(named=True)
    )
