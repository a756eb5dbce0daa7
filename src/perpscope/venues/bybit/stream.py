"""One entry point for every Bybit public push this package understands."""

from __future__ import annotations

import msgspec

from perpscope.models import Record
from perpscope.venues.bybit.parse import envelope, parse_all_liquidation, parse_kline, parse_liquidation
from perpscope.venues.bybit.tickers import TICKER_TEXT, TickerMerger
from perpscope.venues.decoding import Payload

# Bybit writes ``topic`` first: a tickers message is known from its text and decoded once, its values kept as text.
# Anything else (another key order, a value that is not text, a bad field) takes the general route below, which
# decodes the envelope, then the message, and skips it or raises the same error as always.
_TICKERS_TEXT = '{"topic":"tickers.'


def parse_message(payload: Payload, ts_recv: int, merger: TickerMerger) -> list[Record]:
    """Route by topic; ``tickers`` go through ``merger`` (it keeps the snapshot deltas apply to)."""
    if isinstance(payload, str) and payload.startswith(_TICKERS_TEXT):
        try:
            message = TICKER_TEXT.decode(payload)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return _by_topic(payload, ts_recv, merger)
        return merger.parse_text(message, ts_recv)
    return _by_topic(payload, ts_recv, merger)


def _by_topic(payload: Payload, ts_recv: int, merger: TickerMerger) -> list[Record]:
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
