"""Funding as the venues compute it (METHOD.md §1): a time-weighted premium index and the interest clamp.

    F = P_bar + clamp(I - P_bar, -clamp, +clamp), then bounded by the venue's cap and floor

``P_bar`` is the mean of the premium samples over the interval, equally weighted (Binance, OKX) or with weights
1..n (Bybit: later samples count more). ``I`` is the interest rate per interval (0.01% per 8 h, scaled to the
interval). OKX's fixing of the rate one interval early is not modelled: every simulated venue settles the rate of
the interval that ends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EQUAL = "equal"
LINEAR = "linear"  # weights 1..n


@dataclass(frozen=True)
class FundingRules:
    interval_h: float = 8.0
    sample_s: float = 5.0  # how often the premium index is sampled
    weighting: str = EQUAL
    interest_8h: float = 0.0001
    clamp: float = 0.0005
    cap: float = 0.003  # the rate is bounded to [-cap, +cap] per interval

    @property
    def interest(self) -> float:
        return self.interest_8h * self.interval_h / 8.0


def funding_rate(premium_mean: float, rules: FundingRules) -> float:
    """The rate for an interval whose time-weighted premium index is ``premium_mean`` (fraction per interval)."""
    interest = rules.interest
    difference = interest - premium_mean
    # Inside the clamp P + (I - P) is exactly I: return it without floating-point residue.
    rate = interest if abs(difference) <= rules.clamp else premium_mean + math.copysign(rules.clamp, difference)
    return min(max(rate, -rules.cap), rules.cap)


def premium_average(samples: Sequence[float], weighting: str = EQUAL) -> float:
    """The interval's premium index: equal weights, or weights 1..n (``LINEAR``)."""
    if not samples:
        return 0.0
    if weighting == LINEAR:
        total = sum((number + 1) * value for number, value in enumerate(samples))
        return total / (len(samples) * (len(samples) + 1) / 2)
    return sum(samples) / len(samples)


class FundingAccumulator:
    """The running premium average of the current interval, in O(1) per sample (no sample list kept)."""

    def __init__(self, rules: FundingRules):
        self.rules = rules
        self.count = 0
        self.total = 0.0
        self.weighted = 0.0  # sum of (sample number) x sample, for weights 1..n

    def add(self, premium: float) -> None:
        self.count += 1
        self.total += premium
        self.weighted += self.count * premium

    def mean(self) -> float:
        if self.count == 0:
            return 0.0
        if self.rules.weighting == LINEAR:
            return self.weighted / (self.count * (self.count + 1) / 2)
        return self.total / self.count

    def rate(self) -> float:
        """The rate if the interval ended now: the venue's live estimate (``predicted``)."""
        return funding_rate(self.mean(), self.rules)

    def settle(self) -> float:
        """The interval's rate; starts the next interval."""
        rate = self.rate()
        self.count, self.total, self.weighted = 0, 0.0, 0.0
        return rate
