"""Fixtures shared by every test: where the real recorded data lives, and fresh stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from perpscope.store import DuckDBStore

# The private PostgreSQL cluster and the `any_store` fixture (DuckDB and PostgreSQL) for every test directory.
pytest_plugins = ["pg_fixtures"]

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real exchange recordings); tests that need it skip where a clone has no shared/."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not present at {SHARED_DATA} (only CI and developer machines have ../shared)")
    return SHARED_DATA


@pytest.fixture
def duckdb_store(tmp_path: Path) -> Iterator[DuckDBStore]:
    """A new embedded store in a temporary file, opened the way a CLI process opens it."""
    store = DuckDBStore(tmp_path / "test.duckdb")
    yield store
    store.close()
