"""Pure parse functions for Binance USDⓈ-M REST snapshots: premium index, open interest, trader ratios, klines.

History endpoints that the collector pages (fundingRate, openInterestHist) are in ``parse.py``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from perpscope.models import (
    Candle,
    CandleKind,
    FundingKind,
    FundingRate,
    LongShortRatio,
    OIUnit,
    OpenInterest,
    Price,
    PriceKind,
    RatioKind,
    Record,
    TakerVolume,
)
from perpscope.venues.binance import VENUE, endpoints
from perpscope.venues.binance.parse import DEFAULT_INTERVAL_H, canonical
from perpscope.venues.decoding import Payload, decode, decode_as

# The /futures/data ratio endpoints, by the ratio they publish.
RATIO_ENDPOINTS = {
    RatioKind.ACCOUNTS: endpoints.GLOBAL_LONG_SHORT,
    RatioKind.TOP_ACCOUNTS: endpoints.TOP_LONG_SHORT_ACCOUNTS,
    RatioKind.TOP_POSITIONS: endpoints.TOP_LONG_SHORT_POSITIONS,
}


def _source(path: str) -> str:
    return f"binance rest {path}"


def _common(native: str, ts_event: int, ts_recv: int, source: str) -> dict[str, Any]:
    return {
        "venue": VENUE,
        "symbol": canonical(native, source),
        "native_symbol": native,
        "ts_event": ts_event,
        "ts_recv": ts_recv,
        "source": source,
    }


class _PremiumIndex(msgspec.Struct):
    symbol: str
    markPrice: float
    indexPrice: float
    lastFundingRate: str
    nextFundingTime: int
    time: int


def parse_premium_index(payload: Payload, ts_recv: int, *, interval_h: float = DEFAULT_INTERVAL_H) -> list[Record]:
    """``GET /fapi/v1/premiumIndex`` (one symbol, or a list of all): mark, index and the predicted rate.

    ``lastFundingRate`` is, despite its name, the live estimate for ``nextFundingTime``.
    """
    source = _source(endpoints.PREMIUM_INDEX.path)
    answer: _PremiumIndex | list[_PremiumIndex] = decode_as(payload, _PremiumIndex | list[_PremiumIndex], source=source)
    records: list[Record] = []
    for row in answer if isinstance(answer, list) else [answer]:
        if "_" in row.symbol:  # dated futures share the endpoint
            continue
        common = _common(row.symbol, row.time, ts_recv, source)
        records += [
            Price(kind=PriceKind.MARK, price=row.markPrice, **common),
            Price(kind=PriceKind.INDEX, price=row.indexPrice, **common),
        ]
        if row.lastFundingRate != "" and row.nextFundingTime > 0:
            rate = float(row.lastFundingRate)
            records.append(
                FundingRate(
                    rate=rate,
                    interval_h=interval_h,
                    kind=FundingKind.PREDICTED,
                    funding_time=row.nextFundingTime,
                    **common,
                )
            )
    return records


class _OpenInterest(msgspec.Struct):
    symbol: str
    openInterest: float
    time: int = 0


def parse_open_interest(payload: Payload, ts_recv: int) -> OpenInterest:
    """``GET /fapi/v1/openInterest``: the current open interest in base units (no USD value given)."""
    source = _source(endpoints.OPEN_INTEREST.path)
    row = decode(payload, _OpenInterest, source=source)
    return OpenInterest(
        oi_base=row.openInterest, reported=OIUnit.BASE, **_common(row.symbol, row.time or ts_recv, ts_recv, source)
    )


class _RatioRow(msgspec.Struct):
    symbol: str
    longAccount: float
    shortAccount: float
    timestamp: int


def parse_long_short_ratio(payload: Payload, ts_recv: int, *, kind: RatioKind, period: str) -> list[LongShortRatio]:
    """The three ``/futures/data`` long/short ratios. ``longAccount``/``shortAccount`` are shares (0..1): of
    accounts for ACCOUNTS and TOP_ACCOUNTS, of position size for TOP_POSITIONS (same field names)."""
    source = _source(RATIO_ENDPOINTS[kind].path)
    return [
        LongShortRatio(
            kind=kind,
            period=period,
            long_share=row.longAccount,
            short_share=row.shortAccount,
            **_common(row.symbol, row.timestamp, ts_recv, source),
        )
        for row in decode(payload, list[_RatioRow], source=source)
    ]


class _TakerRow(msgspec.Struct):
    buyVol: float
    sellVol: float
    timestamp: int


def parse_taker_ratio(payload: Payload, ts_recv: int, *, native_symbol: str, period: str) -> list[TakerVolume]:
    """``GET /futures/data/takerlongshortRatio``: taker buy and sell volume (base units) per period. The rows do
    not name the symbol, so the caller passes the one it asked for."""
    source = _source(endpoints.TAKER_RATIO.path)
    return [
        TakerVolume(
            period=period,
            buy_volume=row.buyVol,
            sell_volume=row.sellVol,
            **_common(native_symbol, row.timestamp, ts_recv, source),
        )
        for row in decode(payload, list[_TakerRow], source=source)
    ]


_KLINE_PATHS = {
    CandleKind.LAST: endpoints.KLINES.path,
    CandleKind.MARK: endpoints.MARK_PRICE_KLINES.path,
    CandleKind.INDEX: endpoints.INDEX_PRICE_KLINES.path,
}


def parse_klines(
    payload: Payload,
    ts_recv: int,
    *,
    native_symbol: str,
    interval: str,
    kind: CandleKind = CandleKind.LAST,
    closed_only: bool = True,
) -> list[Candle]:
    """``/fapi/v1/klines``, ``markPriceKlines``, ``indexPriceKlines``: rows ``[open time, o, h, l, c, volume,
    close time, quote volume, ...]``. A bar whose close time is not yet past ``ts_recv`` is still forming and is
    left out unless ``closed_only`` is False. Mark and index bars have no volume."""
    source = _source(_KLINE_PATHS[kind])
    rows = decode(
        payload, list[tuple[int, float, float, float, float, float, int, float, Any, Any, Any, Any]], source=source
    )
    common = _common(native_symbol, 0, ts_recv, source)
    candles = []
    for open_time, open_, high, low, close, volume, close_time, quote_volume, *_ in rows:
        if closed_only and close_time >= ts_recv:
            continue
        with_volume = kind is CandleKind.LAST
        candles.append(
            Candle(
                **{**common, "ts_event": open_time},
                interval=interval,
                kind=kind,
                open=open_,
                high=high,
                low=low,
                close=close,
                volume=volume if with_volume else None,
                quote_volume=quote_volume if with_volume else None,
            )
        )
    return candles
