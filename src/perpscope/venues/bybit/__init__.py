"""Bybit v5 perpetuals (linear USDT/USDC, and inverse where a message is one): endpoints, capabilities, parsing."""

VENUE = "bybit"
