"""The estimated liquidation heatmap and map on the facade (docs/heatmap.md). Outputs are estimates: every result
carries the model's notes, and its sentences say "estimated"."""

from __future__ import annotations

from collections.abc import Sequence

from perpscope.analytics.heatmap.config import HeatmapConfig
from perpscope.service import heatmap as service
from perpscope.service.base import Moment, Service, Span


class HeatmapMethods(Service):
    def heatmap(
        self,
        symbol: str = "BTC",
        range: Span = "7d",
        until: Moment = None,
        venues: Sequence[str] | None = None,
        column: Span = "1h",
        config: HeatmapConfig | None = None,
    ) -> service.HeatmapResult:
        """USD of estimated liquidation levels per price bin and time column, long and short, summed over venues;
        the range ends at ``until`` or just after the newest stored candle."""
        end = self._moment(until, "until")
        if end is None:
            end = service.latest_bar_time(self.store, symbol, venues) + 1
        chosen = config or HeatmapConfig(column_ms=self._span(column))
        return service.heatmap(self.store, symbol, end - self._span(range), end, chosen, venues)

    def liquidation_map(
        self,
        symbol: str = "BTC",
        at: Moment = None,
        targets: Sequence[float] = (),
        venues: Sequence[str] | None = None,
        config: HeatmapConfig | None = None,
    ) -> service.MapResult:
        """Cumulative estimated notional at risk from the price at ``at`` to each target (shorts above, longs below),
        with the sentence "a move to $X would put about $Y of shorts at risk ..."."""
        moment = self._moment(at, "at")
        if moment is None:
            moment = service.latest_bar_time(self.store, symbol, venues)
        return service.liquidation_map(self.store, symbol, moment, targets, config, venues)
