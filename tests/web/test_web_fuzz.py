"""The OpenAPI description fuzzed with schemathesis (bounded in examples and time): no 5xx, no hang."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings

from perpscope.api import Perpscope
from perpscope.web.app import create_app, shared

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev dependency (pip install schemathesis)")

EXAMPLES = 30  # per operation
SLOWEST_S = 10.0  # one request taking longer counts as a hang


@pytest.mark.timeout(600)
def test_no_server_error_and_no_hang(market_api: Perpscope) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(shared(market_api), push=False))
    problems: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: object) -> None:
            started = time.monotonic()
            response = case.call()  # type: ignore[attr-defined]
            took = time.monotonic() - started
            where = f"{case.method} {case.formatted_path} {case.query}"  # type: ignore[attr-defined]
            if response.status_code >= 500 or took > SLOWEST_S:
                problems.append(f"{where}: {response.status_code} in {took:.1f} s: {response.text[:300]}")

        check()
    assert operations >= 12
    assert problems == []
