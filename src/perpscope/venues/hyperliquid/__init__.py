"""Hyperliquid perpetuals: endpoints, capabilities, symbol mapping and pure parse functions."""

VENUE = "hyperliquid"
