"""ccxt's unified structures to perpscope records. Pure: no ccxt import, no I/O.

Inputs are the plain dicts ccxt returns: a *market* (``load_markets()`` values), a *funding rate history
structure* (``fetchFundingRateHistory``), a *funding rate structure* (``fetchFundingRate``) and an *open interest
structure* (``fetchOpenInterestHistory``), documented at https://docs.ccxt.com.

Units, as ccxt defines them: ``openInterestAmount`` counts **contracts** (OKX's ``oi``, Gate's ``open_interest``)
and ``contractSize`` is base units per contract, so base = contracts x contractSize; where ``contractSize`` is 1
(Binance, Bybit USDT swaps) a contract *is* one base unit and the amount is reported as base.
``openInterestValue`` is in the quote currency, taken at par as USD for linear swaps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from perpscope.errors import InputError, ParseError
from perpscope.models import FundingKind, FundingRate, OIUnit, OpenInterest, canonical_symbol

Market = Mapping[str, Any]
HOUR_MS = 3_600_000
QUOTE_PREFERENCE = ("USDT", "USDC", "USD")  # for a bare base (``BTC``): the usual linear swaps first
_INTERVAL = re.compile(r"(?P<count>\d+(?:\.\d+)?)(?P<unit>[mhd])")
_UNIT_HOURS = {"m": 1 / 60, "h": 1.0, "d": 24.0}


def source_of(exchange_id: str) -> str:
    return f"ccxt {exchange_id}"


def canonical(market: Market, exchange_id: str) -> str:
    """``BTC/USDT:USDT`` -> ``BTC-USDT-PERP``. Only linear perpetual swaps have a canonical symbol here."""
    name = market.get("symbol", "?")
    if market.get("inverse"):
        raise InputError(
            f"ccxt {exchange_id}: {name} is an inverse (coin-margined) swap; perpscope stores linear perpetuals "
            "only (BASE/QUOTE:QUOTE, e.g. BTC/USDT:USDT)"
        )
    if market.get("expiry") is not None or market.get("future") or not market.get("swap"):
        raise InputError(
            f"ccxt {exchange_id}: {name} is not a perpetual swap (a dated future, spot or option); "
            "perpscope stores linear perpetuals only"
        )
    if not market.get("linear"):
        raise InputError(f"ccxt {exchange_id}: {name} is not a linear swap; perpscope stores linear perpetuals only")
    return canonical_symbol(str(market["base"]), str(market["quote"]))


def resolve_market(markets: Mapping[str, Market], wanted: str, exchange_id: str) -> Market:
    """The market a user means by ``BTC``, ``BTC-USDT-PERP``, ``BTC/USDT:USDT`` or the exchange's id
    (``BTCUSDT``). A bare base picks the linear swap quoted in USDT, else USDC, else USD."""
    text = wanted.strip()
    if text in markets:
        return markets[text]
    by_id = {str(market.get("id")): market for market in markets.values() if market.get("swap")}
    if text in by_id:
        return by_id[text]
    parts = text.upper().split("-")
    if len(parts) == 3 and parts[2] == "PERP":
        unified = f"{parts[0]}/{parts[1]}:{parts[1]}"
        if unified in markets:
            return markets[unified]
    elif len(parts) == 1 and "/" not in text:
        for quote in QUOTE_PREFERENCE:
            unified = f"{parts[0]}/{quote}:{quote}"
            if unified in markets:
                return markets[unified]
    raise InputError(
        f"ccxt {exchange_id} has no linear perpetual for {wanted!r} (try BASE, BASE-QUOTE-PERP or ccxt's "
        "BASE/QUOTE:QUOTE)"
    )


def interval_hours(text: str) -> float:
    """ccxt's funding ``interval`` (``8h``, ``1h``, ``30m``) in hours."""
    match = _INTERVAL.fullmatch(text.strip())
    if not match:
        raise ParseError(f"not an interval like '8h': {text!r}", file="ccxt fetchFundingRate", field="interval")
    return float(match.group("count")) * _UNIT_HOURS[match.group("unit")]


def spacing_intervals(times: Sequence[int], previous: int | None, fallback_h: float) -> list[float]:
    """Each print's interval in hours, from the time since the print before it (``previous``: the last print of
    an earlier page). The first print of a run has nothing before it and takes the spacing to the next one; a
    lone print takes ``fallback_h``. Rounded to minutes: settlement times jitter by milliseconds."""
    intervals = []
    for index, time in enumerate(times):
        before = times[index - 1] if index else previous
        if before is not None and time > before:
            gap = time - before
        elif index + 1 < len(times) and times[index + 1] > time:
            gap = times[index + 1] - time
        else:
            intervals.append(fallback_h)
            continue
        intervals.append(round(gap / 60_000) / 60)
    return intervals


def _number(entry: Mapping[str, Any], field: str, where: str, line: int) -> float:
    value = entry.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParseError(f"expected a number, got {value!r}", file=where, line=line, field=field)
    return float(value)


def _time(entry: Mapping[str, Any], field: str, where: str, line: int) -> int:
    value = entry.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ParseError(f"expected milliseconds since the epoch, got {value!r}", file=where, line=line, field=field)
    return value


def _common(market: Market, venue: str, exchange_id: str, ts_event: int, ts_recv: int) -> dict[str, Any]:
    return {
        "venue": venue,
        "symbol": canonical(market, exchange_id),
        "native_symbol": str(market["id"]),
        "ts_event": ts_event,
        "ts_recv": ts_recv,
        "source": source_of(exchange_id),
    }


def parse_funding_history(
    entries: Sequence[Mapping[str, Any]],
    market: Market,
    *,
    venue: str,
    exchange_id: str,
    ts_recv: int,
    previous: int | None = None,
    fallback_interval_h: float = 8.0,
) -> list[FundingRate]:
    """Settled rates from ``fetchFundingRateHistory`` structures (oldest first). ``timestamp`` is the
    settlement; the interval comes from the spacing of prints (see :func:`spacing_intervals`)."""
    where = f"ccxt {exchange_id} fetchFundingRateHistory"
    times = [_time(entry, "timestamp", where, line) for line, entry in enumerate(entries, 1)]
    intervals = spacing_intervals(times, previous, fallback_interval_h)
    return [
        FundingRate(
            **_common(market, venue, exchange_id, time, ts_recv),
            rate=_number(entry, "fundingRate", where, line),
            interval_h=interval,
            kind=FundingKind.SETTLED,
            funding_time=time,
        )
        for line, (entry, time, interval) in enumerate(zip(entries, times, intervals, strict=True), 1)
    ]


def parse_funding_rate(
    entry: Mapping[str, Any], market: Market, *, venue: str, exchange_id: str, ts_recv: int, fallback_interval_h: float
) -> FundingRate:
    """The predicted rate from a ``fetchFundingRate`` structure: ``fundingRate`` for the settlement at
    ``fundingTimestamp`` (or ``nextFundingTimestamp`` when the exchange gives only that)."""
    where = f"ccxt {exchange_id} fetchFundingRate"
    funding_field = "fundingTimestamp" if entry.get("fundingTimestamp") is not None else "nextFundingTimestamp"
    funding_time = _time(entry, funding_field, where, 1)
    stamp = entry.get("timestamp")
    ts_event = stamp if isinstance(stamp, int) and not isinstance(stamp, bool) and stamp > 0 else ts_recv
    interval = entry.get("interval")
    return FundingRate(
        **_common(market, venue, exchange_id, ts_event, ts_recv),
        rate=_number(entry, "fundingRate", where, 1),
        interval_h=interval_hours(interval) if isinstance(interval, str) else fallback_interval_h,
        kind=FundingKind.PREDICTED,
        funding_time=funding_time,
    )


def parse_open_interest(
    entries: Sequence[Mapping[str, Any]], market: Market, *, venue: str, exchange_id: str, ts_recv: int
) -> list[OpenInterest]:
    """Open interest from ``fetchOpenInterestHistory`` structures (see the module's note on units)."""
    where = f"ccxt {exchange_id} fetchOpenInterestHistory"
    size = market.get("contractSize") or 1.0
    return [
        _open_interest(entry, market, venue, exchange_id, ts_recv, float(size), where, line)
        for line, entry in enumerate(entries, 1)
    ]


def _open_interest(
    entry: Mapping[str, Any],
    market: Market,
    venue: str,
    exchange_id: str,
    ts_recv: int,
    size: float,
    where: str,
    line: int,
) -> OpenInterest:
    common = _common(market, venue, exchange_id, _time(entry, "timestamp", where, line), ts_recv)
    amount = entry.get("openInterestAmount")
    value = _number(entry, "openInterestValue", where, line) if entry.get("openInterestValue") is not None else None
    if amount is None:
        if value is None:
            raise ParseError(
                "neither openInterestAmount nor openInterestValue is given", file=where, line=line, field="openInterest"
            )
        return OpenInterest(**common, oi_usd=value, reported=OIUnit.USD)
    contracts = _number(entry, "openInterestAmount", where, line)
    base = contracts * size
    price = value / base if value is not None and base > 0 else None
    if size == 1.0:
        return OpenInterest(**common, oi_base=base, oi_usd=value, reported=OIUnit.BASE, conversion_price=price)
    return OpenInterest(
        **common, oi_contracts=contracts, oi_base=base, oi_usd=value, reported=OIUnit.CONTRACTS, conversion_price=price
    )
