"""Analysis on the facade (docs/analytics.md): regimes, flips, the market grid, waves, clusters, ratios, the
positioning index and signals. Each method resolves its time arguments and calls :mod:`perpscope.service.analysis`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from perpscope.analytics import waves
from perpscope.analytics.sentiment import PositioningIndex
from perpscope.analytics.signals import DEFAULT_THRESHOLDS, Signal, SignalThresholds
from perpscope.service import analysis
from perpscope.service.base import Moment, Service, Span
from perpscope.times import now_ms


class AnalysisMethods(Service):
    def _range(self, since: Moment, until: Moment) -> tuple[int, int]:
        end = self._moment(until, "until")
        end = now_ms() if end is None else end
        start = self._moment(since, "since")
        return (end - self._span("30d") if start is None else start), end

    def signals(
        self,
        symbol: str = "BTC",
        since: Moment = "30d",
        until: Moment = None,
        thresholds: SignalThresholds | None = None,
    ) -> list[Signal]:
        """Every signal in ``(since, until]`` with its evidence and sentence."""
        start, end = self._range(since, until)
        return analysis.signals(self.store, symbol, start, end, thresholds or DEFAULT_THRESHOLDS)

    def funding_regimes(self, symbol: str = "BTC", since: Moment = "30d", until: Moment = None) -> Any:
        """Each settled print with its 8-hour equivalent, regime and trailing z-score."""
        return self._frame(analysis.funding_regimes(self.store, symbol, *self._range(since, until)))

    def funding_flips(
        self, symbol: str = "BTC", since: Moment = "30d", until: Moment = None, venues: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """``venue``: sign flips per venue; ``cross_venue``: moments all venues turned together ("first time since")."""
        flips = analysis.funding_flips(self.store, symbol, *self._range(since, until), venues)
        return {name: self._frame(frame) for name, frame in flips.items()}

    def regime_events(self, symbol: str = "BTC", since: Moment = "30d", until: Moment = None) -> Any:
        """Entering and leaving the overheated regime, per venue."""
        return self._frame(analysis.regime_events(self.store, symbol, *self._range(since, until)))

    def market(self, symbol: str = "BTC", since: Moment = "7d", until: Moment = None, window: Span = "24h") -> Any:
        """One row per hour: median price, cross-venue funding, aggregate OI and its change, the OI/price quadrant."""
        start, end = self._range(since, until)
        return self._frame(analysis.market_grid(self.store, symbol, start, end, self._span(window)))

    def open_interest_extremes(self, symbol: str = "BTC", since: Moment = "30d", until: Moment = None) -> Any:
        """Per venue: latest OI and its change from the range's low and high."""
        return self._frame(analysis.oi_extremes(self.store, symbol, *self._range(since, until)))

    def liquidation_waves(
        self, symbol: str = "BTC", since: Moment = "30d", until: Moment = None, options: waves.WaveOptions | None = None
    ) -> Any:
        """Bursts of liquidations found in time and price, each with start, end, price range, side and notional."""
        start, end = self._range(since, until)
        return self._frame(analysis.liquidation_waves(self.store, symbol, start, end, options or waves.DEFAULT_WAVES))

    def liquidation_clusters(
        self, symbol: str = "BTC", since: Moment = "30d", until: Moment = None, bucket_usd: float | None = None
    ) -> Any:
        """Realized liquidation notional by price bucket and side."""
        start, end = self._range(since, until)
        return self._frame(analysis.liquidation_clusters(self.store, symbol, start, end, bucket_usd))

    def ratios(self, symbol: str = "BTC", since: Moment = "30d", until: Moment = None) -> dict[str, Any]:
        """``long_short`` account ratios and ``taker`` buy/sell volume, each with ``ratio``."""
        frames = analysis.ratios(self.store, symbol, *self._range(since, until))
        return {name: self._frame(frame) for name, frame in frames.items()}

    def fear_greed(self, symbol: str = "BTC", at: Moment = None) -> dict[str, Any] | None:
        """alternative.me's Fear & Greed value (0-100) for the day at ``at`` (stored by ``perpscope fetch-sentiment``),
        shown beside the positioning index, never part of it; None when none is stored within two days."""
        moment = self._moment(at, "at")
        return analysis.fear_greed(self.store, symbol, now_ms() if moment is None else moment)

    def positioning(self, symbol: str = "BTC", at: Moment = None, window: Span = "24h") -> PositioningIndex:
        """The 0-100 derivatives positioning index at ``at`` with its components."""
        moment = self._moment(at, "at")
        return analysis.positioning(self.store, symbol, now_ms() if moment is None else moment, self._span(window))
