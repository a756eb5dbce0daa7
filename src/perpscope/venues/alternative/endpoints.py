"""The Fear & Greed Index endpoint, as data. Source: https://alternative.me/crypto/api/ ("Fear & Greed Index")."""

from __future__ import annotations

from typing import Any

from perpscope.venues.endpoints import RestEndpoint

REST = "https://api.alternative.me"

FEAR_GREED = RestEndpoint(
    "/fng/",
    optional=("limit", "format", "date_format"),
    note="limit: how many days, newest first (default 1; 0 = the whole history since 2018-02-01); "
    "format json|csv; date_format us|cn|kr|world turns timestamps into dates (perpscope never sets it)",
)


def fear_greed_request(limit: int = 1) -> dict[str, Any]:
    """Query parameters for the newest ``limit`` daily values (0: every value since 2018-02-01). Timestamps stay
    Unix seconds, which is what :func:`perpscope.venues.alternative.parse.parse_fear_greed` reads."""
    if limit < 0:
        raise ValueError(f"limit must be 0 (everything) or a positive number of days, not {limit}")
    return {"limit": limit, "format": "json"}
