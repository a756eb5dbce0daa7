"""Static facts about venues that importers need when a file does not say them: the quote currency of a venue's
usual perpetuals, its usual funding interval, whether its public liquidation feed is complete, and the contract
sizes of venues that count sizes in contracts. Live instrument data from the venue packages overrides these.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class VenueFacts:
    quote: str  # quote of the venue's usual linear perpetuals (USDT, or USD for USDC-margined venues)
    funding_interval_h: float  # the usual settlement interval; a few listings differ (see the instrument)
    complete_liquidations: bool  # False: the public feed is throttled, totals are lower bounds (METHOD.md §4)


VENUES: dict[str, VenueFacts] = {
    "binance": VenueFacts("USDT", 8.0, complete_liquidations=False),
    "bybit": VenueFacts("USDT", 8.0, complete_liquidations=True),
    "okx": VenueFacts("USDT", 8.0, complete_liquidations=False),
    "hyperliquid": VenueFacts("USD", 1.0, complete_liquidations=True),
    "kraken": VenueFacts("USD", 1.0, complete_liquidations=False),
    "lighter": VenueFacts("USD", 1.0, complete_liquidations=False),
    "dydx": VenueFacts("USD", 1.0, complete_liquidations=False),
}

# Base units per contract for venues that size orders in contracts (OKX ``ctVal`` of the USDT swaps). Checked
# against the sample data: an OKX open-interest snapshot computed as contracts x price is 100x (BTC), 10x (ETH,
# HYPE), 1x (SOL) and 1/1000x (DOGE) the venue's own ``oiUsd`` three hours later.
CONTRACT_SIZES: dict[tuple[str, str], float] = {
    ("okx", "BTC"): 0.01,
    ("okx", "ETH"): 0.1,
    ("okx", "SOL"): 1.0,
    ("okx", "DOGE"): 1000.0,
    ("okx", "HYPE"): 0.1,
}

CONTRACT_SIZED_VENUES = frozenset(venue for venue, _ in CONTRACT_SIZES)


def facts(venue: str) -> VenueFacts | None:
    return VENUES.get(venue.lower())


def contract_size(venue: str, base: str) -> float | None:
    """Base units per contract, or None when the venue sizes in base units or the contract is not listed."""
    return CONTRACT_SIZES.get((venue.lower(), base.upper()))
