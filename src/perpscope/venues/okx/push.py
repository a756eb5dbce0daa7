"""OKX v5 websocket pushes as they arrive: the envelope, each channel's rows, and one-pass decoders of a whole push.

Numbers the venue quotes are kept as the text it sent where "" means "not given" (converted by the parse
functions, which say which field was bad); the others are converted while decoding.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

from perpscope.venues.decoding import Decoder
from perpscope.venues.okx import endpoints

RowT = TypeVar("RowT")


class Arg(msgspec.Struct):
    channel: str
    instId: str = ""
    instType: str = ""


class Push(msgspec.Struct):
    """A channel push ``{"arg": {...}, "data": [...]}`` or a REST answer ``{"code": "0", "data": [...]}``;
    subscription acknowledgements carry ``event`` and no data."""

    arg: Arg | None = None
    data: msgspec.Raw = msgspec.Raw()
    event: str = ""
    code: str = "0"
    msg: str = ""


PUSH = Decoder[Push](Push)


class FundingPush(msgspec.Struct):
    instId: str
    fundingTime: str = ""
    fundingRate: str = ""
    nextFundingRate: str = ""
    nextFundingTime: str = ""
    ts: str = ""


FUNDING_ROWS = Decoder[list[FundingPush]](list[FundingPush])


class OpenInterestPush(msgspec.Struct):
    instId: str
    oi: float
    oiCcy: float
    ts: str = ""
    oiUsd: str = ""


OPEN_INTEREST_ROWS = Decoder[list[OpenInterestPush]](list[OpenInterestPush])


class MarkPush(msgspec.Struct):
    instId: str
    markPx: float
    ts: str = ""


MARK_ROWS = Decoder[list[MarkPush]](list[MarkPush])


class IndexPush(msgspec.Struct):
    instId: str
    idxPx: float
    ts: str = ""


INDEX_ROWS = Decoder[list[IndexPush]](list[IndexPush])


class LiquidationDetail(msgspec.Struct):
    bkPx: float
    sz: float
    side: str
    ts: int
    posSide: str = ""


class LiquidationPush(msgspec.Struct):
    instId: str
    details: list[LiquidationDetail]
    instType: str = ""


LIQUIDATION_ROWS = Decoder[list[LiquidationPush]](list[LiquidationPush])


SNIFF = '{"arg":{"channel":"'


class Message(msgspec.Struct, Generic[RowT]):
    arg: Arg
    data: list[RowT]
    code: str = "0"


ONE_PASS: dict[str, msgspec.json.Decoder[Message[Any]]] = {
    endpoints.FUNDING_RATE_CHANNEL: msgspec.json.Decoder(Message[FundingPush], strict=False),
    endpoints.OPEN_INTEREST_CHANNEL: msgspec.json.Decoder(Message[OpenInterestPush], strict=False),
    endpoints.MARK_PRICE_CHANNEL: msgspec.json.Decoder(Message[MarkPush], strict=False),
    endpoints.INDEX_TICKERS_CHANNEL: msgspec.json.Decoder(Message[IndexPush], strict=False),
    endpoints.LIQUIDATION_ORDERS_CHANNEL: msgspec.json.Decoder(Message[LiquidationPush], strict=False),
}
