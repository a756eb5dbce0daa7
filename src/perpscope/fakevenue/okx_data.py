"""OKX v5 position tiers, candles and rubik statistics, as the fake venue speaks them:
``GET /api/v5/public/position-tiers`` (per instrument family, sizes in contracts), ``/api/v5/market/history-candles``
(newest first, exclusive ``after``/``before`` cursors) and the rubik ``long-short-account-ratio-contract`` and
``taker-volume-contract`` rows (newest first, exclusive ``begin``/``end``), in the shapes of the real API.

The records beside each answer are what a correct collector makes of it, written from the documented semantics,
independently of the parsers under test. Position tiers are reference data: compared by the tests, not ledgered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from perpscope.fakevenue.dialect import RestAnswer
from perpscope.fakevenue.market import CandleEvent, RatioEvent, TakerEvent
from perpscope.fakevenue.state import MarketState, window
from perpscope.models import Candle, CandleKind, LongShortRatio, MarginBracket, RatioKind, TakerVolume

VENUE = "okx"
POSITION_TIERS_PATH = "/api/v5/public/position-tiers"
HISTORY_CANDLES_PATH = "/api/v5/market/history-candles"
LONG_SHORT_PATH = "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract"
TAKER_PATH = "/api/v5/rubik/stat/taker-volume-contract"
PAGE_LIMIT = 100  # history-candles and the rubik statistics: at most 100 rows a request
CONTRACT_VALUES = {"BTC": 0.01, "ETH": 0.1}  # ctVal of the linear USDT swaps, in coins
TAKER_UNITS = ("0", "1")  # coin, contracts (the default); "2" (USD) is not served

# Served for a base no MarginTiersEvent was published for: illustrative tiers in base units, not OKX's table.
DEFAULT_TIERS = tuple(
    MarginBracket(floor=floor, cap=cap, max_leverage=leverage, mmr=rate, maintenance_amount=0.0)
    for floor, cap, leverage, rate in (
        (0.0, 10.0, 100.0, 0.004),
        (10.0, 50.0, 50.0, 0.006),
        (50.0, 200.0, 20.0, 0.01),
        (200.0, 1_000.0, 10.0, 0.02),
    )
)


def inst_id(base: str) -> str:
    return f"{base.upper()}-USDT-SWAP"


def number(value: float) -> str:
    """A number as OKX writes it, and the float a parser reads back: the ledger uses the latter."""
    return repr(value)


def _whole(value: float) -> str:
    """Tier sizes (whole contracts) and leverages are written without a decimal point (``"500"``)."""
    whole = round(value)
    return str(whole) if abs(value - whole) <= 1e-9 * max(1.0, abs(value)) else repr(value)


def _common(base: str, ts: int, path: str) -> dict[str, Any]:
    return {
        "venue": VENUE,
        "symbol": f"{base.upper()}-USDT-PERP",
        "native_symbol": inst_id(base),
        "ts_event": ts,
        "ts_recv": ts,
        "source": f"okx rest {path}",
    }


def _answer(data: list[Any]) -> dict[str, Any]:
    return {"code": "0", "msg": "", "data": data}


def _error(code: str, message: str) -> RestAnswer:
    return RestAnswer(400, {"code": code, "msg": message, "data": []}, ())


def _optional_int(text: str | None) -> int | None:
    return int(text) if text else None


def _limit(query: Mapping[str, str]) -> int:
    return min(int(query.get("limit", PAGE_LIMIT)), PAGE_LIMIT)


def _base(query: Mapping[str, str]) -> str:
    return query.get("instId", "").upper().split("-")[0]


def _unknown(base: str) -> RestAnswer | None:
    return None if base in CONTRACT_VALUES else _error("51001", "Instrument ID does not exist")


# -- position tiers ------------------------------------------------------------------------------------------


def position_tiers(query: Mapping[str, str], state: MarketState) -> RestAnswer:
    """Tiers of each asked family (``BTC-USDT``), in contracts of the swap's ``ctVal``; unknown families give none."""
    if query.get("instType") != "SWAP" or query.get("tdMode") not in ("cross", "isolated"):
        return _error("51000", "Parameter instType or tdMode error")
    families = [family for family in query.get("instFamily", "").split(",") if family]
    if not families or len(families) > 5:
        return _error("51000", "Parameter instFamily error")
    rows: list[dict[str, str]] = []
    for family in families:
        base = family.split("-")[0].upper()
        if base in CONTRACT_VALUES:
            rows += _tier_rows(family, state.tiers.get(base) or DEFAULT_TIERS, CONTRACT_VALUES[base])
    return RestAnswer(200, _answer(rows), ())


def _tier_rows(family: str, tiers: tuple[MarginBracket, ...], contract_value: float) -> list[dict[str, str]]:
    return [
        {
            "uly": family,
            "instFamily": family,
            "instId": "",
            "tier": str(position),
            "minSz": _whole(tier.floor / contract_value),
            "maxSz": _whole(tier.cap / contract_value),
            "mmr": number(tier.mmr),
            "imr": number(1 / tier.max_leverage),
            "maxLever": _whole(tier.max_leverage),
            "optMgnFactor": "0",
            "quoteMaxLoan": "",
            "baseMaxLoan": "",
        }
        for position, tier in enumerate(tiers, start=1)
    ]


# -- candles ---------------------------------------------------------------------------------------------------


def history_candles(query: Mapping[str, str], state: MarketState) -> RestAnswer:
    """1-minute bars only; ``after`` asks for bars older than it, ``before`` for bars newer (both exclusive)."""
    if query.get("bar", "1m") != "1m":
        return _error("51000", "Parameter bar error: the fake venue keeps 1m bars")
    base = _base(query)
    if (refused := _unknown(base)) is not None:
        return refused
    before, after = _optional_int(query.get("before")), _optional_int(query.get("after"))
    start = before + 1 if before is not None else None
    end = after - 1 if after is not None else None
    rows = window(state.candles[base], start, end, _limit(query), newest_first=True)
    value = CONTRACT_VALUES[base]
    data = [_candle_row(row, value) for row in rows]
    records = tuple(_candle_record(row, text) for row, text in zip(rows, data, strict=True))
    return RestAnswer(200, _answer(data), records)


def _candle_row(row: CandleEvent, contract_value: float) -> list[str]:
    prices = (row.open, row.high, row.low, row.close)
    volumes = (number(row.volume / contract_value), number(row.volume), number(row.quote_volume))
    return [str(row.ts), *(number(price) for price in prices), *volumes, "1"]  # "1": the bar is closed


def _candle_record(row: CandleEvent, text: list[str]) -> Candle:
    return Candle(
        **_common(row.base, row.ts, HISTORY_CANDLES_PATH),
        interval="1m",
        kind=CandleKind.LAST,
        open=row.open,
        high=row.high,
        low=row.low,
        close=row.close,
        volume=float(text[6]),
        quote_volume=float(text[7]),
    )


# -- rubik statistics ------------------------------------------------------------------------------------------


def _rubik_window(rows: list[Any], query: Mapping[str, str]) -> list[Any]:
    """``begin``: rows newer than it; ``end``: rows older than it (both exclusive); newest first."""
    begin, end = _optional_int(query.get("begin")), _optional_int(query.get("end"))
    start = begin + 1 if begin is not None else None
    stop = end - 1 if end is not None else None
    return window(rows, start, stop, _limit(query), newest_first=True)


def long_short_ratio(query: Mapping[str, str], state: MarketState) -> RestAnswer:
    rows: list[RatioEvent] = _rubik_window(state.ratios[_base(query)], query)
    data = [[str(row.ts), number(row.long_share / row.short_share)] for row in rows]
    records = tuple(_ratio_record(row, float(text[1])) for row, text in zip(rows, data, strict=True))
    return RestAnswer(200, _answer(data), records)


def _ratio_record(row: RatioEvent, ratio: float) -> LongShortRatio:
    """OKX publishes the ratio only: the shares are ratio / (1 + ratio) and 1 / (1 + ratio)."""
    return LongShortRatio(
        **_common(row.base, row.ts, LONG_SHORT_PATH),
        kind=RatioKind.ACCOUNTS,
        period=row.period,
        long_share=ratio / (1 + ratio),
        short_share=1 / (1 + ratio),
    )


def taker_volume(query: Mapping[str, str], state: MarketState) -> RestAnswer:
    """Rows ``[ts, sellVol, buyVol]`` in coins (``unit=0``) or contracts (``unit=1``, the default)."""
    unit = query.get("unit", "1")
    if unit not in TAKER_UNITS:
        return _error("51000", "Parameter unit error: the fake venue serves coins (0) and contracts (1)")
    base = _base(query)
    if (refused := _unknown(base)) is not None:
        return refused
    scale = CONTRACT_VALUES[base] if unit == "1" else 1.0
    rows: list[TakerEvent] = _rubik_window(state.takers[base], query)
    data = [[str(row.ts), number(row.sell_volume / scale), number(row.buy_volume / scale)] for row in rows]
    records = tuple(
        TakerVolume(
            **_common(row.base, row.ts, TAKER_PATH),
            period=row.period,
            buy_volume=float(text[2]) * scale,
            sell_volume=float(text[1]) * scale,
        )
        for row, text in zip(rows, data, strict=True)
    )
    return RestAnswer(200, _answer(data), records)


Handler = Callable[[Mapping[str, str], MarketState], RestAnswer]
HANDLERS: dict[str, Handler] = {
    POSITION_TIERS_PATH: position_tiers,
    HISTORY_CANDLES_PATH: history_candles,
    LONG_SHORT_PATH: long_short_ratio,
    TAKER_PATH: taker_volume,
}
