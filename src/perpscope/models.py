"""Typed, immutable market records: what every venue, importer and simulator produces.

Conventions, chosen once:

- Time is an ``int`` of **milliseconds since the Unix epoch, UTC**. Venues publish milliseconds, so nothing is
  invented or lost. ``ts_event`` is the venue's time of the fact; ``ts_recv`` is when perpscope received it (for
  imported files: when the file was imported).
- ``symbol`` is canonical, ``BASE-QUOTE-PERP`` (``BTC-USDT-PERP``, Hyperliquid's ``BTC-USD-PERP``); the venue's
  own spelling is kept in ``native_symbol``.
- Quantities are in **base units** (BTC), notionals in **USD** (the quote currency, USDT/USDC taken at par).
- Funding rates are fractions per interval as the venue publishes them (``0.0001`` = 0.01% per ``interval_h``).
- ``source`` says how a record arrived (``"binance ws"``, ``"import fundingRate.csv"``): every number shown to a
  user can name it.
"""

from __future__ import annotations

import math
from enum import StrEnum

import msgspec

HOURS_PER_YEAR = 8760


class Side(StrEnum):
    """Side of a *position*. For liquidations: the side of the position that was liquidated."""

    LONG = "long"
    SHORT = "short"


class FundingKind(StrEnum):
    SETTLED = "settled"  # paid at ``funding_time``
    PREDICTED = "predicted"  # the venue's live estimate of the next settlement
    DAILY_MEAN = "daily_mean"  # an aggregate published by a third party: mean of one UTC day's settled rates


class OIUnit(StrEnum):
    CONTRACTS = "contracts"
    BASE = "base"
    USD = "usd"


class CandleKind(StrEnum):
    LAST = "last"
    MARK = "mark"
    INDEX = "index"


class PriceKind(StrEnum):
    MARK = "mark"
    INDEX = "index"


class RatioKind(StrEnum):
    ACCOUNTS = "accounts"  # all accounts: share of accounts net long
    TOP_ACCOUNTS = "top_accounts"  # top traders by margin, counted by accounts
    TOP_POSITIONS = "top_positions"  # top traders, weighted by position size


class Record(msgspec.Struct, frozen=True, kw_only=True):
    venue: str
    symbol: str
    native_symbol: str
    ts_event: int
    ts_recv: int
    source: str = ""


class MarginBracket(msgspec.Struct, frozen=True, kw_only=True):
    """One notional tier: positions with ``floor <= notional < cap`` use ``mmr`` and ``maintenance_amount``."""

    floor: float
    cap: float
    max_leverage: float
    mmr: float
    maintenance_amount: float  # Binance ``cum``, Bybit ``mm_deduction``, in USD


class _StoredBracket(msgspec.Struct, frozen=True, kw_only=True):
    floor: float
    cap: float | None  # JSON has no infinity: an uncapped top tier is stored as null
    max_leverage: float
    mmr: float
    maintenance_amount: float


def brackets_from_json(text: str | bytes) -> tuple[MarginBracket, ...]:
    """Brackets as the store keeps them (``instruments.margin_brackets``, JSON), a null cap read as no cap."""
    return tuple(
        MarginBracket(
            floor=row.floor,
            cap=math.inf if row.cap is None else row.cap,
            max_leverage=row.max_leverage,
            mmr=row.mmr,
            maintenance_amount=row.maintenance_amount,
        )
        for row in msgspec.json.decode(text, type=list[_StoredBracket])
    )


class Instrument(Record, frozen=True, kw_only=True):
    base: str
    quote: str
    settle: str
    contract_size: float = 1.0  # base units per contract (OKX ``ctVal``); 1 where sizes are in base units
    tick_size: float | None = None
    funding_interval_h: float = 8.0
    inverse: bool = False
    margin_brackets: tuple[MarginBracket, ...] = ()


class FundingRate(Record, frozen=True, kw_only=True):
    rate: float  # fraction per interval, as published
    interval_h: float
    kind: FundingKind = FundingKind.SETTLED
    funding_time: int  # the settlement this rate is for (== ts_event for settled prints)

    @property
    def rate_8h(self) -> float:
        return rate_8h(self.rate, self.interval_h)

    @property
    def apr(self) -> float:
        return apr(self.rate, self.interval_h)


class OpenInterest(Record, frozen=True, kw_only=True):
    """Open interest, one side counted. ``reported`` names the unit the venue gave; the others are derived:
    contracts x ``contract_size`` = base; base x ``conversion_price`` (mark, or the bar's close) = USD."""

    oi_contracts: float | None = None
    oi_base: float | None = None
    oi_usd: float | None = None
    reported: OIUnit
    conversion_price: float | None = None


class Liquidation(Record, frozen=True, kw_only=True):
    side: Side  # the liquidated position's side: a long liquidated is a forced SELL order
    price: float
    quantity: float  # base units
    notional_usd: float
    complete: bool  # False: the venue's feed is throttled, so totals are lower bounds (METHOD.md §4)


class LiquidationTotal(Record, frozen=True, kw_only=True):
    """A third party's aggregate of liquidations over ``period`` starting at ``ts_event``."""

    period: str
    long_usd: float
    short_usd: float
    count: int | None = None


class Price(Record, frozen=True, kw_only=True):
    kind: PriceKind
    price: float


class Candle(Record, frozen=True, kw_only=True):
    """``ts_event`` is the bar's open time. ``volume`` in base units; ``quote_volume`` in USD when given."""

    interval: str  # canonical: 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d
    kind: CandleKind = CandleKind.LAST
    open: float
    high: float
    low: float
    close: float
    volume: float | None = None
    quote_volume: float | None = None


class LongShortRatio(Record, frozen=True, kw_only=True):
    kind: RatioKind
    period: str
    long_share: float  # 0..1
    short_share: float  # 0..1

    @property
    def ratio(self) -> float:
        return self.long_share / self.short_share if self.short_share else float("inf")


class TakerVolume(Record, frozen=True, kw_only=True):
    period: str
    buy_volume: float  # taker buys, base units
    sell_volume: float  # taker sells, base units

    @property
    def ratio(self) -> float:
        return self.buy_volume / self.sell_volume if self.sell_volume else float("inf")


class Gap(Record, frozen=True, kw_only=True):
    """A span of a channel with no data that could not be backfilled (``ts_event`` is the span's start).
    ``symbol`` and ``native_symbol`` are ``"*"`` when a whole connection was down."""

    channel: str  # e.g. "liquidations", "funding", "open_interest"
    ts_end: int
    reason: str  # e.g. "reconnect", "restart", "stale connection"
    backfilled: bool = False


class SentimentIndex(Record, frozen=True, kw_only=True):
    """One value of a published market-sentiment index for the period starting at ``ts_event`` (a UTC day for
    alternative.me's Fear & Greed). ``venue`` is the publisher; ``symbol`` the base asset whose market the index
    measures (``BTC``: alternative.me computes it from Bitcoin's volatility, volume, dominance and searches)."""

    series: str  # the publisher's index, e.g. "fear_greed"
    value: float  # 0 (extreme fear) .. 100 (extreme greed), as published
    classification: str  # the publisher's own label, e.g. "Extreme Fear"


SIMULATED_SOURCE_PREFIX = "sim"  # the simulator's records, and what the collector stores from a served simulator


def is_simulated_source(source: str) -> bool:
    """True for a ``source`` written by perpscope's simulator: such numbers are never to pass for a venue's."""
    lowered = source.lower()
    return lowered == SIMULATED_SOURCE_PREFIX or lowered.startswith(SIMULATED_SOURCE_PREFIX + " ")


def rate_8h(rate: float, interval_h: float) -> float:
    """The 8-hour equivalent of a rate paid every ``interval_h`` hours (METHOD.md §1)."""
    return rate * 8.0 / interval_h


def apr(rate: float, interval_h: float) -> float:
    """Simple annualised rate: ``rate x 8760 / interval_h`` (0.01% per 8 h = 10.95%)."""
    return rate * HOURS_PER_YEAR / interval_h


def canonical_symbol(base: str, quote: str) -> str:
    return f"{base.upper()}-{quote.upper()}-PERP"


def base_of(symbol: str) -> str:
    """``BTC-USDT-PERP`` -> ``BTC``; a bare ``BTC`` stays ``BTC``."""
    return symbol.split("-", 1)[0].upper()
