"""The analyst's sentences, written from a :class:`~perpscope.report.data.ReportData` and nothing else.

Every number carries its unit (``$``, ``%``, ``per 8 h``, ``UTC``) and each paragraph ends with the source of
its figures; totals from throttled feeds say "at least"; model outputs say "estimated"; data from the simulator
(``source`` starting with ``sim``) is called simulated in the title and the first sentence.
"""

from __future__ import annotations

from perpscope.analytics.regimes import DEFAULT_THRESHOLDS as REGIMES
from perpscope.report import estimated
from perpscope.report import format as fmt
from perpscope.report.data import (
    FundingSection,
    FundingTurn,
    LiquidationSection,
    OpenInterestSection,
    PriceSection,
    RegimeChange,
    ReportData,
    VenueFunding,
    VenueOpenInterest,
)
from perpscope.times import MS_PER_HOUR

SIMULATED_BANNER = (
    "SIMULATED DATA: every figure in this report comes from perpscope's market simulator, not from a venue."
)
NOTABLE_FALL = 0.02  # a price fall smaller than 2% is not worth a clause of the headline
SIGNAL_NAMES = {
    "short_squeeze_setup": "short-squeeze setup",
    "long_squeeze_risk": "long-squeeze risk",
    "flip_after_liquidations": "funding flip after liquidations",
    "liquidity_sweep": "liquidity sweep",
    "oi_price_divergence": "OI/price divergence",
}
NO_SIGNALS = "No signal was active in the window (the five signals and their thresholds: docs/analytics.md)."


def title(data: ReportData) -> str:
    kind = "simulated " if data.simulated else ""
    window = data.window
    return f"{window.symbol} perpetuals: {kind}market report, {_length(data)} to {fmt.when(window.end)}"


def _length(data: ReportData) -> str:
    return fmt.span(data.window.end - data.window.start)


def _sources_note(sources: tuple[str, ...] | list[str]) -> str:
    unique = sorted(set(sources))
    return f"Source: {'; '.join(unique)}." if unique else ""


def _venues(names: list[str]) -> str:
    return fmt.and_list([fmt.venue_name(name) for name in names])


# -- summary ---------------------------------------------------------------------------------------------------


def headline(data: ReportData) -> str:
    """One paragraph: the price move, the largest open-interest fall, where funding stands."""
    parts = []
    if data.simulated:
        parts.append("In this simulated market,")
    reference = data.price.reference
    if reference is not None:
        verb = "fell" if reference.change_fraction < 0 else "rose"
        parts.append(
            f"{data.window.symbol} {verb} {fmt.percent(abs(reference.change_fraction))} over the {_length(data)}, "
            f"from {fmt.price(reference.open.value)} to {fmt.price(reference.close.value)} "
            f"({fmt.venue_name(reference.venue)} {reference.interval} candles)" + _crash_clause(data.price) + "."
        )
    biggest = _largest_oi_fall(data.open_interest)
    if biggest is not None:
        parts.append(
            f"{fmt.venue_name(biggest.venue)} open interest fell from {fmt.usd(biggest.peak.value)} "
            f"({fmt.when(biggest.peak.time)}) to {fmt.usd(biggest.trough.value)} ({fmt.when(biggest.trough.time)}), "
            f"{fmt.percent(biggest.drawdown_fraction or 0.0)}."
        )
    if data.funding.venues:
        parts.append(_funding_close(data.funding))
    if data.liquidations.venues:
        parts.append(_liquidation_total_sentence(data.liquidations))
    negative = [turn for turn in data.funding_turns if turn.sign == "negative"]
    if negative:
        parts.append(turn_sentence(negative[-1]))
    if data.estimated.map is not None:
        parts.append(estimated.map_sentence(data.estimated.map))
    return " ".join(parts)


def _crash_clause(price: PriceSection) -> str:
    if price.peak is None or price.trough is None or price.trough.value >= price.peak.value:
        return ""
    fall = (price.trough.value - price.peak.value) / price.peak.value
    if fall > -NOTABLE_FALL:
        return ""
    return (
        f"; its deepest fall ran from {fmt.price(price.peak.value)} ({fmt.when(price.peak.time)}) to "
        f"{fmt.price(price.trough.value)} ({fmt.when(price.trough.time)}), {fmt.percent(fall)}"
    )


def _largest_oi_fall(section: OpenInterestSection) -> VenueOpenInterest | None:
    falls = [venue for venue in section.venues if (venue.drawdown_fraction or 0.0) < -0.05]
    return max(falls, key=lambda venue: venue.peak.value - venue.trough.value, default=None)


def _funding_close(section: FundingSection) -> str:
    if section.oi_weighted_8h is not None:
        return (
            f"At the end of the window the open-interest-weighted funding rate was "
            f"{fmt.rate(section.oi_weighted_8h)} per 8 h over {_venues(list(section.oi_weighted_venues))}"
            + (
                f" (simple mean of all current venues: {fmt.rate(section.simple_mean_8h)} per 8 h)."
                if section.simple_mean_8h is not None
                else "."
            )
        )
    if section.simple_mean_8h is not None:
        mean = fmt.rate(section.simple_mean_8h)
        return f"At the end of the window the mean funding rate across venues was {mean} per 8 h."
    return "No venue's funding rate was current at the end of the window."


# -- price -----------------------------------------------------------------------------------------------------


def price_text(data: ReportData) -> list[str]:
    section = data.price
    if section.reference is None:
        return [f"No candles are stored for {data.window.symbol} in the window."]
    paragraphs = []
    if section.widest_day:
        ranges = [
            f"{fmt.price(item.high.value)} to {fmt.price(item.low.value)} on {fmt.venue_name(item.venue)}"
            + (
                f" (low in the {section.reference.interval} candle opened {fmt.clock(item.low.time)})"
                if index == 0
                else ""
            )
            for index, item in enumerate(section.widest_day)
        ]
        paragraphs.append(
            f"The widest day was {fmt.day(section.widest_day[0].day)}: the price went from {fmt.and_list(ranges)}."
        )
    moves = [
        f"{fmt.venue_name(venue.venue)} {fmt.price(venue.open.value)} → {fmt.price(venue.close.value)} "
        f"({fmt.percent(venue.change_fraction, plus=True)}, {fmt.count(venue.bars, 'candle')})"
        for venue in section.venues
    ]
    paragraphs.append(f"Open to close per venue: {'; '.join(moves)}.")
    paragraphs.append(_sources_note([source for venue in section.venues for source in venue.sources]))
    return paragraphs


# -- funding ---------------------------------------------------------------------------------------------------


def _is_current(venue: VenueFunding, end: int) -> bool:
    return end - venue.latest.time <= venue.interval_h * MS_PER_HOUR + 2 * MS_PER_HOUR


def _quoted(venues: list[VenueFunding]) -> str:
    return fmt.and_list([f"{fmt.venue_name(v.venue)} ({fmt.rate(v.latest.value)})" for v in venues])


def funding_text(data: ReportData) -> list[str]:
    """The funding sentence: which venues turned negative or positive over the window, beside the open
    interest change; then the extremes; then the venues whose series stopped before the end."""
    section = data.funding
    if not section.venues:
        return [f"No settled funding is stored for {data.window.symbol} in the window."]
    current = [v for v in section.venues if _is_current(v, data.window.end)]
    groups = {
        "turned negative": [v for v in current if v.first.value >= 0 > v.latest.value],
        "turned positive": [v for v in current if v.first.value < 0 <= v.latest.value],
        "stayed positive": [v for v in current if v.first.value >= 0 and v.latest.value >= 0],
        "stayed negative": [v for v in current if v.first.value < 0 and v.latest.value < 0],
    }
    clauses = [f"{_quoted(venues)} {verb}" for verb, venues in groups.items() if venues]
    sentence = f"Funding across {fmt.and_list(clauses)} (latest settled rates, % per 8 h)" if clauses else ""
    sentence += _oi_clause(data.open_interest, _length(data))
    paragraphs = [sentence + "." if sentence else ""]
    paragraphs += [turn_sentence(turn) for turn in data.funding_turns]
    paragraphs.append(_funding_extremes(section))
    paragraphs.append(regime_text(data.regime_changes))
    stopped = [v for v in section.venues if v not in current]
    if stopped:
        ends = [
            f"{fmt.venue_name(v.venue)}'s at {fmt.when(v.latest.time)} ({fmt.rate(v.latest.value)})" for v in stopped
        ]
        paragraphs.append(f"Series that end before the window does: {fmt.and_list(ends)}.")
    paragraphs.append(_sources_note([source for venue in section.venues for source in venue.sources]))
    return [paragraph for paragraph in paragraphs if paragraph]


def _oi_clause(section: OpenInterestSection, label: str) -> str:
    if section.total_start_usd is None or section.total_end_usd is None or not section.total_start_usd:
        return ""
    change = (section.total_end_usd - section.total_start_usd) / section.total_start_usd
    verb = "rose" if change >= 0 else "fell"
    venues = _venues(list(section.total_venues))
    return f", while open interest on {venues} {verb} {fmt.percent(abs(change))} over the {label}"


def turn_sentence(turn: FundingTurn) -> str:
    """ "Binance, Bybit and OKX were all negative from T, for the first time since T0." """
    venues = _venues(list(turn.venues))
    if turn.sign == "positive":
        return f"{venues} were all positive again from {fmt.when(turn.time)} (settled funding)."
    since = (
        f"for the first time since {fmt.when(turn.first_since)}"
        if turn.first_since is not None
        else "for the first time in the stored history"
    )
    return f"{venues} were all {turn.sign} from {fmt.when(turn.time)}, {since} (settled funding)."


def regime_text(changes: tuple[RegimeChange, ...]) -> str:
    """Per venue, entering and leaving the overheated regime, with the print that did it."""
    if not changes:
        return ""
    clauses = []
    for venue in dict.fromkeys(change.venue for change in changes):
        moves = [
            f"{'entered' if change.event == 'enter' else 'left'} it at {fmt.when(change.time)} "
            f"({fmt.rate(change.rate_8h)}{'' if change.event == 'enter' else ', now ' + change.regime})"
            for change in changes
            if change.venue == venue
        ]
        clauses.append(f"{fmt.venue_name(venue)} {fmt.and_list(moves)}")
    floor = fmt.rate(REGIMES.overheated_from)
    return f"Overheated funding (at least {floor} per 8 h, docs/analytics.md): {'; '.join(clauses)}."


def _funding_extremes(section: FundingSection) -> str:
    lows = sorted((v for v in section.venues if v.low.value < 0), key=lambda v: v.low.value)
    highs = sorted((v for v in section.venues if v.high.value > 0.0001), key=lambda v: -v.high.value)
    low_text = fmt.and_list(
        [f"{fmt.venue_name(v.venue)} {fmt.rate(v.low.value)} ({fmt.when(v.low.time)})" for v in lows]
    )
    high_text = fmt.and_list(
        [f"{fmt.venue_name(v.venue)} {fmt.rate(v.high.value)} ({fmt.when(v.high.time)})" for v in highs]
    )
    if lows and highs:
        return (
            f"The most negative prints were {low_text}; the highest, above the 0.0100% baseline, {high_text} (per 8 h)."
        )
    if lows:
        return f"The most negative prints were {low_text} (per 8 h)."
    if highs:
        return f"The highest prints, above the 0.0100% baseline, were {high_text} (per 8 h)."
    return "Every venue's funding stayed between 0% and the 0.0100% per 8 h baseline."


# -- open interest ---------------------------------------------------------------------------------------------


def open_interest_text(data: ReportData) -> list[str]:
    section = data.open_interest
    if not section.venues:
        return [f"No open interest in USD is stored for {data.window.symbol} in the window."]
    paragraphs = [_venue_oi_sentence(venue, _length(data), data.window.start) for venue in section.venues]
    if section.total_venues and len(section.total_venues) > 1 and section.total_start_usd:
        change = (section.total_end_usd or 0.0) - section.total_start_usd
        paragraphs.append(
            f"Together {_venues(list(section.total_venues))} went from {fmt.usd(section.total_start_usd)} to "
            f"{fmt.usd(section.total_end_usd or 0.0)} ({fmt.percent(change / section.total_start_usd, plus=True)})."
        )
    if any(venue.derived for venue in section.venues):
        paragraphs.append("Values marked derived were converted to USD from base units at the print's own price.")
    paragraphs.append(_sources_note([source for venue in section.venues for source in venue.sources]))
    return paragraphs


def _venue_oi_sentence(venue: VenueOpenInterest, label: str, start: int) -> str:
    name = fmt.venue_name(venue.venue)
    since = (
        f"over the {label}"
        if venue.first.time - start <= 2 * MS_PER_HOUR
        else f"from its first print at {fmt.when(venue.first.time)}"
    )
    text = (
        f"{name} {venue.symbol} open interest went from {fmt.usd(venue.first.value)} to {fmt.usd(venue.last.value)} "
        f"{since} ({fmt.percent(venue.change_fraction or 0.0, plus=True)}, last print {fmt.when(venue.last.time)})."
    )
    if (venue.drawdown_fraction or 0.0) < -0.05:
        text += (
            f" Its largest fall was from {fmt.usd(venue.peak.value)} at {fmt.when(venue.peak.time)} to "
            f"{fmt.usd(venue.trough.value)} at {fmt.when(venue.trough.time)} "
            f"({fmt.percent(venue.drawdown_fraction or 0.0)})"
        )
        text += _steepest_clause(venue) + "."
    return text


def _steepest_clause(venue: VenueOpenInterest) -> str:
    if venue.steepest is None:
        return ""
    top, bottom = venue.steepest
    return (
        f"; the steepest part took it from {fmt.usd(top.value)} at {fmt.when(top.time)} to {fmt.usd(bottom.value)} "
        f"at {fmt.when(bottom.time)} ({fmt.usd(bottom.value - top.value)} in {fmt.duration(bottom.time - top.time)})"
    )


# -- liquidations ----------------------------------------------------------------------------------------------


def _liquidation_total_sentence(section: LiquidationSection) -> str:
    bound = "at least " if section.lower_bound else ""
    return (
        f"Liquidations came to {bound}{fmt.usd(section.long_usd)} of longs and {bound}{fmt.usd(section.short_usd)} "
        f"of shorts on {_venues([venue.venue for venue in section.venues])}."
    )


def liquidation_text(data: ReportData) -> list[str]:
    section = data.liquidations
    if not section.venues:
        latest = f" (latest stored event: {fmt.when(section.latest_stored)})" if section.latest_stored else ""
        return [
            f"No liquidation events are stored for {data.window.symbol} in the window{latest}, so this report "
            "cannot size the liquidations of the move."
        ]
    paragraphs = [_liquidation_total_sentence(section)]
    bounded = [venue.venue for venue in section.venues if venue.lower_bound]
    if bounded:
        paragraphs.append(
            f"{_venues(bounded)} {'publishes' if len(bounded) == 1 else 'publish'} a throttled feed that drops "
            "events, so "
            f"{'its' if len(bounded) == 1 else 'their'} figures are lower bounds: the true totals are at least these."
        )
    paragraphs.append(_sources_note([source for venue in section.venues for source in venue.sources]))
    return paragraphs


def waves_text(section: LiquidationSection) -> list[str]:
    """How many waves, and the largest one; every wave is in the table below."""
    if not section.waves:
        return ["No liquidation wave (a burst of one side's liquidations: docs/analytics.md) in the window."]
    largest = max(section.waves, key=lambda wave: wave.notional_usd)
    bound = "at least " if largest.lower_bound else ""
    count = fmt.count(len(section.waves), "liquidation wave")
    return [
        f"The window had {count} (bursts of one side's liquidations, docs/analytics.md); the largest liquidated {bound}"
        f"{fmt.usd(largest.notional_usd)} of {largest.side}s in {fmt.count(largest.events, 'event')} from "
        f"{fmt.when(largest.start)} to {fmt.clock(largest.end)} ({fmt.duration(largest.end - largest.start)}), "
        f"prices {fmt.price(largest.high_price)} to {fmt.price(largest.low_price)} on {_venues(list(largest.venues))}."
    ]


# -- signals ---------------------------------------------------------------------------------------------------


def signals_text(data: ReportData) -> list[str]:
    if data.signals_absent is not None:
        return [f"Signals could not be computed: {data.signals_absent}."]
    if not data.signals:
        return [NO_SIGNALS]
    return [f"{fmt.when(signal.time)}, {signal_name(signal.kind)}: {signal.sentence}" for signal in data.signals]


def signal_name(kind: str) -> str:
    """``short_squeeze_setup`` -> ``short-squeeze setup``."""
    return SIGNAL_NAMES.get(kind, kind.replace("_", " "))
