"""Pure parse functions: Hyperliquid payload (bytes or decoded JSON) -> typed records.

Conventions (docs: https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api):
- Funding is paid every hour: every rate here has ``interval_h = 1``. ``fundingHistory`` rows are settled rates
  at ``time`` (millisecond jitter kept); ``activeAssetCtx``/``metaAndAssetCtxs`` ``funding`` is the live estimate
  for the next whole hour.
- Asset contexts carry no timestamp: their ``ts_event`` is ``ts_recv``.
- Sizes and open interest are in coins (base units); prices in USD (USDC at par).
"""

from __future__ import annotations

import msgspec

from perpscope.errors import ParseError
from perpscope.models import FundingKind, FundingRate
from perpscope.venues.decoding import Payload, decode
from perpscope.venues.hyperliquid import VENUE, symbols
from perpscope.venues.hyperliquid.capabilities import CAPABILITIES

INTERVAL_H = CAPABILITIES.default_funding_interval_h
REST_SOURCE = "hyperliquid rest /info"
WS_SOURCE = "hyperliquid ws"


def canonical(coin: str, source: str) -> str:
    try:
        return symbols.to_canonical(coin)
    except ParseError as error:
        raise error.located(file=source) from None


class _FundingRow(msgspec.Struct):
    coin: str
    fundingRate: float
    time: int
    premium: float | None = None


def parse_funding_history(payload: Payload, ts_recv: int) -> list[FundingRate]:
    """``{"type": "fundingHistory"}``: hourly settled rates, oldest first."""
    source = f"{REST_SOURCE} fundingHistory"
    funding_rows = decode(payload, list[_FundingRow], source=source)
    return [
        FundingRate(
            venue=VENUE,
            symbol=canonical(row.coin, source),
            native_symbol=row.coin,
            ts_event=row.time,
            ts_recv=ts_recv,
            source=source,
            rate=row.fundingRate,
            interval_h=INTERVAL_H,
            kind=FundingKind.SETTLED,
            funding_time=row.time,
        )
        for row in funding_rows
    ]
