"""OKX position tiers -> margin brackets in base units, field by field. No recorded tiers answer exists in
../shared/data, so the payloads are written from the docs (GET /api/v5/public/position-tiers: uly, instFamily, instId
empty for swaps, tier, minSz/maxSz in contracts, mmr, imr, maxLever, optMgnFactor, quoteMaxLoan, baseMaxLoan)."""

from __future__ import annotations

import pytest

from perpscope.analytics.liquidation import okx as okx_rules
from perpscope.errors import ParseError, VenueResponseError
from perpscope.models import MarginBracket
from perpscope.venues.okx import parse_rest


def _row(family: str, tier: str, min_size: str, max_size: str, mmr: str, imr: str, lever: str) -> str:
    return (
        f'{{"uly": "{family}", "instFamily": "{family}", "instId": "", "tier": "{tier}", "minSz": "{min_size}", '
        f'"maxSz": "{max_size}", "mmr": "{mmr}", "imr": "{imr}", "maxLever": "{lever}", "optMgnFactor": "0", '
        f'"quoteMaxLoan": "", "baseMaxLoan": ""}}'
    )


# BTC-USDT in the older layout (a tier starts one contract above the previous maximum), listed out of order;
# ETH-USDT contiguous.
TIERS = (
    '{"code": "0", "msg": "", "data": ['
    + ", ".join(
        (
            _row("BTC-USDT", "2", "1001", "2000", "0.006", "0.0133", "75"),
            _row("BTC-USDT", "1", "0", "1000", "0.004", "0.01", "100"),
            _row("ETH-USDT", "1", "0", "500", "0.005", "0.0133", "75"),
            _row("ETH-USDT", "2", "500", "3000", "0.01", "0.02", "50"),
        )
    )
    + "]}"
).encode()
CONTRACT_VALUES = {"BTC-USDT-SWAP": 0.01, "ETH-USDT-SWAP": 0.1}


def _bracket(floor: float, cap: float, leverage: float, mmr: float) -> MarginBracket:
    return MarginBracket(floor=floor, cap=cap, max_leverage=leverage, mmr=mmr, maintenance_amount=0.0)


def test_tiers_become_base_unit_brackets_per_swap() -> None:
    brackets = parse_rest.parse_position_tiers(TIERS, CONTRACT_VALUES)
    assert brackets == {
        # 1,000 contracts x 0.01 BTC = 10 BTC; tier 2 starts at tier 1's cap, not at 1,001 contracts (10.01 BTC)
        "BTC-USDT-SWAP": (_bracket(0.0, 10.0, 100.0, 0.004), _bracket(10.0, 20.0, 75.0, 0.006)),
        # 500 x 0.1 ETH = 50 ETH, 3,000 x 0.1 = 300 ETH
        "ETH-USDT-SWAP": (_bracket(0.0, 50.0, 75.0, 0.005), _bracket(50.0, 300.0, 50.0, 0.01)),
    }


def test_brackets_agree_with_the_liquidation_rules_conversion() -> None:
    brackets = parse_rest.parse_position_tiers(TIERS, CONTRACT_VALUES)["BTC-USDT-SWAP"]
    table = okx_rules.table_from_position_tiers([(0, 1000, 100, 0.004), (1001, 2000, 75, 0.006)], 0.01)
    assert brackets == table.brackets


def test_a_family_without_a_contract_value_names_the_field() -> None:
    with pytest.raises(ParseError, match="BTC-USDT-SWAP") as caught:
        parse_rest.parse_position_tiers(TIERS, {"ETH-USDT-SWAP": 0.1})
    assert caught.value.field == "instFamily"
    assert "position-tiers" in str(caught.value)


def test_a_bad_number_names_the_field() -> None:
    payload = TIERS.replace(b'"mmr": "0.004"', b'"mmr": "lots"')
    with pytest.raises(ParseError, match="mmr"):
        parse_rest.parse_position_tiers(payload, CONTRACT_VALUES)


def test_a_refused_request() -> None:
    refused = b'{"code": "51000", "msg": "Parameter instFamily error", "data": []}'
    with pytest.raises(VenueResponseError, match="51000"):
        parse_rest.parse_position_tiers(refused, CONTRACT_VALUES)
