"""Hyperliquid ``/info`` reference and candle parsers, field by field (real fixture, payloads from the docs)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from perpscope.errors import ParseError
from perpscope.models import Candle, CandleKind, FundingRate, Instrument, MarginBracket, OpenInterest, Price
from perpscope.venues.hyperliquid import parse_rest

TS_RECV = 1_893_456_000_000  # 2030-01-01T00:00:00Z, after every recorded message

Nautilus = Callable[[str], bytes]


def test_meta_max_leverage_per_asset(nautilus: Nautilus) -> None:
    btc, eth, atom = parse_rest.parse_meta(nautilus("hyperliquid/http_meta_perp_sample.json"), TS_RECV)
    assert btc == Instrument(
        venue="hyperliquid",
        symbol="BTC-USD-PERP",
        native_symbol="BTC",
        ts_event=TS_RECV,
        ts_recv=TS_RECV,
        source="hyperliquid rest /info meta",
        base="BTC",
        quote="USD",
        settle="USDC",
        contract_size=1.0,
        tick_size=None,
        funding_interval_h=1.0,
        margin_brackets=(
            MarginBracket(floor=0.0, cap=float("inf"), max_leverage=40.0, mmr=0.0125, maintenance_amount=0.0),
        ),
    )
    assert [(i.symbol, i.margin_brackets[0].max_leverage) for i in (eth, atom)] == [
        ("ETH-USD-PERP", 25.0),
        ("ATOM-USD-PERP", 5.0),
    ]
    assert atom.margin_brackets[0].mmr == 0.1  # 1 / (2 x 5)


META_AND_CONTEXTS = b"""[{"universe": [
  {"name": "BTC", "szDecimals": 5, "maxLeverage": 40},
  {"name": "OLD", "szDecimals": 0, "maxLeverage": 3, "isDelisted": true}]},
 [{"funding": "0.0000125", "openInterest": "27353.17682", "prevDayPx": "76317.0", "dayNtlVlm": "1516669192.19",
   "premium": "-0.0005927453", "oraclePx": "77605.0", "markPx": "77562.0", "midPx": "77558.5",
   "impactPxs": ["77558.0", "77559.0"]},
  {"funding": "0.0", "openInterest": "0.0", "prevDayPx": "0.37621", "dayNtlVlm": "0.0", "premium": null,
   "oraclePx": "0.3754", "markPx": "0.37621", "midPx": null, "impactPxs": null}]]"""


def test_meta_and_asset_ctxs() -> None:
    instrument, funding, open_interest, mark, oracle = parse_rest.parse_meta_and_asset_ctxs(META_AND_CONTEXTS, TS_RECV)
    assert isinstance(instrument, Instrument) and instrument.margin_brackets[0].max_leverage == 40.0
    assert isinstance(funding, FundingRate)
    assert (funding.rate, funding.interval_h, funding.funding_time) == (0.0000125, 1.0, TS_RECV + 3_600_000)
    assert isinstance(open_interest, OpenInterest)
    assert (open_interest.oi_base, open_interest.conversion_price) == (27353.17682, 77562.0)
    assert open_interest.oi_usd == pytest.approx(2_121_567_100.51)  # coins x mark: about $2.12B
    assert isinstance(mark, Price) and isinstance(oracle, Price)
    assert (mark.price, oracle.price, oracle.source) == (77562.0, 77605.0, "hyperliquid rest /info metaAndAssetCtxs")


def test_meta_and_asset_ctxs_mismatch() -> None:
    with pytest.raises(ParseError, match="2 assets but 0 contexts"):
        parse_rest.parse_meta_and_asset_ctxs(META_AND_CONTEXTS.rsplit(b"[{", 1)[0] + b"[]]", TS_RECV)


def test_candle_snapshot() -> None:
    payload = [
        {
            "T": 1681924499999,
            "c": "29258.0",
            "h": "29309.0",
            "i": "15m",
            "l": "29250.0",
            "n": 189,
            "o": "29295.0",
            "s": "BTC",
            "t": 1681923600000,
            "v": "0.98639",
        },
    ]
    (bar,) = parse_rest.parse_candle_snapshot(payload, TS_RECV)
    assert bar == Candle(
        venue="hyperliquid",
        symbol="BTC-USD-PERP",
        native_symbol="BTC",
        ts_event=1681923600000,
        ts_recv=TS_RECV,
        source="hyperliquid rest /info candleSnapshot",
        interval="15m",
        kind=CandleKind.LAST,
        open=29295.0,
        high=29309.0,
        low=29250.0,
        close=29258.0,
        volume=0.98639,
    )
    assert parse_rest.parse_candle_snapshot(payload, 1681924000000) == []  # received before the bar closed


# The shape of the docs' ``meta`` answer (info-endpoint/perpetuals): tiered tables from id 50, flat ids below it
# are one tier at that leverage and are not listed.
META_WITH_TABLES = {
    "universe": [
        {"name": "BTC", "szDecimals": 5, "maxLeverage": 40, "marginTableId": 56},
        {"name": "ETH", "szDecimals": 4, "maxLeverage": 25, "marginTableId": 55},
        {"name": "DOGE", "szDecimals": 0, "maxLeverage": 5, "marginTableId": 5},
        {"name": "OLD", "szDecimals": 0, "maxLeverage": 3, "marginTableId": 3, "isDelisted": True},
    ],
    "marginTables": [
        [55, {"description": "tiered 25x", "marginTiers": [
            {"lowerBound": "100000000.0", "maxLeverage": 15}, {"lowerBound": "0.0", "maxLeverage": 25}]}],
        [56, {"description": "tiered 40x", "marginTiers": [
            {"lowerBound": "0.0", "maxLeverage": 40}, {"lowerBound": "150000000.0", "maxLeverage": 20}]}],
    ],
}  # fmt: skip


def test_meta_margin_tables() -> None:
    btc, eth, doge = parse_rest.parse_meta(META_WITH_TABLES, TS_RECV)
    inf = float("inf")
    # rate = 1 / (2 x max leverage); deduction 150M x (1/40 - 1/80) = 1,875,000 and 100M x (1/30 - 1/50) = 1,333,333.3
    assert btc.margin_brackets == (
        MarginBracket(floor=0.0, cap=150_000_000.0, max_leverage=40.0, mmr=0.0125, maintenance_amount=0.0),
        MarginBracket(floor=150_000_000.0, cap=inf, max_leverage=20.0, mmr=0.025, maintenance_amount=1_875_000.0),
    )
    (low, high) = eth.margin_brackets  # listed out of order: sorted by lower bound
    assert (low.floor, low.cap, low.max_leverage, low.mmr, low.maintenance_amount) == (0.0, 1e8, 25.0, 0.02, 0.0)
    assert (high.floor, high.cap, high.max_leverage) == (1e8, inf, 15.0)
    assert high.mmr == pytest.approx(1 / 30, rel=1e-15)
    assert high.maintenance_amount == pytest.approx(1_333_333.333333, rel=1e-9)
    assert doge.margin_brackets == (
        MarginBracket(floor=0.0, cap=inf, max_leverage=5.0, mmr=0.1, maintenance_amount=0.0),  # flat table 5
    )


def test_meta_names_a_table_it_does_not_list() -> None:
    payload = {"universe": [{"name": "BTC", "szDecimals": 5, "maxLeverage": 40, "marginTableId": 57}]}
    with pytest.raises(ParseError, match=r"margin table 57 of BTC is not in marginTables") as raised:
        parse_rest.parse_meta(payload, TS_RECV)
    assert raised.value.field == "$.universe[0].marginTableId"
    assert "hyperliquid rest /info meta" in str(raised.value)
