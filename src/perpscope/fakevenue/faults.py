"""Faults the fake venue injects, as data: which frames and which requests misbehave, and how.

Frame numbers count every market frame the venue sends, across connections, from 1. Request numbers count, per
fault, the requests it matches (its path, and its query text if given), from 1. Listing numbers rather than rates
keeps every test deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HttpFault:
    path: str  # the REST path it applies to, exactly
    requests: tuple[int, ...]  # which of the matching requests (1-based)
    status: int = 200  # 429, 418, 5xx; 200 with ``delay_s`` is a slow but correct answer
    retry_after_s: int | None = None  # the Retry-After header, on 429/418
    delay_s: float = 0.0
    query: str = ""  # only requests whose query string contains this, e.g. "symbol=ETHUSDT"

    def matches(self, path: str, query: str) -> bool:
        return path == self.path and self.query in query


@dataclass(frozen=True)
class FaultPlan:
    disconnect_after: tuple[int, ...] = ()  # abort the TCP connection right after these frames
    stall_after: tuple[int, ...] = ()  # after these frames the connection stays open but goes silent (half-open)
    malformed_before: tuple[int, ...] = ()  # a broken frame is sent just before these frames
    duplicate: tuple[int, ...] = ()  # these frames are sent twice
    swap: tuple[int, ...] = ()  # these frames are held back and sent after the next one (out of order)
    http: tuple[HttpFault, ...] = ()


NO_FAULTS = FaultPlan()
