"""What only the PostgreSQL backend does: URLs, an unreachable server, dropped connections, concurrent migration."""

from __future__ import annotations

import socket
import threading

import psycopg
import pytest
from store_samples import liquidations

from perpscope.errors import StoreError
from perpscope.store import WriteCount, open_store
from perpscope.store.base import latest_version, migrations
from perpscope.store.postgres import PostgresStore, describe, placeholders


def test_placeholders_become_psycopg_ones_outside_quotes() -> None:
    assert placeholders("SELECT a FROM t WHERE b = ? AND c > ?") == "SELECT a FROM t WHERE b = %s AND c > %s"
    assert placeholders("SELECT '?', \"a?\" FROM t WHERE s LIKE 'x%' AND d = ?") == (
        "SELECT '?', \"a?\" FROM t WHERE s LIKE 'x%%' AND d = %s"
    )
    assert placeholders("SELECT 'it''s ?' -- why?\n, ?") == "SELECT 'it''s ?' -- why?\n, %s"
    assert placeholders("SELECT 5 % 2 = ?") == "SELECT 5 %% 2 = %s"


def test_describe_names_host_port_database_and_never_the_password() -> None:
    assert describe("postgresql://me:secret@db.example:6543/perp") == "db.example:6543/perp"
    assert describe("postgresql://me@localhost/perp") == "localhost:5432/perp"
    with pytest.raises(StoreError, match="bad PostgreSQL URL") as caught:
        describe("postgresql://me:secret@host/db?no_such_option=1")
    assert "secret" not in str(caught.value)
    assert "me:***@host" in str(caught.value)


def test_unreachable_server_is_a_clear_store_error() -> None:
    with socket.socket() as probe:  # a port on which nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(StoreError) as caught:
        open_store(f"postgresql://me:secret@127.0.0.1:{port}/perpscope")
    message = str(caught.value)
    assert message.startswith(f"cannot connect to PostgreSQL at 127.0.0.1:{port}/perpscope: ")
    assert "refused" in message.lower()
    assert "secret" not in message


@pytest.mark.postgres
def test_open_store_picks_postgres_for_a_url(postgres_url: str) -> None:
    with open_store(postgres_url) as store:
        assert isinstance(store, PostgresStore)
        assert store.schema_version() == latest_version()


@pytest.mark.postgres
def test_a_dropped_connection_is_replaced(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    store.write({"liquidations": liquidations(10)})
    with psycopg.connect(postgres_url, autocommit=True) as admin:  # as a server restart would
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
    assert store.count("liquidations") == 10
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
    assert store.write({"liquidations": liquidations(10, start=5)}) == {"liquidations": WriteCount(10, 5)}
    assert store.count("liquidations") == 15
    store.close()


@pytest.mark.postgres
def test_stores_opening_together_migrate_once(postgres_url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_one() -> None:
        start.wait()
        try:
            PostgresStore(postgres_url).close()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with PostgresStore(postgres_url) as store:
        applied = store.query("SELECT version FROM schema_migrations ORDER BY version")["version"].to_list()
    assert applied == [migration.version for migration in migrations("postgres")]


@pytest.mark.postgres
def test_query_runs_read_only(postgres_url: str) -> None:
    with PostgresStore(postgres_url) as store:
        store.write({"liquidations": liquidations(3)})
        with pytest.raises(StoreError, match="read-only transaction"):
            store.query("DELETE FROM liquidations")
        assert store.count("liquidations") == 3
