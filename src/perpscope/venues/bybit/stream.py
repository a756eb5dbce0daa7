"""One entry point for every Bybit public push this package understands."""

from __future__ import annotations

import msgspec

from perpscope.models import Record
from perpscope.venues.bybit.parse import (
    PUSH,
    all_liquidation_records,
    all_liquidations,
    envelope,
    klines,
    legacy_liquidation_records,
    legacy_liquidations,
)
from perpscope.venues.bybit.tickers import TICKER_TEXT, TickerMerger
from perpscope.venues.decoding import Payload

# Bybit writes ``topic`` first: a tickers message is known from its text and decoded once, its values kept as text.
# Other text is tried as a liquidation push decoded in one pass. Anything else (another key order for tickers, a
# value that is not text, a bad field, another topic) takes the general route below, which decodes the envelope,
# then its data, and skips the message or raises the same error as always.
_TICKERS_TEXT = '{"topic":"tickers.'
_FAILED = (msgspec.ValidationError, msgspec.DecodeError)


def parse_message(payload: Payload, ts_recv: int, merger: TickerMerger) -> list[Record]:
    """Route by topic; ``tickers`` go through ``merger`` (it keeps the snapshot deltas apply to)."""
    if payload.__class__ is str:
        if payload.startswith(_TICKERS_TEXT):
            try:
                message = TICKER_TEXT.decode(payload)
            except _FAILED:
                return _by_topic(payload, ts_recv, merger)
            return merger.parse_text(message, ts_recv)
        records = _liquidation_push(payload, ts_recv)
        if records is not None:
            return records
    return _by_topic(payload, ts_recv, merger)


def _liquidation_push(payload: str, ts_recv: int) -> list[Record] | None:
    """The records of a liquidation push decoded in one pass; None for any other text."""
    try:
        push = PUSH.decode(payload)
    except _FAILED:
        return None
    kind = push.topic.split(".", 1)[0]
    if kind == "allLiquidation" and isinstance(push.data, list):
        return list(all_liquidation_records(push.data, ts_recv))
    if kind == "liquidation" and not isinstance(push.data, list):
        return list(legacy_liquidation_records(push.data, ts_recv))
    return None


def _by_topic(payload: Payload, ts_recv: int, merger: TickerMerger) -> list[Record]:
    topic, _, data = envelope(payload)
    kind = topic.split(".", 1)[0]
    if kind == "tickers":
        return merger.parse(payload, ts_recv)
    if kind == "allLiquidation":
        return list(all_liquidations(data, ts_recv))
    if kind == "liquidation":
        return list(legacy_liquidations(data, ts_recv))
    if kind == "kline":
        return list(klines(topic, data, ts_recv))
    return []
