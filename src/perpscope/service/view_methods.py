"""The first views (docs/views.md): latest funding, open interest and liquidations, and their histories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from perpscope import queries
from perpscope.analytics import funding as funding_math
from perpscope.analytics import liquidations as liquidation_math
from perpscope.analytics import open_interest as oi_math
from perpscope.models import FundingKind
from perpscope.service.base import Moment, Service, Span
from perpscope.times import MS_PER_DAY

# Third-party liquidation aggregates are looked up this far before a window, to find periods overlapping it.
_LONGEST_AGGREGATE_PERIOD_MS = 31 * MS_PER_DAY


class ViewMethods(Service):
    # -- funding (docs/views.md) -----------------------------------------------------------------------------

    def funding(self, symbol: str | None = None, at: Moment = None) -> Any:
        """The latest settled funding per venue and symbol at ``at``, normalised, with the next predicted rate
        and the open-interest weights of the cross-venue figure.

        ``symbol``: a base (``BTC``: every venue's ``BTC-*-PERP``), a canonical symbol, or None for all.
        Latest settled at ``at``: the last settled print per venue with ``funding_time <= at``; with no ``at``
        the newest one. Predicted next: the newest predicted row observed at or before ``at`` whose
        ``funding_time`` is after the settled one (else null). Columns: ``rate`` (fraction per ``interval_h``
        hours, as published), ``rate_8h`` (fraction per 8 h), ``apr`` (fraction per year, simple), the
        ``predicted_*`` equivalents, ``oi_usd`` / ``oi_time`` / ``oi_usd_basis`` / ``oi_usd_derived`` (see
        :meth:`open_interest`), ``current``, ``in_aggregate``, ``weight`` (share of the base's OI-weighted
        figure) and ``as_of`` (see :meth:`funding_aggregate`). Times are int milliseconds UTC.
        """
        return self._frame(self._funding_rows(symbol, self._moment(at, "at")))

    def funding_aggregate(self, symbol: str | None = None, at: Moment = None) -> Any:
        """The cross-venue funding per base (METHOD.md §1), one row per base.

        ``oi_weighted_rate_8h`` = sum(rate_8h x OI USD) / sum(OI USD) over the venues whose settled rate is
        current at ``as_of`` (no older than its interval plus 2 h) and whose OI in USD is known and no older
        than 2 h at ``as_of`` (``oi_max_age_h``); ``venues_included`` / ``venues_excluded`` name them.
        ``simple_mean_rate_8h`` averages every current rate unweighted. ``as_of`` is ``at`` when given, else
        the newest settled print or OI print among the rows used: the data's own present, so an imported
        history still has an aggregate at its end. APRs are fractions per year, simple.
        """
        rows = self._funding_rows(symbol, self._moment(at, "at"))
        as_of = int(rows["as_of"][0])
        return self._frame(funding_math.cross_venue(rows, as_of, oi_math.OI_MAX_AGE_MS))

    def funding_history(
        self,
        symbol: str | None = None,
        since: Moment = None,
        until: Moment = None,
        venues: Sequence[str] | None = None,
        kinds: Sequence[FundingKind | str] = (FundingKind.SETTLED,),
    ) -> Any:
        """Funding prints in ``[since, until)`` (settled only unless ``kinds`` says otherwise), oldest first,
        with ``rate_8h`` and ``apr`` computed from each row's own ``interval_h``."""
        rows = queries.funding_history(
            self.store,
            symbol,
            self._moment(since, "since"),
            self._moment(until, "until"),
            venues,
            [FundingKind(kind) for kind in kinds],
        )
        return self._frame(funding_math.with_base(funding_math.normalise(rows)))

    def _funding_rows(self, symbol: str | None, at: int | None) -> pl.DataFrame:
        latest = queries.latest_funding_kinds(self.store, symbol, at, (FundingKind.SETTLED, FundingKind.PREDICTED))
        settled = latest.filter(pl.col("kind") == FundingKind.SETTLED.value)
        if settled.is_empty():
            raise self._nothing("funding", "funding", symbol, at)
        predicted = latest.filter(pl.col("kind") == FundingKind.PREDICTED.value)
        open_interest = self._latest_oi_usd(symbol, at)
        if at is not None:
            as_of = at
        else:
            as_of = max(int(settled["funding_time"].max()), int(open_interest["ts_event"].max() or 0))  # type: ignore[arg-type]
        rows = funding_math.with_predicted(funding_math.normalise(settled), predicted)
        rows = funding_math.with_weights(rows, open_interest, as_of, oi_math.OI_MAX_AGE_MS)
        return rows.select(*funding_math.VIEW_COLUMNS, as_of=pl.lit(as_of, dtype=pl.Int64))

    # -- open interest ---------------------------------------------------------------------------------------

    def open_interest(self, symbol: str | None = None, at: Moment = None, window: Span | None = None) -> Any:
        """The latest open interest per venue and symbol at ``at`` (the newest when None), in USD.

        ``oi_usd``: the stored value, or where the venue gave only base units, ``oi_base`` x the row's own
        conversion price, else x the latest mark price or candle close at ``at``; ``oi_usd_basis`` says which
        and ``oi_usd_derived`` flags every value the venue did not report in USD. ``as_of`` is ``at`` when
        given, else the newest print's time; ``age_ms`` and ``fresh`` (no older than 2 h at ``as_of``) per
        row. With ``window`` (``"24h"``), the change since ``as_of - window``: ``start_time``,
        ``oi_usd_start``, ``change_usd``, ``change_base``, ``change_fraction``; null where no print lies in
        the 2 h before that start.
        """
        return self._frame(self._open_interest_rows(symbol, self._moment(at, "at"), window))

    def open_interest_totals(self, symbol: str | None = None, at: Moment = None, window: Span | None = None) -> Any:
        """Per base, :meth:`open_interest` summed over the fresh venues with a USD value (``oi_usd``,
        ``venues``, and with ``window`` ``change_usd`` over ``venues_with_change``)."""
        return self.open_interest_with_totals(symbol, at, window)[1]

    def open_interest_with_totals(
        self, symbol: str | None = None, at: Moment = None, window: Span | None = None
    ) -> tuple[Any, Any]:
        """:meth:`open_interest` and :meth:`open_interest_totals` from one read of the store."""
        rows = self._open_interest_rows(symbol, self._moment(at, "at"), window)
        totals = oi_math.totals(rows).with_columns(as_of=pl.lit(rows["as_of"][0], dtype=pl.Int64))
        return self._frame(rows), self._frame(totals)

    def _open_interest_rows(self, symbol: str | None, at: int | None, window: Span | None) -> pl.DataFrame:
        latest = self._latest_oi_usd(symbol, at)
        if latest.is_empty():
            raise self._nothing("open_interest", "open interest", symbol, at)
        as_of = at if at is not None else int(latest["ts_event"].max())  # type: ignore[arg-type]
        rows = oi_math.with_age(latest, as_of)
        if window is not None:
            start = as_of - self._span(window)
            rows = oi_math.with_change(rows, self._latest_oi_usd(symbol, start), start)
        return rows.with_columns(as_of=pl.lit(as_of, dtype=pl.Int64))

    def open_interest_history(
        self,
        symbol: str | None = None,
        since: Moment = None,
        until: Moment = None,
        venues: Sequence[str] | None = None,
    ) -> Any:
        """Open-interest prints in ``[since, until)`` as stored, oldest first (``oi_usd`` null where the venue
        gave other units and nothing converted them)."""
        rows = queries.open_interest_history(
            self.store, symbol, self._moment(since, "since"), self._moment(until, "until"), venues
        )
        return self._frame(rows)

    def _latest_oi_usd(self, symbol: str | None, at: int | None) -> pl.DataFrame:
        latest = queries.latest_open_interest(self.store, symbol, at)
        # A latest price values only rows with neither USD nor their own conversion price: look it up only then
        # (two to four queries over a week of candles saved per call when every row carries its own).
        own = pl.col("oi_usd").is_not_null() | (
            pl.col("oi_base").is_not_null() & pl.col("conversion_price").is_not_null()
        )
        if latest.is_empty() or latest.select(own.all()).item():
            return oi_math.with_usd(latest, pl.DataFrame(schema=queries.PRICE_SCHEMA))
        return oi_math.with_usd(latest, queries.latest_prices(self.store, symbol, at))

    # -- liquidations ----------------------------------------------------------------------------------------

    def liquidations(self, symbol: str | None = None, window: Span = "24h", at: Moment = None) -> Any:
        """Liquidation totals per venue and symbol over the window ending at ``at`` (wall-clock now when None):
        events with ``at - window < ts_event <= at``. ``long_usd`` / ``short_usd`` / ``total_usd`` sum
        ``notional_usd`` (USD) by the liquidated position's side; ``lower_bound`` marks a venue whose feed is
        throttled (any event stored with ``complete = false``). ``window_start`` / ``window_end`` repeat the
        window. An empty frame means no liquidations in the window (see :meth:`latest_time`); a symbol with no
        liquidations stored at all is a :class:`QueryError`."""
        since, until = self._window(window, at)
        events = queries.liquidation_events(self.store, symbol, since + 1, until + 1)
        if events.is_empty() and not self._any_liquidations(symbol):
            raise self._nothing("liquidations", "liquidations", symbol, None)
        totals = liquidation_math.totals_by_venue(events)
        bounds = {"window_start": pl.lit(since, dtype=pl.Int64), "window_end": pl.lit(until, dtype=pl.Int64)}
        return self._frame(totals.with_columns(**bounds))

    def liquidation_aggregates(self, symbol: str | None = None, window: Span = "24h", at: Moment = None) -> Any:
        """Third-party liquidation aggregates (``liquidation_totals``: ``long_usd`` / ``short_usd`` in USD per
        ``period``) whose period overlaps the window of :meth:`liquidations`, with ``period_end`` and
        ``overlap_fraction``. Shown beside the event totals, never added to them."""
        since, until = self._window(window, at)
        rows = queries.liquidation_totals(self.store, symbol, since - _LONGEST_AGGREGATE_PERIOD_MS, until + 1)
        return self._frame(liquidation_math.overlapping_aggregates(rows, since + 1, until + 1))

    def liquidation_events(
        self,
        symbol: str | None = None,
        since: Moment = None,
        until: Moment = None,
        venues: Sequence[str] | None = None,
    ) -> Any:
        """Individual liquidations in ``[since, until)``, oldest first: ``side`` of the liquidated position,
        ``price`` (USD), ``quantity`` (base units), ``notional_usd``, ``complete``."""
        rows = queries.liquidation_events(
            self.store, symbol, self._moment(since, "since"), self._moment(until, "until"), venues
        )
        return self._frame(rows)

    def _any_liquidations(self, symbol: str | None) -> bool:
        tables = ("liquidations", "liquidation_totals")
        return any(queries.latest_time(self.store, table, symbol) is not None for table in tables)
