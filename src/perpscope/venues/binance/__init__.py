"""Binance USDⓈ-M futures: endpoints, capabilities, symbol mapping and pure parse functions."""

VENUE = "binance"
