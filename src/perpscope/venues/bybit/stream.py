"""One entry point for every Bybit public push this package understands."""

from __future__ import annotations

from perpscope.models import Record
from perpscope.venues.bybit.parse import envelope, parse_all_liquidation, parse_kline, parse_liquidation
from perpscope.venues.bybit.tickers import TickerMerger
from perpscope.venues.decoding import Payload


def parse_message(payload: Payload, ts_recv: int, merger: TickerMerger) -> list[Record]:
    """Route by topic; ``tickers`` go through ``merger`` (it keeps the snapshot deltas apply to)."""
    topic, _, _ = envelope(payload)
    kind = topic.split(".", 1)[0]
    if kind == "tickers":
        return merger.parse(payload, ts_recv)
    if kind == "allLiquidation":
        return list(parse_all_liquidation(payload, ts_recv))
    if kind == "liquidation":
        return list(parse_liquidation(payload, ts_recv))
    if kind == "kline":
        return list(parse_kline(payload, ts_recv))
    return []
