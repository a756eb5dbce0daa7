"""The fake Binance venue plus the one endpoint ccxt's ``load_markets`` needs and perpscope's fake does not serve:
``GET /fapi/v1/exchangeInfo``, in Binance's documented shape, listing two perpetuals and one dated future."""

from __future__ import annotations

from typing import Any

from perpscope.fakevenue.binance import BinanceDialect
from perpscope.fakevenue.dialect import RestAnswer, RestRequest
from perpscope.fakevenue.state import MarketState

EXCHANGE_INFO_PATH = "/fapi/v1/exchangeInfo"
QUARTER_ID = "BTCUSDT_260626"  # a dated future: ccxt calls it BTC/USDT:USDT-260626
PERPETUAL_DELIVERY = 4_133_404_800_000  # Binance's delivery date for perpetuals (2100-12-25)


def _symbol(native: str, base: str, contract_type: str, delivery: int) -> dict[str, Any]:
    return {
        "symbol": native,
        "pair": f"{base}USDT",
        "contractType": contract_type,
        "deliveryDate": delivery,
        "onboardDate": 1_569_398_400_000,
        "status": "TRADING",
        "baseAsset": base,
        "quoteAsset": "USDT",
        "marginAsset": "USDT",
        "pricePrecision": 2,
        "quantityPrecision": 3,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "filters": [],
        "orderTypes": ["LIMIT", "MARKET"],
        "timeInForce": ["GTC"],
    }


EXCHANGE_INFO = {
    "timezone": "UTC",
    "serverTime": 1_767_225_600_000,
    "rateLimits": [],
    "exchangeFilters": [],
    "assets": [],
    "symbols": [
        _symbol("BTCUSDT", "BTC", "PERPETUAL", PERPETUAL_DELIVERY),
        _symbol("ETHUSDT", "ETH", "PERPETUAL", PERPETUAL_DELIVERY),
        _symbol(QUARTER_ID, "BTC", "CURRENT_QUARTER", 1_782_460_800_000),
    ],
}


class BinanceWithMarkets(BinanceDialect):
    def rest(self, request: RestRequest, state: MarketState) -> RestAnswer | None:
        if request.path == EXCHANGE_INFO_PATH:
            return RestAnswer(200, EXCHANGE_INFO, ())
        return super().rest(request, state)
