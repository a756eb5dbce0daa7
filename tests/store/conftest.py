"""The store suite runs every backend through ``any_store`` (tests/pg_fixtures.py)."""

from pg_fixtures import *  # noqa: F403  (until the root conftest registers it as a plugin)
