"""Fixtures for the dashboard tests: a hand-written store, a simulated market, the app in process and as a server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from web_samples import hand_records

from perpscope.api import Perpscope
from perpscope.config import load_settings
from perpscope.sim import RunConfig, scenario
from perpscope.sim.run import run_to_store
from perpscope.store import open_store
from perpscope.web.app import create_app, shared


@pytest.fixture
def hand_api(tmp_path: Path) -> Iterator[Perpscope]:
    store = open_store(tmp_path / "hand.duckdb", hold=True)
    store.write_records(hand_records())  # type: ignore[arg-type]
    api = Perpscope(store, load_settings(environ={}))
    yield api
    api.close()


@pytest.fixture
def hand_client(hand_api: Perpscope, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(shared(hand_api), push=False, reports_dir=tmp_path / "reports")
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="session")
def market_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated days of a long cascade on three venues (candles, OI, funding, liquidations), in a file."""
    path = tmp_path_factory.mktemp("market") / "market.duckdb"
    preset = scenario("long-cascade", positions=3_000)
    store = open_store(path, hold=True)
    run_to_store(RunConfig(replace(preset), seed=3, step_s=10.0), 2.0, store)
    store.close()
    return path


@pytest.fixture
def market_api(market_db: Path, tmp_path: Path) -> Iterator[Perpscope]:
    copy = tmp_path / "market.duckdb"
    shutil.copy(market_db, copy)
    api = Perpscope(open_store(copy, hold=True), load_settings(environ={}))
    yield api
    api.close()


@pytest.fixture
def market_client(market_api: Perpscope) -> Iterator[TestClient]:
    with TestClient(create_app(shared(market_api), push=False)) as client:
        yield client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVE = (
    "import sys; from perpscope.cli.serving import serve; from perpscope.cli.common import App; "
    "from perpscope.config import load_settings; "
    "serve.main(sys.argv[2:], obj=App(load_settings(overrides={'db': sys.argv[1]})), standalone_mode=True)"
)


@pytest.fixture
def served_market(market_db: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``perpscope serve`` in its own process on a copy of the market; yields (base URL, database path)."""
    copy = tmp_path / "served.duckdb"
    shutil.copy(market_db, copy)
    port = free_port()
    environment = {**os.environ, "PERPSCOPE_CONFIG": ""}
    command = [sys.executable, "-c", SERVE, str(copy), "--port", str(port), "--reports", str(tmp_path / "reports")]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base, copy
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"perpscope serve exited with {process.returncode}: {output}")
        try:
            if httpx.get(f"{base}/api/symbols", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"perpscope serve did not answer at {base} within 20 s")
