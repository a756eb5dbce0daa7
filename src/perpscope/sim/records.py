"""The venue records a simulated market publishes, in perpscope's models (the same the collector writes).

Every record has ``source="sim"``, ``ts_recv == ts_event`` and the venue's real name and native symbol, so the
analytics run on it unchanged and any number shown from it names its origin. Candles are the last price's, built
from every step; volumes are taker volume in base units (and USD at the step's last price).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from perpscope.models import (
    Candle,
    CandleKind,
    FundingKind,
    FundingRate,
    Liquidation,
    LongShortRatio,
    OIUnit,
    OpenInterest,
    Price,
    PriceKind,
    RatioKind,
    Record,
    Side,
    TakerVolume,
)
from perpscope.sim.venues import SYMBOL

if TYPE_CHECKING:
    from perpscope.sim.exchange import LiquidationRow, Venue
    from perpscope.sim.market import Market

SOURCE = "sim"


@dataclass
class _Bar:
    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0
    quote_volume: float = 0.0


class RecordMaker:
    def __init__(self, market: Market):
        self.market = market
        self._bars: dict[str, _Bar] = {}
        self._volumes: dict[str, tuple[float, float]] = {}  # taker volume at the last period print
        self._period_volume: dict[str, tuple[float, float]] = {}

    def due(
        self,
        previous_ts: int,
        ts: int,
        liquidations: list[LiquidationRow],
        settlements: list[tuple[Venue, tuple[int, float]]],
    ) -> list[Record]:
        records: list[Record] = [self.liquidation(row) for row in liquidations]
        for venue, (funding_time, rate) in settlements:
            records.append(
                self._common(
                    venue,
                    FundingRate,
                    funding_time,
                    rate=rate,
                    interval_h=venue.spec.funding.interval_h,
                    kind=FundingKind.SETTLED,
                    funding_time=funding_time,
                )
            )
        minute_ms, period_ms = self.market.config.minute_s * 1000, self.market.config.period_s * 1000
        for venue in self.market.venues:
            closed = self._bar(venue, ts, minute_ms)
            if closed is not None:
                records.append(closed)
            if ts // minute_ms != previous_ts // minute_ms:
                records.extend(self._minute(venue, (ts // minute_ms) * minute_ms))
            if ts // period_ms != previous_ts // period_ms:
                records.extend(self._period(venue, (ts // period_ms) * period_ms))
        return records

    def _common(self, venue: Venue, record_type: type[Record], ts: int, **fields: object) -> Record:
        return record_type(
            venue=venue.spec.name,
            symbol=SYMBOL,
            native_symbol=venue.spec.native_symbol,
            ts_event=ts,
            ts_recv=ts,
            source=SOURCE,
            **fields,
        )

    def liquidation(self, row: LiquidationRow) -> Liquidation:
        venue = self.market._venue(row.venue)
        record = self._common(
            venue,
            Liquidation,
            row.ts,
            side=Side.LONG if row.side > 0 else Side.SHORT,
            price=row.fill_price,
            quantity=row.quantity,
            notional_usd=row.fill_price * row.quantity,
            complete=True,
        )
        assert isinstance(record, Liquidation)
        return record

    def _bar(self, venue: Venue, ts: int, minute_ms: int) -> Candle | None:
        """Update the venue's 1-minute bar with the step's last price; return the bar that just closed."""
        name, price = venue.spec.name, venue.last
        traded = venue.buy_volume + venue.sell_volume
        previous_traded = self._volumes.get(name, (0.0, 0.0))
        step_volume = traded - previous_traded[0]
        self._volumes[name] = (traded, 0.0)
        # A step ending exactly on a minute belongs to the bar that ends there.
        bar_ts = ((ts - 1) // minute_ms) * minute_ms
        bar = self._bars.get(name)
        closed: Candle | None = None
        if bar is not None and bar.ts != bar_ts:
            closed = self._candle(venue, bar)
            bar = None
        if bar is None:
            bar = self._bars[name] = _Bar(bar_ts, price, price, price, price)
        bar.high, bar.low, bar.close = max(bar.high, price), min(bar.low, price), price
        bar.volume += step_volume
        bar.quote_volume += step_volume * price
        return closed

    def _candle(self, venue: Venue, bar: _Bar) -> Candle:
        record = self._common(
            venue,
            Candle,
            bar.ts,
            interval="1m",
            kind=CandleKind.LAST,
            open=bar.open,
            high=bar.high,
            low=bar.low,
            close=bar.close,
            volume=bar.volume,
            quote_volume=bar.quote_volume,
        )
        assert isinstance(record, Candle)
        return record

    def _minute(self, venue: Venue, ts: int) -> list[Record]:
        index = self.market.index.price
        interval_ms = round(venue.spec.funding.interval_h * 3_600_000)
        next_funding = (ts // interval_ms + 1) * interval_ms
        return [
            self._common(venue, Price, ts, kind=PriceKind.MARK, price=venue.mark),
            self._common(venue, Price, ts, kind=PriceKind.INDEX, price=index),
            self._common(
                venue,
                FundingRate,
                ts,
                rate=venue.predicted,
                interval_h=venue.spec.funding.interval_h,
                kind=FundingKind.PREDICTED,
                funding_time=next_funding,
            ),
        ]

    def _period(self, venue: Venue, ts: int) -> list[Record]:
        name, positions = venue.spec.name, venue.positions
        open_interest = venue.open_interest()
        buys, sells = self._period_volume.get(name, (0.0, 0.0))
        self._period_volume[name] = (venue.buy_volume, venue.sell_volume)
        accounts = max(len(positions), 1)
        period = f"{self.market.config.period_s // 60}m"
        return [
            self._common(
                venue,
                OpenInterest,
                ts,
                oi_base=open_interest,
                oi_usd=open_interest * venue.mark,
                reported=OIUnit.BASE,
                conversion_price=venue.mark,
            ),
            self._common(
                venue,
                LongShortRatio,
                ts,
                kind=RatioKind.ACCOUNTS,
                period=period,
                long_share=positions.long_count / accounts,
                short_share=positions.short_count / accounts,
            ),
            self._common(
                venue,
                TakerVolume,
                ts,
                period=period,
                buy_volume=venue.buy_volume - buys,
                sell_volume=venue.sell_volume - sells,
            ),
        ]
