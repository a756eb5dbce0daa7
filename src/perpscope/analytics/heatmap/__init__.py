"""Liquidation heatmap and map: an estimate of where leveraged positions would be liquidated (docs/heatmap.md)."""
