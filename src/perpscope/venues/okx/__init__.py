"""OKX USDT swaps: endpoints, capabilities, symbol mapping and pure parse functions."""

VENUE = "okx"
