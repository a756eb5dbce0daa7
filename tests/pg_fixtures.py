"""Fixtures for tests that run on a real PostgreSQL server, and for suites that run on every backend.

``postgres_url`` starts one private cluster per test session (see pgcluster.py) and gives each test a fresh
database; ``any_store`` runs a test once on DuckDB and once on PostgreSQL. Where the server binaries are absent the
PostgreSQL cases skip and say why; where they exist but the cluster cannot start, the cases fail with its log.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

import pgcluster
from perpscope.store import DuckDBStore, Store
from perpscope.store.postgres import PostgresStore

__all__ = ["any_store", "any_store_url", "postgres_cluster", "postgres_url"]

BACKENDS = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[pgcluster.Cluster]:
    reason = pgcluster.missing_reason()
    if reason:
        pytest.skip(reason)
    cluster = pgcluster.start()
    yield cluster
    pgcluster.stop(cluster)


@pytest.fixture
def postgres_url(postgres_cluster: pgcluster.Cluster) -> str:
    """The URL of a new, empty database on the session's private cluster."""
    name = f"test_{next(_database_numbers)}"
    with psycopg.connect(postgres_cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres_cluster.url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=BACKENDS)
def any_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh database lives, for each backend: a DuckDB file path or a postgresql:// URL."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return str(tmp_path / "test.duckdb")


@pytest.fixture
def any_store(any_store_url: str) -> Iterator[Store]:
    """A fresh, migrated store on each backend, opened the way a CLI process opens it."""
    postgres = any_store_url.startswith("postgresql://")
    store: Store = PostgresStore(any_store_url) if postgres else DuckDBStore(any_store_url)
    yield store
    store.close()
