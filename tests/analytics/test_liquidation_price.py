"""Exact liquidation prices (METHOD.md §3): every test vector, hand-computed venue cases, and properties.

METHOD.md gives its vectors to 0.1 USD, so they are asserted with an absolute tolerance of 0.05 (half the last
digit). Hand-computed cases below are asserted to 1e-9 relative: the arithmetic is written out beside each.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perpscope.analytics.liquidation import (
    BINANCE_BTCUSDT,
    BYBIT_BTCUSDT,
    HYPERLIQUID_BTC,
    MarginTable,
    binance,
    bybit,
    derive_maintenance_amounts,
    fallback_table,
    hyperliquid,
    isolated_bankruptcy_price,
    liquidation_price,
    liquidation_prices,
    okx,
    side_sign,
    side_signs,
    table_for,
    table_from_brackets,
)
from perpscope.models import Instrument, MarginBracket, Side

VECTOR_TOLERANCE = 0.05  # METHOD.md vectors are rounded to 0.1 USD

# An OKX table for hand computation only (no sourced BTC-USDT-SWAP snapshot is shipped): tiers in contracts of
# ctVal 0.01 BTC, so 0-500 / 501-1,000 / 1,001-2,000 contracts are 0-5 / 5-10 / 10-20 BTC.
OKX_ILLUSTRATIVE = okx.table_from_position_tiers(
    [(0, 500, 100, 0.005), (501, 1_000, 50, 0.01), (1_001, 2_000, 20, 0.02)], 0.01, source="illustrative"
)


# --- METHOD.md §3 test vectors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "leverage", "quantity", "expected"),
    [
        (Side.LONG, 10, 1, 90_402.0),  # (90,000 - 50) / 0.995: 100k notional is bracket 2 (0.5%, cum 50)
        (Side.SHORT, 10, 1, 109_502.5),  # (110,000 + 50) / 1.005
        (Side.LONG, 100, 1, 99_447.2),  # (99,000 - 50) / 0.995
        (Side.LONG, 5, 1, 80_351.8),  # (80,000 - 50) / 0.995
        (Side.LONG, 10, 20, 90_541.0),  # 2M notional, bracket 3: (90,000 - 950 / 20) / 0.9935
    ],
)
def test_binance_method_vectors(side: Side, leverage: float, quantity: float, expected: float) -> None:
    price = liquidation_price("binance", side, 100_000, leverage, quantity)
    assert price == pytest.approx(expected, abs=VECTOR_TOLERANCE)


def test_binance_method_vector_125x_short_uses_the_bracket_of_its_notional() -> None:
    # METHOD.md: "125x short -> 100,348.3". That is (100,800 + 50) / 1.005 = 100,348.26: bracket 2 (0.5%, cum 50),
    # the bracket of the 100k notional. With bracket 1 (0.4%, cum 0) it would be 100,800 / 1.004 = 100,398.41,
    # which does not match. But bracket 2 allows at most 100x, so Binance would refuse this position: the vector is
    # a check of the formula, reproduced with the leverage check off; with it on (default) it is an error.
    price = liquidation_price("binance", Side.SHORT, 100_000, 125, 1, check_max_leverage=False)
    assert price == pytest.approx(100_348.3, abs=VECTOR_TOLERANCE)
    with pytest.raises(ValueError, match=r"leverage 125x is above the 100x allowed .*bracket 2"):
        liquidation_price("binance", Side.SHORT, 100_000, 125, 1)
    # 125x is fine within bracket 1: 0.4 BTC = 40k notional; (100,000 x 1.008) / 1.004 = 100,398.41
    assert liquidation_price("binance", "short", 100_000, 125, 0.4) == pytest.approx(100_800 / 1.004, rel=1e-12)


def test_hyperliquid_method_vector() -> None:
    # 40x max -> maintenance leverage 80, l = 0.0125: 100,000 - (10,000 - 1,250) / (1 - 0.0125) = 91,139.24
    price = liquidation_price("hyperliquid", Side.LONG, 100_000, 10, 1)
    assert price == pytest.approx(91_139.2, abs=VECTOR_TOLERANCE)


def test_hyperliquid_matches_the_documented_formula_form() -> None:
    # liq_price = price - side x margin_available / size / (1 - l x side), margin_available = margin - Q x P x l
    for sign, leverage in ((1, 10), (-1, 10), (1, 40), (-1, 3)):
        margin = 100_000 / leverage
        documented = 100_000 - sign * (margin - 100_000 / 80) / 1 / (1 - sign / 80)
        assert hyperliquid.isolated_liquidation_price(sign, 100_000, leverage, 1) == pytest.approx(
            documented, rel=1e-12
        )


def test_shortcut_formula_is_wrong() -> None:
    exact = liquidation_price("binance", Side.LONG, 100_000, 100, 1)
    shortcut = 100_000 * (1 - 1 / 100)
    also_wrong = 100_000 * (1 - 1 / 100 + 0.005 / 100)
    assert (100_000 - shortcut) / 100_000 == pytest.approx(0.0100, abs=1e-12)  # 1.00% away
    assert (100_000 - exact) / 100_000 == pytest.approx(0.0055, abs=0.00005)  # 0.55% away
    assert exact - shortcut == pytest.approx(447.24, abs=0.01)
    assert abs(exact - also_wrong) > 400


# --- tables -----------------------------------------------------------------------------------------------------


def test_binance_cum_column_is_the_derivation() -> None:
    # cum_n = floor_n x (MMR_n - MMR_{n-1}) + cum_{n-1}: 50k x 0.1% = 50; 600k x 0.15% + 50 = 950; ...
    method_cum = [0, 50, 950, 11_450, 131_450, 481_450, 2_981_450, 14_481_450, 26_481_450, 41_481_450]
    method_cum += [121_481_450, 421_481_450]
    derived = derive_maintenance_amounts(BINANCE_BTCUSDT.floors.tolist(), BINANCE_BTCUSDT.rates.tolist())
    assert derived == pytest.approx(method_cum, abs=1e-6)
    assert BINANCE_BTCUSDT.amounts.tolist() == method_cum


def test_bybit_and_hyperliquid_deductions() -> None:
    # Bybit's page prints the deduction beside each tier; ours are derived: 2M x (0.56% - 0.5%) = 1,200, ...
    published = [0, 1_200, 3_020, 4_300, 5_820, 8_460, 15_460, 20_500, 46_000, 66_000, 80_000, 160_000, 300_000]
    published += [452_000, 502_000, 777_000, 837_000, 967_000, 1_107_000, 1_482_000]
    assert BYBIT_BTCUSDT.amounts.tolist() == pytest.approx(published, abs=1e-6)
    assert BYBIT_BTCUSDT.floors[1] == 2_000_000 and BYBIT_BTCUSDT.caps[-1] == 80_000_000
    assert HYPERLIQUID_BTC.rates.tolist() == [0.0125, 0.025]  # half of 1/40 and 1/20
    assert HYPERLIQUID_BTC.amounts.tolist() == pytest.approx([0.0, 1_875_000.0])  # 150M x (2.5% - 1.25%)


def test_bracket_lookup_is_floor_inclusive() -> None:
    values = [49_999.99, 50_000, -5, 5e9, 3_000_000]  # below the first floor: first; beyond the last cap: last
    assert [BINANCE_BTCUSDT.index(value) for value in values] == [0, 1, 0, 11, 3]
    assert BINANCE_BTCUSDT.indices(np.array(values)).tolist() == [0, 1, 0, 11, 3]


def bracket(floor: float, cap: float, leverage: float, rate: float, amount: float) -> MarginBracket:
    return MarginBracket(floor=floor, cap=cap, max_leverage=leverage, mmr=rate, maintenance_amount=amount)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "no brackets"),
        ([bracket(10, 50, 125, 0.004, 0)], "bracket 1 field 'floor' is 10"),
        (
            [bracket(0, 50, 125, 0.004, 0), bracket(60, 90, 100, 0.005, 0.05)],
            r"bracket 2 field 'floor' is 60, expected 50 \(brackets must be contiguous\)",
        ),
        ([bracket(0, 50, 125, 0.005, 0), bracket(50, 90, 100, 0.004, 0)], "bracket 2 field 'mmr' decreases"),
        ([bracket(0, 50_000, 125, 0.004, 0), bracket(50_000, 9e5, 100, 0.005, 60)], "'maintenance_amount' is 60"),
        ([bracket(0, 50, 125, 1.5, 0)], "bracket 1 field 'mmr'"),
        ([bracket(0, 0, 125, 0.004, 0)], "bracket 1 field 'cap'"),
        ([bracket(0, 50, 0.5, 0.004, 0)], "bracket 1 field 'max_leverage'"),
    ],
)
def test_table_validation_names_bracket_and_field(rows: list[MarginBracket], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MarginTable(rows, source="test")


def test_okx_tables_are_in_base_units_and_not_continuous() -> None:
    assert OKX_ILLUSTRATIVE.floors.tolist() == [0.0, 5.0, 10.0]  # 501 contracts starts where 500 ended
    assert OKX_ILLUSTRATIVE.caps.tolist() == [5.0, 10.0, 20.0]
    assert OKX_ILLUSTRATIVE.amounts.tolist() == [0.0, 0.0, 0.0]
    assert OKX_ILLUSTRATIVE.unit == "base units"
    rows = [bracket(0, 5, 100, 0.005, 0), bracket(5, 10, 50, 0.01, 0)]
    assert table_from_brackets("okx", rows).continuous is False
    with pytest.raises(ValueError, match="maintenance_amount"):
        table_from_brackets("binance", rows)  # Binance needs cum


def test_table_for_prefers_connector_brackets() -> None:
    common = {"venue": "binance", "symbol": "BTC-USDT-PERP", "native_symbol": "BTCUSDT", "ts_event": 0, "ts_recv": 0}
    common |= {"base": "BTC", "quote": "USDT", "settle": "USDT"}
    assert table_for(Instrument(**common)) is BINANCE_BTCUSDT
    live = (bracket(0, 100_000, 50, 0.01, 0), bracket(100_000, 1e6, 20, 0.02, 1_000))
    table = table_for(Instrument(**common, margin_brackets=live, source="binance rest"))
    assert table.rates.tolist() == [0.01, 0.02] and "binance rest" in table.source
    # 1 BTC long 10x at 100k now uses bracket 2 at entry, bracket 1 at the LP notional (~90k): 90,000 / 0.99
    assert liquidation_price("binance", "long", 100_000, 10, 1, table) == pytest.approx(90_000 / 0.99, rel=1e-12)


def test_fallback_lookup_errors_are_clear() -> None:
    with pytest.raises(ValueError, match=r"no fallback margin table for okx BTC-USDT-PERP .*pass table="):
        liquidation_price("okx", "long", 100_000, 10, 1)
    with pytest.raises(ValueError, match="unknown venue 'kraken'"):
        liquidation_price("kraken", "long", 100_000, 10, 1)
    assert fallback_table("Hyperliquid", "btc-usd-perp") is HYPERLIQUID_BTC


# --- Binance: re-check at the liquidation notional, cross ------------------------------------------------------


def test_binance_long_drops_to_the_bracket_of_its_liquidation_notional() -> None:
    # 1 BTC long at 52,000, 10x: entry notional 52k is bracket 2 -> (46,800 - 50) / 0.995 = 46,984.92, whose
    # notional (< 50k) is bracket 1 -> 46,800 / 0.996 = 46,987.95, in bracket 1: stable.
    assert binance.isolated_liquidation_price("long", 52_000, 10, 1) == pytest.approx(46_800 / 0.996, rel=1e-12)


def test_binance_short_rises_to_the_bracket_of_its_liquidation_notional() -> None:
    # 1 BTC short at 48,000, 10x: bracket 1 -> 52,800 / 1.004 = 52,589.64 (notional > 50k) -> bracket 2:
    # (52,800 + 50) / 1.005 = 52,587.06, in bracket 2: stable.
    assert binance.isolated_liquidation_price("short", 48_000, 10, 1) == pytest.approx(52_850 / 1.005, rel=1e-12)


def test_binance_cross() -> None:
    # WB 20,000, other positions' maintenance 1,000 and unrealised PnL -500: C = 18,500;
    # (100,000 - (18,500 + 50)) / 0.995 = 81,859.30
    price = binance.cross_liquidation_price(
        "long", 100_000, 1, 20_000, other_maintenance=1_000, other_unrealized_pnl=-500
    )
    assert price == pytest.approx(81_450 / 0.995, rel=1e-12)
    # a lone position with WB = its isolated margin is the isolated case
    assert binance.cross_liquidation_price("short", 100_000, 1, 10_000) == pytest.approx(110_050 / 1.005, rel=1e-12)


# --- Bybit, OKX, Hyperliquid hand-computed -----------------------------------------------------------------------


def test_bybit_help_page_example() -> None:
    # Bybit's own example: 1 BTC long at 20,000, 50x, MMR 0.5%: IM 400, MM 100, LP = 20,000 - 300 = 19,700
    assert bybit.isolated_liquidation_price("long", 20_000, 50, 1) == pytest.approx(19_700, rel=1e-12)


@pytest.mark.parametrize(
    ("side", "quantity", "leverage", "extra", "expected"),
    [
        ("long", 1, 10, 0, 90_500.0),  # IM 10,000, MM 100,000 x 0.5% = 500: 100,000 - 9,500
        ("short", 1, 10, 0, 109_500.0),  # 100,000 + 9,500
        ("long", 1, 10, 1_000, 89_500.0),  # extra margin 1,000 moves it 1,000 / 1 further
        # 30 BTC = 3M, tier 3 (2.6M-3.2M: 0.63%, deduction 3,020): IM 300,000, MM 18,900 - 3,020 = 15,880;
        # 100,000 - 284,120 / 30 = 90,529.33
        ("long", 30, 10, 0, 100_000 - 284_120 / 30),
        ("short", 30, 10, 0, 100_000 + 284_120 / 30),
    ],
)
def test_bybit_hand_computed(side: str, quantity: float, leverage: float, extra: float, expected: float) -> None:
    price = bybit.isolated_liquidation_price(side, 100_000, leverage, quantity, extra_margin=extra)
    assert price == pytest.approx(expected, rel=1e-12)


def test_bybit_refuses_leverage_above_the_risk_limit_tier() -> None:
    with pytest.raises(ValueError, match=r"85x is above the 80x allowed .*bracket 3"):
        bybit.isolated_liquidation_price("long", 100_000, 85, 30)
    with pytest.raises(ValueError, match="beyond the table's last cap"):
        bybit.isolated_liquidation_price("long", 100_000, 2, 900)  # 90M > 80M


@pytest.mark.parametrize(
    ("side", "quantity", "expected"),
    [
        ("long", 1, 90_000 / 0.9945),  # margin 10,000: (100,000 - 10,000) / (1 - 0.5% - 0.05%) = 90,497.74
        ("short", 1, 110_000 / 1.0055),  # (100,000 + 10,000) / (1 + 0.5% + 0.05%) = 109,398.31
        ("long", 7, 90_000 / 0.9895),  # 700 contracts: tier 2 (1%): 90,000 / (1 - 1% - 0.05%) = 90,955.03
    ],
)
def test_okx_hand_computed(side: str, quantity: float, expected: float) -> None:
    price = okx.isolated_liquidation_price(side, 100_000, 10, quantity, OKX_ILLUSTRATIVE, taker_fee=0.0005)
    assert price == pytest.approx(expected, rel=1e-12)
    dispatched = liquidation_price("okx", side, 100_000, 10, quantity, OKX_ILLUSTRATIVE, taker_fee=0.0005)
    assert dispatched == price


def test_hyperliquid_cross_matches_the_documented_form() -> None:
    # account value 20,000 at mark 100,000, other positions need 1,000: margin_available = 20,000 - (1,000 + 1,250)
    # = 17,750; 100,000 - 17,750 / (1 - 0.0125) = 82,025.32 = (100,000 - 19,000) / 0.9875
    price = hyperliquid.cross_liquidation_price("long", 100_000, 1, 20_000, other_maintenance=1_000)
    assert price == pytest.approx(100_000 - 17_750 / 0.9875, rel=1e-12)


def test_hyperliquid_giant_position_crosses_into_the_second_tier() -> None:
    # 2,000 BTC short at 100,000 (200M, tier 2: 2.5%, deduction 1,875,000), 10x: C = 20M;
    # (100,000 + (20M + 1.875M) / 2,000) / 1.025 = 108,231.71, notional 216M: tier 2, stable
    price = hyperliquid.isolated_liquidation_price("short", 100_000, 10, 2_000)
    assert price == pytest.approx((100_000 + 21_875_000 / 2_000) / 1.025, rel=1e-12)


def test_a_long_that_cannot_be_liquidated_reports_zero() -> None:
    # 1x isolated: (EP x (1 - 1) - 0) / (1 - 0.4%) = 0 up to rounding; a large cross balance goes below zero
    assert liquidation_price("binance", "long", 30_000, 1, 1) == 0.0
    assert binance.cross_liquidation_price("long", 100_000, 1, 150_000) == 0.0
    # OKX: (100,000 - 100,000) / (1 - 0.5% - 0.05%) = 0. Bybit counts maintenance at entry value, so even 1x has
    # a positive price: 100,000 - (100,000 - 500) = 500; 2x: 100,000 - (50,000 - 500) = 50,500
    assert okx.isolated_liquidation_price("long", 100_000, 1, 1, OKX_ILLUSTRATIVE) == 0.0
    assert liquidation_prices("bybit", [1, 1], 100_000, [1, 2], 1).tolist() == [500.0, 50_500.0]


def test_bankruptcy_price() -> None:
    assert isolated_bankruptcy_price("long", 100_000, 10, 1) == pytest.approx(90_000)
    assert isolated_bankruptcy_price("short", 100_000, 4, 2, extra_margin=10_000) == pytest.approx(130_000)


def test_side_parsing() -> None:
    assert [side_sign(s) for s in (Side.LONG, "SHORT", 1, -1, np.int8(-1))] == [1, -1, 1, -1, -1]
    assert side_signs(["long", "short", "Long"]).tolist() == [1, -1, 1]
    for bad in ("flat", 0, True):
        with pytest.raises(ValueError, match="is not long/short"):
            side_sign(bad)
    with pytest.raises(ValueError, match="sides must be"):
        side_signs([1, 0])


def test_scalar_input_errors() -> None:
    with pytest.raises(ValueError, match="leverage must be a finite number >= 1"):
        liquidation_price("binance", "long", 100_000, 0.5, 1)
    with pytest.raises(ValueError, match="quantity must be a positive"):
        liquidation_price("bybit", "long", 100_000, 10, 0)
    with pytest.raises(ValueError, match="entry must be a positive"):
        liquidation_price("hyperliquid", "long", math.nan, 10, 1)


def test_vectorised_marks_refused_positions_nan_and_broadcasts() -> None:
    prices = liquidation_prices(
        "binance", [[1, -1, 1, 1]], 100_000, [[10, 10, 125, 0.5]], np.array([1.0, 1.0, 1.0, 1.0])
    )
    assert prices.shape == (1, 4)
    assert prices[0, :2] == pytest.approx([89_950 / 0.995, 110_050 / 1.005], rel=1e-12)
    assert np.isnan(prices[0, 2:]).all()  # 125x above bracket 2's 100x; 0.5x below 1x
    unchecked = liquidation_prices("binance", -1, 100_000, 125, 1, check_max_leverage=False)
    assert float(unchecked) == pytest.approx(100_850 / 1.005, rel=1e-12)


# --- properties --------------------------------------------------------------------------------------------------

TABLES = {"binance": BINANCE_BTCUSDT, "bybit": BYBIT_BTCUSDT, "hyperliquid": HYPERLIQUID_BTC, "okx": OKX_ILLUSTRATIVE}


@st.composite
def positions(draw: st.DrawFn) -> tuple[str, int, float, float, float, float]:
    """(venue, sign, entry, quantity, low leverage, high leverage), both leverages allowed by the entry tier."""
    venue = draw(st.sampled_from(sorted(TABLES)))
    table = TABLES[venue]
    entry = draw(st.floats(100, 250_000))
    cap = min(float(table.caps[-1]), 2e9) * 0.999
    size = draw(st.floats(1.0, cap)) if venue != "okx" else draw(st.floats(0.01, cap))
    quantity = size if venue == "okx" else size / entry
    allowed = float(table.max_leverages[table.index(quantity if venue == "okx" else quantity * entry)])
    low, high = sorted(draw(st.floats(1, allowed)) for _ in range(2))
    return venue, draw(st.sampled_from((1, -1))), entry, quantity, low, high


def price(venue: str, sign: int, entry: float, leverage: float, quantity: float) -> float:
    return liquidation_price(venue, sign, entry, leverage, quantity, TABLES[venue])


@settings(max_examples=300, deadline=None)
@given(positions())
def test_long_below_entry_short_above_and_inside_bankruptcy(
    position: tuple[str, int, float, float, float, float],
) -> None:
    venue, sign, entry, quantity, _, leverage = position
    liquidation = price(venue, sign, entry, leverage, quantity)
    bankruptcy = isolated_bankruptcy_price(sign, entry, leverage, quantity)
    if sign == 1:
        assert bankruptcy <= liquidation < entry
    else:
        assert entry < liquidation <= bankruptcy


@settings(max_examples=300, deadline=None)
@given(positions())
def test_higher_leverage_is_closer_to_entry(position: tuple[str, int, float, float, float, float]) -> None:
    venue, sign, entry, quantity, low, high = position
    distance_low = abs(entry - price(venue, sign, entry, low, quantity))
    distance_high = abs(entry - price(venue, sign, entry, high, quantity))
    assert distance_high <= distance_low * (1 + 1e-12)


@settings(max_examples=300, deadline=None)
@given(positions())
def test_iteration_equals_the_closed_form_over_all_tiers(position: tuple[str, int, float, float, float, float]) -> None:
    # Every tier's formula is on the safe side of the true price, so the exact price is the max (long) or min
    # (short) over tiers; the re-check iteration must land on it.
    venue, sign, entry, quantity, _, leverage = position
    if venue not in ("binance", "hyperliquid"):
        return
    table = TABLES[venue]
    collateral = quantity * entry / leverage
    candidates = (entry - sign * (collateral + table.amounts) / quantity) / (1 - sign * table.rates)
    exact = max(candidates.max(), 0.0) if sign == 1 else candidates.min()  # a long at <= 0 reports 0
    assert price(venue, sign, entry, leverage, quantity) == pytest.approx(float(exact), rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    venue=st.sampled_from(sorted(TABLES)),
    rows=st.lists(
        st.tuples(st.sampled_from((1, -1)), st.floats(100, 250_000), st.floats(1e-4, 5_000), st.floats(0.5, 130)),
        min_size=1,
        max_size=40,
    ),
)
def test_vectorised_equals_scalar(venue: str, rows: list[tuple[int, float, float, float]]) -> None:
    signs, entries, quantities, leverages = (np.array(column) for column in zip(*rows, strict=True))
    vectorised = liquidation_prices(venue, signs, entries, leverages, quantities, TABLES[venue])
    for index, (sign, entry, quantity, leverage) in enumerate(rows):
        try:
            expected = price(venue, sign, entry, leverage, quantity)
        except ValueError:
            assert math.isnan(vectorised[index])
        else:
            assert vectorised[index] == expected  # same arithmetic, bit for bit


@pytest.mark.parametrize("venue", sorted(TABLES))
def test_vectorised_equals_scalar_on_many_levels(venue: str) -> None:
    # notionals log-normal around 300k: many levels change bracket between entry and liquidation
    generator = np.random.default_rng(3)
    count = 3_000
    signs = generator.choice([1, -1], count)
    entries = generator.uniform(1_000, 150_000, count)
    quantities = generator.lognormal(np.log(300_000), 2.0, count) / entries
    quantities = quantities / 10_000 if venue == "okx" else quantities  # OKX tiers by size: keep within 20 BTC
    leverages = generator.uniform(1, 125, count)
    vectorised = liquidation_prices(
        venue, signs, entries, leverages, quantities, TABLES[venue], check_max_leverage=False
    )
    scalar = [
        liquidation_price(venue, s, e, lev, q, TABLES[venue], check_max_leverage=False)
        for s, e, lev, q in zip(signs, entries, leverages, quantities, strict=True)
    ]
    assert vectorised.tolist() == scalar
