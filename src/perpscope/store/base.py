"""The one interface every backend implements, and the machinery they share (migrations, write accounting).

SQL handed to :meth:`Store.query` is the common subset of DuckDB and PostgreSQL, with ``?`` placeholders.

Migrations are ``migrations/NNNN_name.sql``, shared by both backends, plus an optional ``NNNN_name.<dialect>.sql``
(dialect ``duckdb`` or ``postgres``) whose statements run after the shared ones, in the same transaction, on that
backend only. Supplements rather than per-dialect copies: the one difference today is that PostgreSQL enforces
the natural key of the ``ignore`` (event) tables with a PRIMARY KEY (``0001_initial.postgres.sql``: six
``ALTER TABLE ... ADD PRIMARY KEY``) and DuckDB does not, so a supplement of six lines beats a second copy of
every table, and nothing rewrites SQL text. DuckDB leaves those keys to its single writer (store/duckdb.py): a
6-column ART index made writes 2-3 times slower, see benchmarks/RESULTS.md. 0001 was changed in place rather
than followed by a migration that rebuilds tables, because no release has shipped; a DuckDB file made by the
earlier 0001 still has those keys and stays correct, only slower to write.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from types import TracebackType
from typing import Any, Literal

import polars as pl
import pyarrow as pa

from perpscope.errors import StoreError
from perpscope.models import Record
from perpscope.store import schema


@dataclasses.dataclass(frozen=True)
class WriteCount:
    """What one write did to one table: ``received`` rows, of which ``added`` were new (the rest were
    already stored, or repeated within the batch)."""

    received: int
    added: int

    @property
    def present(self) -> int:
        return self.received - self.added


Dialect = Literal["duckdb", "postgres"]
DIALECTS: tuple[Dialect, ...] = ("duckdb", "postgres")
_MIGRATION_FILE = re.compile(r"(\d{4})_(\w+?)(?:\.(\w+))?\.sql")


@dataclasses.dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(dialect: Dialect, folder: Traversable | None = None) -> list[Migration]:
    """The numbered migrations in ``folder`` (default ``perpscope/store/migrations``) for one backend, in
    order: each one's shared statements followed by its ``.<dialect>.sql`` supplement, if it has one."""
    names: dict[int, str] = {}
    parts: dict[int, dict[str, str]] = {}
    folder = folder or resources.files("perpscope.store") / "migrations"
    for entry in folder.iterdir():
        match = _MIGRATION_FILE.fullmatch(entry.name)
        if not match:
            continue
        version, name, part = int(match.group(1)), match.group(2), match.group(3) or ""
        if part and part not in DIALECTS:
            raise StoreError(f"migration {entry.name}: unknown dialect {part!r}; dialects: {', '.join(DIALECTS)}")
        if names.setdefault(version, name) != name:
            raise StoreError(f"migration {entry.name}: version {version:04d} is already named {names[version]!r}")
        parts.setdefault(version, {})[part] = entry.read_text(encoding="utf-8")
    found = [
        Migration(version, names[version], "\n;\n".join(parts[version].get(p, "") for p in ("", dialect)))
        for version in names
    ]
    return sorted(found, key=lambda migration: migration.version)


def statements(sql: str) -> list[str]:
    """Split a migration into statements (migrations hold no semicolons inside strings)."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


@functools.cache  # the shipped migrations do not change while perpscope runs; every store open asks
def latest_version() -> int:
    return migrations("duckdb")[-1].version  # every dialect has the same versions


POSITION = "_position"  # a batch's row numbers, added by the backends to ``replace`` batches (see upsert_sql)


def upsert_sql(spec: schema.Table, source: str) -> str:
    """``INSERT ... SELECT DISTINCT ON (key) ... ON CONFLICT DO UPDATE`` for a ``replace`` table, valid in both
    DuckDB and PostgreSQL. ``source`` holds the table's columns plus ``_position``, the row's place in the batch:
    of rows with one key the one received last wins (highest ``ts_recv``, then the later one in the batch), on
    both backends, whatever order the database happens to read them in."""
    if spec.on_conflict != "replace":
        raise StoreError(f"{spec.name} keeps the first copy of a row; upsert_sql is for replace tables")
    columns = ", ".join(spec.column_names)
    key = ", ".join(spec.key)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in spec.column_names if name not in spec.key)
    return (
        f"INSERT INTO {spec.name} ({columns}) SELECT DISTINCT ON ({key}) {columns} FROM {source} "
        f"ORDER BY {key}, ts_recv DESC, {POSITION} DESC ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


class Store(ABC):
    """A perpscope database. ``write`` is atomic across all the tables it is given; ``query`` returns polars."""

    url: str
    read_only: bool

    @abstractmethod
    def write(self, batches: Mapping[str, pa.Table]) -> dict[str, WriteCount]:
        """Write Arrow batches keyed by table name in one transaction: all of them or none."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
        """Run one read-only SQL statement with ``?`` placeholders."""

    @abstractmethod
    def schema_version(self) -> int:
        """The highest migration applied (0 for a new database)."""

    @abstractmethod
    def close(self) -> None:
        """Release every connection. Idempotent."""

    def write_records(self, records: Iterable[Record]) -> dict[str, WriteCount]:
        return self.write(schema.records_to_arrow(records))

    def count(self, table: str) -> int:
        spec = schema.table(table)
        return int(self.query(f"SELECT count(*) AS n FROM {spec.name}")["n"][0])

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
