"""Short seeded runs shared by the simulator tests."""

from __future__ import annotations

from dataclasses import replace

from perpscope.sim import RunConfig, scenario


def short_cascade_config(seed: int = 7) -> RunConfig:
    """``long-cascade`` with its fall moved to 40 minutes in, 6,000 positions, 5-second steps."""
    preset = scenario("long-cascade", positions=6_000)
    fall = replace(preset.shocks[0], start_h=40 / 60)
    return RunConfig(replace(preset, shocks=(fall,)), seed=seed, step_s=5.0)
